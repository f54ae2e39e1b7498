"""tinydl.Size: a tensor's shape, PyTorch's ``torch.Size``."""
from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    """A tuple of ints that prints as ``tinydl.Size([2, 3])``; ``tensor.shape`` and ``tensor.size()``.

    Everything a tuple does works (``n, d = x.shape``, ``x.shape == (2, 3)``);
    slices and sums of sizes stay Sizes, as in PyTorch.
    """

    __slots__ = ()

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> "Size":
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other: Any) -> "Size":
        return Size(tuple(other) + tuple(self))

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)

    def __repr__(self) -> str:
        return f"tinydl.Size({list(self)})"
