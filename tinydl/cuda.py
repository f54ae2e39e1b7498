"""``tinydl.cuda``: is a GPU usable, how many, which one is current (as ``torch.cuda``).

``is_available`` and ``device_count`` answer False / 0, never raise, without CuPy.
"""
from __future__ import annotations

from typing import Any

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


def current_device() -> int:
    """The GPU that "cuda" (without an index) means: CuPy's current device."""
    return backend.normalize_device("cuda").index


def set_device(device: Any) -> None:
    """Make GPU ``device`` (an int, "cuda:N" or a tinydl.device) current, as ``torch.cuda.set_device``.

    "cuda" then means this GPU. On several GPUs, make current the one your model
    lives on: a forward pass follows its inputs' GPU, but backward and the
    optimizers compute on the current one.
    """
    backend.make_current(backend.normalize_device(device))
