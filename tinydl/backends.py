"""``tinydl.backends``: PyTorch's ``torch.backends`` switches that tutorials touch.

tinydl computes with NumPy (cpu) or CuPy (NVIDIA GPUs, ``tinydl.cuda``). These
namespaces exist so that device-selection lines written for PyTorch run unchanged:

    device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
"""
from __future__ import annotations


class mps:  # noqa: N801  (PyTorch's name: torch.backends.mps)
    """Apple's Metal GPUs. tinydl has no Metal backend, so they are never available."""

    @staticmethod
    def is_available() -> bool:
        """Always False: tinydl cannot run on Apple GPUs (use "cpu" there)."""
        return False

    @staticmethod
    def is_built() -> bool:
        """Always False: tinydl is not built with Metal support."""
        return False


class cudnn:  # noqa: N801  (torch.backends.cudnn)
    """cuDNN switches. tinydl does not use cuDNN: setting them is accepted and changes nothing."""

    enabled = True
    benchmark = False
    deterministic = False
