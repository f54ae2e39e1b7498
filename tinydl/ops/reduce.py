"""Reductions along dimensions: sum, mean, max/min, var/std, logsumexp, softmax.

``dim`` is an int, a tuple of ints, or None (all dimensions); ``keepdim``
keeps the reduced dimensions with size 1 (NumPy's ``axis=``/``keepdims=``
are accepted too, as PyTorch accepts them). A reduction's backward first
puts the removed dimensions back (``restore_dims``, in common.py) so the gradient
broadcasts against the input.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import tinydl.backend as backend
import tinydl.return_types as return_types
from ..backend import Array
from ..engine import Node, Function, Tensor
from .activation import maximum, minimum  # max(x, other): the elementwise overload
from .arguments import numpy_names
from .common import Dim, normalize_dims, restore_dims, stable_logsumexp
from .convert import cast
from .registry import public


class Sum(Function):
    """y = sum of x over axes.   dy/dx_i = 1: the gradient is copied to every summed element."""

    @staticmethod
    def forward(ctx: Node, x: Array, axes: tuple | None, keepdim: bool) -> Array:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return backend.get_array_module(x).asarray(x.sum(axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        xp = backend.get_array_module(grad_out)
        grad = restore_dims(grad_out, ctx.axes, ctx.keepdim, len(ctx.shape))  # e.g. (N,) -> (N, 1)
        return xp.broadcast_to(grad, ctx.shape), None, None                   # (N, 1) -> (N, D)


class Mean(Sum):
    """y = (1/n) sum of x over axes.   dy/dx_i = 1/n: Sum's gradient, divided by n."""

    @staticmethod
    def forward(ctx: Node, x: Array, axes: tuple | None, keepdim: bool) -> Array:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return backend.get_array_module(x).asarray(x.mean(axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        return Sum.backward(ctx, grad_out / _count(ctx.shape, ctx.axes))


def _count(shape: tuple, axes: tuple | None) -> int:
    """How many elements each reduced value covers (the n of mean and var)."""
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axes)


@public
@numpy_names
def sum(x: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all if None). Bool and integer tensors sum to int64, as PyTorch."""
    axes = normalize_dims("sum", dim, x.ndim)
    if x.dtype.kind in "biu":
        x = cast(x, "int64")
    return Sum.apply(x, axes, keepdim)


@public
@numpy_names
def mean(x: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:
    """Mean over ``dim`` (all if None). Floating-point tensors only, as PyTorch."""
    if x.dtype.kind != "f":
        raise TypeError(f"mean: input dtype must be floating point, got {x.dtype}; "
                        "call .float() first (e.g. (pred == y).float().mean())")
    return Mean.apply(x, normalize_dims("mean", dim, x.ndim), keepdim)


# --------------------------------------------------------------- max / min
class ExtremeAlongDim(Function):
    """values = x at ``index`` (the argmax for max, the argmin for min) along one axis.

    d values / dx = 1 at the chosen element, 0 elsewhere: the gradient goes
    only to the element that was picked.
    """

    @staticmethod
    def forward(ctx: Node, x: Array, index_kept: Array, axis: int, keepdim: bool) -> Array:
        xp = backend.get_array_module(x)
        values = xp.take_along_axis(x, index_kept, axis=axis)       # (N, D) along 1 -> (N, 1)
        ctx.axis, ctx.keepdim, ctx.shape = axis, keepdim, x.shape
        ctx.save_for_backward(index_kept)
        return values if keepdim else values.squeeze(axis)          # (N, 1) -> (N,)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (index_kept,) = ctx.saved_tensors
        xp = backend.get_array_module(grad_out)
        grad = grad_out if ctx.keepdim else xp.expand_dims(grad_out, ctx.axis)  # (N,) -> (N, 1)
        positions = xp.arange(ctx.shape[ctx.axis]).reshape(
            [-1 if d == ctx.axis else 1 for d in range(len(ctx.shape))])      # (D,) -> (1, D)
        chosen = positions == index_kept  # one-hot along the axis: (1, D) == (N, 1) -> (N, D)
        return xp.where(chosen, grad, grad.dtype.type(0)), None, None, None


class ExtremeOfAll(Function):
    """y = the largest (max) or smallest (min) of all elements.

    dy/dx = 1 at that element, 0 elsewhere; tied elements share it equally (as PyTorch's max()).
    """

    @staticmethod
    def forward(ctx: Node, x: Array, largest: bool) -> Array:
        xp = backend.get_array_module(x)
        out = xp.asarray(x.max() if largest else x.min())
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        x, out = ctx.saved_tensors
        chosen = x == out
        return chosen * (grad_out / chosen.sum()), None


def _extreme(op_name: str, x: Tensor, dim: int | None, keepdim: bool, largest: bool) -> Any:
    if x.numel() == 0:
        raise ValueError(f"{op_name}: cannot reduce an empty tensor of shape {tuple(x.shape)}")
    if dim is None:
        return ExtremeOfAll.apply(x, largest)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op_name}: dim must be an int, got {dim!r}")
    (axis,) = normalize_dims(op_name, dim, x.ndim)
    xp = backend.get_array_module(x.array)
    result_type = return_types.max if largest else return_types.min
    if x.ndim == 0:
        return result_type(x, Tensor(xp.zeros((), dtype="int64")))
    index_kept = xp.expand_dims((xp.argmax if largest else xp.argmin)(x.array, axis=axis), axis)
    values = ExtremeAlongDim.apply(x, index_kept, axis, keepdim)
    indices = index_kept if keepdim else index_kept.squeeze(axis)
    return result_type(values, Tensor(indices.astype("int64", copy=False)))


def _elementwise_overload(op_name: str, x: Tensor, dim: Any, keepdim: bool, other: Tensor | None) -> Any:
    """The tensor ``other`` of ``max(x, other)`` / ``min(x, other)`` (given in dim's place or by name), else None.

    PyTorch overloads max/min: a Tensor second argument means the elementwise
    maximum/minimum (``torch.max(X, zeros)`` is d2l's relu), an int means dim.
    """
    if isinstance(dim, Tensor):
        if other is not None:
            raise TypeError(f"{op_name}(): got a tensor for dim and other=; pass the other tensor once")
        other = dim
    if other is not None and (keepdim or (dim is not None and dim is not other)):
        raise TypeError(f"{op_name}(input, other) takes no dim or keepdim: it is the elementwise "
                        f"{'maximum' if op_name == 'max' else 'minimum'} of two tensors")
    return other


@public
@numpy_names
def max(x: Tensor, dim: Any = None, keepdim: bool = False, *, other: Tensor | None = None) -> Any:  # noqa: A001
    """max(x): the largest element. max(x, dim): the named tuple (values, indices) along dim.
    max(x, other) with a tensor ``other``: the elementwise maximum, = tinydl.maximum(x, other)."""
    other = _elementwise_overload("max", x, dim, keepdim, other)
    if other is not None:
        return maximum(x, other)
    return _extreme("max", x, dim, keepdim, largest=True)


@public
@numpy_names
def min(x: Tensor, dim: Any = None, keepdim: bool = False, *, other: Tensor | None = None) -> Any:  # noqa: A001
    """min(x): the smallest element. min(x, dim): the named tuple (values, indices) along dim.
    min(x, other) with a tensor ``other``: the elementwise minimum, = tinydl.minimum(x, other)."""
    other = _elementwise_overload("min", x, dim, keepdim, other)
    if other is not None:
        return minimum(x, other)
    return _extreme("min", x, dim, keepdim, largest=False)


def _arg_extreme(op_name: str, x: Tensor, dim: int | None, keepdim: bool, largest: bool) -> Tensor:
    xp = backend.get_array_module(x.array)
    pick = xp.argmax if largest else xp.argmin
    if dim is None:
        index = xp.asarray(pick(x.array))
        if keepdim:
            index = index.reshape((1,) * x.ndim)
    else:
        (axis,) = normalize_dims(op_name, dim, x.ndim)
        index = pick(x.array, axis=axis) if x.ndim else xp.asarray(0)
        if keepdim and x.ndim:
            index = xp.expand_dims(index, axis)
    return Tensor(xp.asarray(index, dtype="int64"))


@public
@numpy_names
def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (flattened if dim is None). No gradient."""
    return _arg_extreme("argmax", x, dim, keepdim, largest=True)


@public
@numpy_names
def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (flattened if dim is None). No gradient."""
    return _arg_extreme("argmin", x, dim, keepdim, largest=False)


# --------------------------------------------------------------- variance
class Var(Function):
    """y = sum (x - mean)^2 / (n - correction).   dy/dx_i = 2 (x_i - mean) / (n - correction).

    With n - correction <= 0 (one element, correction 1) y is nan, and so is
    its gradient, as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Node, x: Array, axes: tuple | None, correction: int, keepdim: bool) -> Array:
        xp = backend.get_array_module(x)
        # Shift by one element of each slice first: a constant slice then centres to exactly 0
        # (x - mean(x) alone leaves rounding noise, 0.1 * 3 / 3 != 0.1), so its std is exactly
        # 0 and gets std's zero gradient, as in PyTorch.
        first = tuple(slice(0, 1) if axes is None or axis in axes else slice(None) for axis in range(x.ndim))
        shifted = x - x[first] if x.ndim else x - x  # (a 0-d x[()] would be a NumPy scalar)
        centered = shifted - shifted.mean(axis=axes, keepdims=True)
        divisor = builtins.max(_count(x.shape, axes) - correction, 0)
        ctx.save_for_backward(centered)
        ctx.axes, ctx.keepdim, ctx.divisor = axes, keepdim, divisor
        with backend.quiet_floating_errors(xp):  # 0/0 = nan for divisor 0, without a warning
            return xp.asarray((centered * centered).sum(axis=axes, keepdims=keepdim) / divisor)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        return _variance_grad(ctx, grad_out), None, None, None


def _variance_grad(ctx: Node, grad_var: Array) -> Array:
    """d var / dx = 2 (x - mean) / (n - correction), times the incoming gradient."""
    centered = ctx.saved_tensors[0]
    grad = restore_dims(grad_var, ctx.axes, ctx.keepdim, centered.ndim)
    scale = 2 / ctx.divisor if ctx.divisor else math.inf  # 2/0 is inf, as in PyTorch's double math
    with backend.quiet_floating_errors(backend.get_array_module(centered)):
        return grad * scale * centered


class Std(Function):
    """y = sqrt(var(x)).   dy/dx_i = (x_i - mean) / ((n - correction) y).

    A constant slice has y = 0 and x_i - mean = 0: the formula says 0/0, and
    sqrt(var) composed from two ops would give nan. std has a kink there, as
    |x| has at 0, and PyTorch picks the gradient 0 (as abs does); so does this op.
    """

    @staticmethod
    def forward(ctx: Node, x: Array, axes: tuple | None, correction: int, keepdim: bool) -> Array:
        xp = backend.get_array_module(x)
        variance = Var.forward(ctx, x, axes, correction, keepdim)  # saves centered, axes, divisor
        out = xp.sqrt(variance)
        ctx.save_for_backward(*ctx.saved_tensors, out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        out = ctx.saved_tensors[1]
        xp = backend.get_array_module(out)
        grad_var = xp.where(out == 0, 0, grad_out / (2 * out))  # d sqrt(v)/dv = 1 / (2 sqrt(v))
        return _variance_grad(ctx, grad_var), None, None, None


def _correction(op_name: str, x: Tensor, unbiased: bool | None, correction: int | None) -> int:
    if x.dtype.kind != "f":
        raise TypeError(f"{op_name}: input dtype must be floating point, got {x.dtype}")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return correction


@public
@numpy_names
def var(x: Tensor, dim: Dim = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """Variance over ``dim``; divides by n - 1 unless unbiased=False (or correction=0)."""
    return Var.apply(x, normalize_dims("var", dim, x.ndim), _correction("var", x, unbiased, correction),
                     keepdim)


@public
@numpy_names
def std(x: Tensor, dim: Dim = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """Standard deviation: sqrt(var(...)) with the same arguments; gradient 0 where it is 0."""
    return Std.apply(x, normalize_dims("std", dim, x.ndim), _correction("std", x, unbiased, correction),
                     keepdim)


# --------------------------------------------------------------- logsumexp
class LogSumExp(Function):
    """y = log sum_i e^{x_i}.   dy/dx_i = e^{x_i - y} = softmax(x)_i.

    Entries of -inf (masked out) get gradient 0. A slice that is all -inf has
    y = -inf and, as in PyTorch, a nan gradient (e^{-inf - (-inf)}).
    """

    @staticmethod
    def forward(ctx: Node, x: Array, axes: tuple | None, keepdim: bool) -> Array:
        with backend.quiet_floating_errors(backend.get_array_module(x)):
            out_kept = stable_logsumexp(x, axes)                   # (N, D) along 1 -> (N, 1)
        ctx.save_for_backward(x, out_kept)
        if keepdim:
            return out_kept
        return out_kept.reshape(()) if axes is None else out_kept.squeeze(axes)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        x, out_kept = ctx.saved_tensors
        xp = backend.get_array_module(x)
        grad = grad_out.reshape(out_kept.shape)                    # (N,) -> (N, 1)
        return grad * xp.exp(x - out_kept), None, None             # (N, 1) * (N, D) -> (N, D)


@public
@numpy_names
def logsumexp(x: Tensor, dim: Dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x), dim)), finite even for logits of +-1e4."""
    return LogSumExp.apply(x, normalize_dims("logsumexp", dim, x.ndim), keepdim)
