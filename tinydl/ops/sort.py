"""Sorting: sort, argsort, topk.

``sort`` and ``topk`` return the named tuple ``(values, indices)``, as PyTorch
does. The values are x's elements gathered at ``indices`` along one dimension,
so the gradient of each value goes back to the element it was taken from.
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
import tinydl.return_types as return_types
from ..backend import Array
from ..engine import Node, Function, Tensor
from .common import is_numpy_int, normalize_dims
from .registry import public


class TakeAlongDim(Function):
    """values = x at ``indices`` along one axis (no index repeats within a slice).

    dL/dx = dL/dvalues written back to the positions the values came from, 0 elsewhere.
    """

    @staticmethod
    def forward(ctx: Node, x: Array, indices: Array, axis: int) -> Array:
        ctx.shape, ctx.axis = x.shape, axis
        ctx.save_for_backward(indices)
        return backend.get_array_module(x).take_along_axis(x, indices, axis=axis)  # (N, D), (N, k) -> (N, k)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (indices,) = ctx.saved_tensors
        xp = backend.get_array_module(grad_out)
        grad = xp.zeros(ctx.shape, dtype=grad_out.dtype)                   # (N, D)
        grad[_positions_along(indices, ctx.axis)] = grad_out  # (N, k) into (N, D); each position once: no add
        return grad, None, None


def _positions_along(indices: Array, axis: int) -> tuple:
    """The integer index that addresses x[..., indices[i, j, ...], ...] with ``indices`` along ``axis``."""
    xp = backend.get_array_module(indices)
    ndim = indices.ndim
    # (n_d,) reshaped to broadcast along dimension d only: (1, ..., n_d, ..., 1)
    grids = [xp.arange(size).reshape([-1 if d == dim else 1 for d in range(ndim)])
             for dim, size in enumerate(indices.shape)]
    grids[axis] = indices
    return tuple(grids)


def _sorting_order(x: Array, axis: int, descending: bool) -> Array:
    """Indices that sort x along axis; equal elements keep their order (a stable sort)."""
    xp = backend.get_array_module(x)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    # Descending and stable: sort the reversed slice ascending, then read it backwards.
    # (Sorting -x would fail for bools and unsigned ints, and put nan last rather than first.)
    size = x.shape[axis]
    reversed_order = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return (size - 1) - xp.flip(reversed_order, axis)


def _check(op_name: str, x: Any, dim: int) -> int:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op_name}: expected a tensor, got {type(x).__name__}")
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op_name}: dim must be an int, got {dim!r}")
    (axis,) = normalize_dims(op_name, dim, x.ndim)
    return axis


def _gather(x: Tensor, order: Array, axis: int, result_type: type) -> Any:
    """(values, indices) named tuple: x gathered at ``order`` along axis, differentiably."""
    return result_type(TakeAlongDim.apply(x, order, axis), Tensor(order.astype("int64", copy=False)))


@public
def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """(values, indices) with x's elements sorted along ``dim``, as ``torch.sort``.

    The sort is always stable (ties keep their order), whatever ``stable`` says.
    """
    axis = _check("sort", x, dim)
    xp = backend.get_array_module(x.array)
    if x.ndim == 0:
        return return_types.sort(x, Tensor(xp.zeros((), dtype="int64")))
    return _gather(x, _sorting_order(x.array, axis, descending), axis, return_types.sort)


@public
def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort x along ``dim`` (int64, no gradient), as ``torch.argsort``."""
    axis = _check("argsort", x, dim)
    xp = backend.get_array_module(x.array)
    if x.ndim == 0:
        return Tensor(xp.zeros((), dtype="int64"))
    return Tensor(_sorting_order(x.array, axis, descending).astype("int64", copy=False))


@public
def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """(values, indices) of the k largest (or smallest) elements along ``dim``, as ``torch.topk``.

    The values always come sorted, largest first (smallest first with largest=False);
    PyTorch leaves the order unspecified when sorted=False, so this is one valid choice.
    """
    axis = _check("topk", x, dim)
    size = x.shape[axis] if x.ndim else 1
    k = int(k) if is_numpy_int(k) else k
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= size:
        raise ValueError(f"topk: k={k!r} is out of range for dimension {dim} of size {size} "
                         f"(tensor shape {tuple(x.shape)}); expected 0 <= k <= {size}")
    if x.ndim == 0:  # a 0-d tensor is its own top-1: sort it as a 1-element vector
        result = topk(x.reshape(1), k, 0, largest)
        return return_types.topk(*(part.reshape(()) for part in result)) if k else result
    order = _sorting_order(x.array, axis, descending=largest)
    first_k = tuple(slice(0, k) if d == axis else slice(None) for d in range(x.ndim))
    return _gather(x, order[first_k], axis, return_types.topk)
