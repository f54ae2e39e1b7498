"""Activations and selection: relu, leaky_relu, sigmoid, tanh, clamp, maximum, minimum, where.

Their derivatives are 0/1 masks or simple functions of the output, which is
why most of them save their output (or a mask) rather than their input.
"""
from __future__ import annotations

import tinydl.backend as backend
import tinydl.dtypes as dtypes
from ..backend import Array
from ..engine import Node, Function, Tensor
from .arguments import require_tensor
from .common import (PYTHON_SCALARS, Operand, as_float, broadcast_error, promote, promote_and_apply,
                     python_scalar, stable_sigmoid)
from .registry import public


# ------------------------------------------------------------ activations
class ReLU(Function):
    """y = max(x, 0).   dy/dx = 1[x > 0]."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        out = backend.get_array_module(x).maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (out,) = ctx.saved_tensors
        return grad_out * (out > 0)


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x.   dy/dx = 1 if x > 0 else slope."""

    @staticmethod
    def forward(ctx: Node, x: Array, negative_slope: float) -> Array:
        xp = backend.get_array_module(x)
        positive = x > 0
        ctx.save_for_backward(positive)
        ctx.negative_slope = negative_slope
        return xp.where(positive, x, x * negative_slope)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (positive,) = ctx.saved_tensors
        xp = backend.get_array_module(grad_out)
        return xp.where(positive, grad_out, grad_out * ctx.negative_slope), None


class Sigmoid(Function):
    """y = 1 / (1 + e^-x).   dy/dx = y (1 - y)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        out = stable_sigmoid(x)  # e^-x would overflow for x < -88 (float32)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (out,) = ctx.saved_tensors
        return grad_out * out * (1 - out)


class Tanh(Function):
    """y = tanh x.   dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        out = backend.get_array_module(x).tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (out,) = ctx.saved_tensors
        return grad_out * (1 - out * out)


class Clamp(Function):
    """y = min(max(x, low), high).   dy/dx = 1[low <= x <= high]."""

    @staticmethod
    def forward(ctx: Node, x: Array, low: float | None, high: float | None) -> Array:
        xp = backend.get_array_module(x)
        inside = xp.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        ctx.save_for_backward(inside)
        out = x if low is None else xp.maximum(x, low)
        return out if high is None else xp.minimum(out, high)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (inside,) = ctx.saved_tensors
        return grad_out * inside, None, None


@public
def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise."""
    return ReLU.apply(require_tensor("relu", x))


@public(method=False)
def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return LeakyReLU.apply(require_tensor("leaky_relu", x), python_scalar(negative_slope))


@public
def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x) elementwise, without overflow for large |x|."""
    return Sigmoid.apply(as_float("sigmoid", x))


@public
def tanh(x: Tensor) -> Tensor:
    """tanh x elementwise."""
    return Tanh.apply(as_float("tanh", x))


@public(aliases=("clip",))
def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """x limited to [min, max] (either bound may be None); also called clip."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return Clamp.apply(require_tensor("clamp", x), python_scalar(min), python_scalar(max))  # np.float64 bounds keep x's dtype


# ------------------------------------------------------------ selection
class Maximum(Function):
    """y = max(a, b) elementwise.   The gradient goes to the larger; ties split it in half."""

    @staticmethod
    def forward(ctx: Node, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return backend.get_array_module(a).maximum(a, b)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        a, b = ctx.saved_tensors
        return _to_the_winner(grad_out, a > b, a == b)


class Minimum(Function):
    """y = min(a, b) elementwise.   The gradient goes to the smaller; ties split it in half."""

    @staticmethod
    def forward(ctx: Node, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return backend.get_array_module(a).minimum(a, b)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        a, b = ctx.saved_tensors
        return _to_the_winner(grad_out, a < b, a == b)


def _to_the_winner(grad_out: Array, a_wins: Array, tied: Array) -> tuple[Array, Array]:
    """(dL/da, dL/db) of maximum or minimum: all of dL/dy to the winner, half each on a tie."""
    share_a = a_wins + 0.5 * tied
    return grad_out * share_a, grad_out * (1 - share_a)


class Where(Function):
    """y = a where cond else b.   dy/da = 1[cond], dy/db = 1[not cond]."""

    @staticmethod
    def forward(ctx: Node, condition: Array, a: Array, b: Array) -> Array:
        ctx.save_for_backward(condition)
        return backend.get_array_module(condition).where(condition, a, b)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (condition,) = ctx.saved_tensors
        zero = grad_out.dtype.type(0)
        xp = backend.get_array_module(grad_out)
        grad_a = xp.where(condition, grad_out, zero) if ctx.needs_input_grad[1] else None
        grad_b = xp.where(condition, zero, grad_out) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b


@public
def maximum(a: Tensor, b: Tensor) -> Tensor:
    """The larger of a and b elementwise, broadcasting; on a tie each gets half the gradient."""
    return promote_and_apply(Maximum, "maximum", a, b)


@public
def minimum(a: Tensor, b: Tensor) -> Tensor:
    """The smaller of a and b elementwise, broadcasting; on a tie each gets half the gradient."""
    return promote_and_apply(Minimum, "minimum", a, b)


@public(method=False)
def where(condition: Tensor, a: Operand, b: Operand) -> Tensor:
    """Elementwise choice: a where condition is True, else b (all three broadcast; a and b
    may be tensors or numbers)."""
    if not isinstance(condition, Tensor) or condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got "
                        f"{condition.dtype if isinstance(condition, Tensor) else type(condition).__name__}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        # where(cond, 1.0, 0.0): the numbers' default dtype (float32, int64 or bool), as in PyTorch
        a, b = python_scalar(a), python_scalar(b)
        for value in (a, b):
            if type(value) not in PYTHON_SCALARS:
                raise TypeError(f"where: expected tensors or numbers for the two branches, "
                                f"got {type(value).__name__}")
        xp = backend.get_array_module(condition.array)
        a = Tensor(xp.asarray(a, dtype=dtypes.result_dtype([], [a, b])))
    a, b = promote("where", a, b)
    try:
        return Where.apply(condition, a, b)
    except ValueError as error:
        raise broadcast_error("where", error, condition, a, b) from None
