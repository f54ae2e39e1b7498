"""Shape ops: reshape, permute, squeeze/unsqueeze, flatten, expand, cat, stack, indexing.

None of these does arithmetic; their backward moves the gradient back to where
each element came from (reshape back, permute back, slice apart, scatter).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .arguments import require_tensor
from .common import is_numpy_int, normalize_dims, one_dim, unpack_sizes
from .indexing import check_indices_in_bounds, scatter_add
from .registry import public


# ------------------------------------------------------------ reshape
class Reshape(Function):
    """y = x with a new shape, same elements in the same order.   dL/dx = dL/dy reshaped back."""

    @staticmethod
    def forward(ctx: Node, x: Array, shape: tuple) -> Array:
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        return grad_out.reshape(ctx.input_shape), None


@public
def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape; one size may be -1 (inferred)."""
    shape = unpack_sizes(shape)
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1 or any((not isinstance(n, int)) or n < -1 for n in shape) or (
            -1 not in shape and known != x.numel()) or (
            -1 in shape and (known == 0 or x.numel() % known)):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} "
                         f"({x.numel()} elements) into {shape}")
    if tuple(shape) == tuple(x.shape):
        return x
    return Reshape.apply(x, shape)


@public
def view(x: Tensor, *shape: Any) -> Tensor:
    """Same as reshape (NumPy shares memory whenever it can)."""
    return reshape(x, *shape)


@public
def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start = one_dim("flatten", start_dim, x.ndim)
    end = one_dim("flatten", end_dim, x.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:]
    return reshape(x, shape)


@public
def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (which may be x.ndim, or negative)."""
    axis = one_dim("unsqueeze", dim, x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


@public
def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Remove dimensions of size 1 (all of them, or only ``dim`` if it has size 1)."""
    if dim is None:
        axes = [a for a, n in enumerate(x.shape) if n == 1]
    else:
        axes = [a for a in normalize_dims("squeeze", dim, x.ndim) if x.ndim and x.shape[a] == 1]
    return reshape(x, tuple(n for a, n in enumerate(x.shape) if a not in axes))


# ------------------------------------------------------------ permute
class Permute(Function):
    """y = x with its axes reordered.   dL/dx = dL/dy with the inverse reordering."""

    @staticmethod
    def forward(ctx: Node, x: Array, dims: tuple) -> Array:
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        inverse = [0] * len(ctx.dims)
        for position, axis in enumerate(ctx.dims):
            inverse[axis] = position
        return grad_out.transpose(inverse), None


@public
def permute(x: Tensor, *dims: Any) -> Tensor:
    dims = unpack_sizes(dims)
    if sorted(d % x.ndim if x.ndim else d for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: {dims} is not a reordering of the {x.ndim} dimensions "
                         f"of a tensor of shape {tuple(x.shape)}")
    return Permute.apply(x, tuple(d % x.ndim for d in dims))


@public
def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    a, b = one_dim("transpose", dim0, x.ndim), one_dim("transpose", dim1, x.ndim)
    dims = list(range(x.ndim))
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(x, tuple(dims))


@public
def t(x: Tensor) -> Tensor:
    """Transpose of a matrix (a 0-d or 1-d tensor is returned as is)."""
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {tuple(x.shape)}; "
                         "use transpose(dim0, dim1) or permute")
    return transpose(x, 0, 1) if x.ndim == 2 else x


# ------------------------------------------------------------ expand
class Expand(Function):
    """y = x broadcast to a larger shape (no copy).

    Each element of x is used once per copy, so dL/dx is dL/dy summed over
    the broadcast axes, which Tensor.backward's un-broadcasting already does.
    """

    @staticmethod
    def forward(ctx: Node, x: Array, shape: tuple) -> Array:
        return backend.get_array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        return grad_out, None


