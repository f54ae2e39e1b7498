"""Unflatten: split one dimension into several (the inverse of Flatten, which is in layers.py)."""
from __future__ import annotations

from typing import Sequence

from ..engine import Tensor
from .module import Module


class Unflatten(Module):
    """Reshape dimension ``dim`` into ``unflattened_size``: e.g. (N, 784) -> (N, 1, 28, 28).

    One entry of unflattened_size may be -1 (inferred).
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size:
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple of ints, "
                            f"got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        if not -x.ndim <= self.dim < x.ndim:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for input of shape {tuple(x.shape)}")
        dim = self.dim % x.ndim
        # (*before, size, *after) -> (*before, *unflattened_size, *after)
        return x.reshape(tuple(x.shape[:dim]) + self.unflattened_size + tuple(x.shape[dim + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
