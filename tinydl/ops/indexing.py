"""Index plumbing under getitem, setitem and embedding: scatter-add, and bounds checks on every device.

Both differ between NumPy and CuPy, so they dispatch on the array's type (as
backend.py does for everything else): NumPy adds repeated indices with
``numpy.add.at`` and checks bounds itself; CuPy has ``cupyx.scatter_add`` and
wraps out-of-range integer-array indices around silently.
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
from ..backend import Array


def check_indices_in_bounds(array: Array, index: tuple) -> None:
    """Raise NumPy's IndexError for an out-of-range integer index on a device that would not.

    Why: NumPy raises "index 5 is out of bounds for axis 0 with size 3" itself;
    CuPy wraps integer-array indices around silently (and words its own error
    for a plain int differently), so on "cuda" the same check is made here,
    with NumPy's words, before indexing. ``index`` holds ints, slices, None,
    Ellipsis and integer arrays (bool masks already turned into integer arrays).
    """
    if isinstance(array, backend.NUMPY_ARRAY):
        return  # NumPy checks itself
    shape = array.shape
    explicit = sum(1 for item in index if item is not None and item is not Ellipsis)
    axis = 0
    for item in index:
        if item is Ellipsis:
            axis += len(shape) - explicit
            continue
        if item is None:
            continue
        if axis >= len(shape):
            return  # too many indices: the array module says so
        size = shape[axis]
        if (isinstance(item, int) or backend.is_numpy_scalar(item)) and not -size <= item < size:
            raise IndexError(f"index {item} is out of bounds for axis {axis} with size {size}")
        if backend.is_ndarray(item) and item.size:
            outside = (item < -size) | (item >= size)
            if outside.any():  # one device -> host synchronisation
                first_bad = int(item.ravel()[outside.ravel().argmax()])
                raise IndexError(f"index {first_bad} is out of bounds for axis {axis} with size {size}")
        axis += 1


def scatter_add(target: Array, index: Any, values: Array) -> None:
    """target[index] += values, adding up repeated indices (numpy.add.at semantics).

    Why: ``target[index] += values`` adds only once for an index that repeats;
    the backward of indexing and of embedding must add every copy.
    """
    backend.add_at_function(target)(target, index, values)