@public
def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast x to ``sizes``; -1 keeps a dimension's size."""
    sizes = unpack_sizes(sizes)
    if len(sizes) < x.ndim:
        raise ValueError(f"expand: the number of sizes {sizes} must be at least the number of "
                         f"dimensions of the tensor, shape {tuple(x.shape)}")
    offset = len(sizes) - x.ndim
    shape = tuple(x.shape[i - offset] if n == -1 and i >= offset else n for i, n in enumerate(sizes))
    for i, size in enumerate(x.shape):
        if size != 1 and size != shape[i + offset]:
            raise ValueError(f"expand: cannot expand dimension {i} of size {size} to {shape[i + offset]} "
                             f"(shape {tuple(x.shape)} to {sizes}); only size-1 dimensions can grow")
    return Expand.apply(x, shape)


# ------------------------------------------------------------ cat / stack
class Cat(Function):
    """y = x_1, x_2, ... joined along an axis.   dL/dx_k = the slice of dL/dy that x_k filled."""

    @staticmethod
    def forward(ctx: Node, axis: int, *arrays: Array) -> Array:
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        # along axis 0: (n_1, D), (n_2, D), ... -> (n_1 + n_2 + ..., D)
        return backend.get_array_module(arrays[0]).concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        grads, start = [], 0
        for size in ctx.sizes:
            index = [slice(None)] * grad_out.ndim
            index[ctx.axis] = slice(start, start + size)
            grads.append(grad_out[tuple(index)])
            start += size
        return (None, *grads)


class Stack(Function):
    """y = x_1, x_2, ... stacked along a new axis.   dL/dx_k = dL/dy at position k of that axis."""

    @staticmethod
    def forward(ctx: Node, axis: int, *arrays: Array) -> Array:
        ctx.axis = axis
        return backend.get_array_module(arrays[0]).stack(arrays, axis=axis)  # k of (N, D) -> (k, N, D) at 0

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        xp = backend.get_array_module(grad_out)
        count = grad_out.shape[ctx.axis]
        return (None, *(xp.take(grad_out, k, axis=ctx.axis) for k in range(count)))  # (k, N, D) -> k of (N, D)


def _check_joinable(op_name: str, tensors: Sequence[Tensor]) -> None:
    if not tensors:
        raise ValueError(f"{op_name}: expected a non-empty sequence of tensors")
    for x in tensors:
        if not isinstance(x, Tensor):
            raise TypeError(f"{op_name}: expected tensors, got {type(x).__name__}")
    dtype_list = {str(x.dtype) for x in tensors}
    if len(dtype_list) > 1:
        raise TypeError(f"{op_name}: tensors must have the same dtype, got {sorted(dtype_list)}")


