"""``tinydl.cuda``: is a GPU usable? (Answers False, never raises, without CuPy.)"""
from __future__ import annotations

import tinydl.backend as backend


def is_available() -> bool:
    """True when CuPy is installed and sees a working NVIDIA GPU."""
    return backend.cuda_is_available()


def device_count() -> int:
    """Number of usable GPUs."""
    return backend.cuda_device_count()


def unavailable_reason() -> str | None:
    """Why "cuda" can't be used (CuPy missing, or no GPU/driver), or None."""
    return backend.cuda_unavailable_reason()
