"""split, chunk and narrow: cut a tensor into pieces along one dimension.

Each piece is a slice ``x[..., start:stop, ...]`` (a view, like PyTorch's), made
with getitem, so the gradient of each piece flows back into its own part of x
with no backward of its own to write.
"""
from __future__ import annotations

import math
from typing import Sequence

from ..engine import Tensor
from .common import one_dim
from .registry import public
from .shape import getitem


@public
def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """x's elements start .. start+length-1 along ``dim`` (a view sharing x's storage)."""
    axis = one_dim("narrow", dim, x.ndim)
    size = x.shape[axis]
    if start < 0:
        start += size
    if not (0 <= start <= size and 0 <= length <= size - start):
        raise IndexError(f"narrow: start {start} and length {length} do not fit in dimension {dim} "
                         f"of size {size} (shape {tuple(x.shape)})")
    return getitem(x, (slice(None),) * axis + (slice(start, start + length),))


@public
def split(tensor: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
    """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the given sizes.

    split(x, 2) on 5 rows gives rows [0:2], [2:4], [4:5]; split(x, [1, 4]) gives [0:1], [1:5].
    """
    if tensor.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor")
    axis = one_dim("split", dim, tensor.ndim)
    size = tensor.shape[axis]
    if isinstance(split_size_or_sections, int) and not isinstance(split_size_or_sections, bool):
        step = split_size_or_sections
        if step <= 0 and not (step == 0 and size == 0):
            raise ValueError(f"split: split_size must be a positive integer, got {step}")
        sections = [min(step, size - start) for start in range(0, size, step)] if size else [0]
    else:
        sections = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sections) or sum(sections) != size:
            raise ValueError(f"split: sections {sections} must be >= 0 and sum to the size {size} of "
                             f"dimension {dim} (shape {tuple(tensor.shape)})")
    pieces, start = [], 0
    for length in sections:
        pieces.append(narrow(tensor, axis, start, length))
        start += length
    return tuple(pieces)


@public
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:  # noqa: A002
    """At most ``chunks`` pieces of ceil(size / chunks) along ``dim`` (PyTorch's rule: may return fewer)."""
    if not isinstance(chunks, int) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    if input.ndim == 0:
        raise ValueError("chunk: cannot chunk a 0-d tensor")
    size = input.shape[one_dim("chunk", dim, input.ndim)]
    if size == 0:  # PyTorch: `chunks` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, math.ceil(size / chunks), dim)