@public(method=False)
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; the other sizes must match."""
    _check_joinable("cat", tensors)
    first = tensors[0]
    axis = one_dim("cat", dim, first.ndim)
    for x in tensors[1:]:
        if x.ndim != first.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, first.shape)) if i != axis):
            raise ValueError(f"cat: sizes must match except in dimension {axis}, got shapes "
                             f"{[tuple(x.shape) for x in tensors]}")
    return Cat.apply(axis, *tensors)


@public(method=False)
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    _check_joinable("stack", tensors)
    shapes = {tuple(x.shape) for x in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {[tuple(x.shape) for x in tensors]}")
    axis = one_dim("stack", dim, tensors[0].ndim + 1)
    return Stack.apply(axis, *tensors)


# ------------------------------------------------------------ indexing
def is_basic_index(index: tuple) -> bool:
    """Ints, slices, None and Ellipsis select each element at most once."""
    return all(item is None or item is Ellipsis or isinstance(item, (int, slice)) for item in index)


class GetItem(Function):
    """y = x[index].

    dL/dx is zero except where x was read: there it receives dL/dy. An
    integer-array index may read one element several times, so the gradient
    is *scatter-added* (x[[0, 0]] gives element 0 a gradient of 2 dL/dy).
    """

    @staticmethod
    def forward(ctx: Node, x: Array, index: tuple) -> Array:
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        xp = backend.get_array_module(grad_out)
        grad = xp.zeros(ctx.shape, dtype=grad_out.dtype)
        if is_basic_index(ctx.index):
            grad[ctx.index] = grad_out
        else:
            scatter_add(grad, ctx.index, grad_out)
        return grad, None


def _index_part(item: Any, xp: Any, device: str) -> tuple:
    """One index item as what NumPy/CuPy indexing takes; bool masks become integer arrays.

    NumPy integers (``X[np.int64(2)]``, ``for i in np.random.permutation(n)``) and
    0-d integer tensors index like the Python int they hold, and a ``range`` like
    the list of its integers, as in PyTorch.
    """
    if isinstance(item, Tensor):
        item = item.array
    elif isinstance(item, (list, tuple)):
        item = backend.array_from_python(item, "index")
    elif isinstance(item, range):  # x[range(n), y]: the list of its integers, as PyTorch reads it
        item = backend.array_from_python(item, "index").astype("int64", copy=False)  # int64 even when empty
    elif is_numpy_int(item):
        return (int(item),)
    if backend.is_ndarray(item) and item.ndim == 0 and item.dtype.kind in "iu":
        return (int(item),)
    if backend.is_ndarray(item):
        item = backend.to_device(item, device)  # a cpu index may select from a cuda tensor
        if item.dtype.kind == "b":
            return tuple(xp.asarray(part) for part in item.nonzero())
        if item.dtype.kind not in "iu":
            raise IndexError(f"getitem: tensors used as indices must be integer or bool, got {item.dtype}")
        return (item,)
    if item is None or item is Ellipsis or isinstance(item, (int, slice)) and not isinstance(item, bool):
        return (item,)
    raise IndexError(f"getitem: unsupported index {item!r} (use ints, slices, None, ..., lists, ranges, "
                     "integer or bool tensors)")


def array_index(x: Tensor, index: Any, op_name: str) -> tuple:
    """``index`` (ints, slices, None, ..., lists, integer/bool tensors) as arrays on x's device.

    Out-of-range integers raise the same IndexError on every device (CuPy would
    wrap integer-array indices around silently).
    """
    xp = backend.get_array_module(x.array)
    items = index if isinstance(index, tuple) else (index,)
    parts: list = []
    for item in items:
        parts.extend(_index_part(item, xp, x.device))
    normalized = tuple(parts)
    try:
        check_indices_in_bounds(x.array, normalized)
    except IndexError as error:
        raise out_of_range(op_name, index, x, error) from None
    return normalized


def out_of_range(op_name: str, index: Any, x: Tensor, error: Exception) -> IndexError:
    """The IndexError for ``x[index]``, the same on every device (``error`` is NumPy's words)."""
    return IndexError(f"{op_name}: index {index!r} is out of range for a tensor of shape "
                      f"{tuple(x.shape)} ({error})")


@public(method=False)
def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index] with NumPy's rules; the gradient flows back to the selected elements."""
    normalized = array_index(x, index, "getitem")
    try:
        return GetItem.apply(x, normalized)
    except IndexError as error:
        raise out_of_range("getitem", index, x, error) from None


class SetItem(Function):
    """y = x with y[index] = value (``x[index] = value`` while gradients are recorded).

    dL/dx is dL/dy with the overwritten region zeroed (those values of x are gone);
    dL/dvalue is dL/dy read at index (summed back to value's shape where value was
    broadcast, like any broadcast input).
    """

    @staticmethod
    def forward(ctx: Node, x: Array, value: Array, index: tuple) -> Array:
        ctx.index = index
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_out.copy()
            grad_x[ctx.index] = 0
        grad_value = grad_out[ctx.index] if ctx.needs_input_grad[1] else None
        return grad_x, grad_value, None


def setitem(x: Tensor, index: Any, value: Any) -> Tensor:
    """A copy of x with value written at index: the graph-recording form of ``x[index] = value``."""
    normalized = array_index(x, index, "setitem")
    if isinstance(value, Tensor) and value.device != x.device:
        raise backend.DeviceError(f"setitem: the value is on {value.device}, the tensor on {x.device}")
    try:
        return SetItem.apply(x, value, normalized)
    except IndexError as error:
        raise out_of_range("setitem", index, x, error) from None
    except ValueError as error:
        raise ValueError(f"setitem: a value of shape {tuple(getattr(value, 'shape', ()))} cannot be written "
                         f"at index {index!r} of a tensor of shape {tuple(x.shape)} ({error})") from None


@public(method=False)
def numel(input: Tensor) -> int:  # noqa: A002
    """The number of elements of input (the product of its shape)."""
    return int(require_tensor("numel", input).array.size)
