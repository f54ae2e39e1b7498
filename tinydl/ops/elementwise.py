"""Elementwise arithmetic and math: + - * / **, exp, log, sqrt, abs.

Binary ops broadcast like NumPy. Their backward returns gradients with the
broadcast shape of the output; Tensor.backward sums them back down to each
input's shape (see ``unbroadcast`` in engine.py), so no op here has to.
Either operand may be a Python number; mixed dtypes are first promoted as
PyTorch promotes them (``promote`` in common.py).
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
import tinydl.dtypes as dtypes
from ..backend import Array
from ..engine import Node, Function, Tensor
from .arguments import check_out, write_out
from .common import Operand, as_float, promote, promote_and_apply
from .convert import cast
from .registry import public


# ------------------------------------------------------------ arithmetic
class Add(Function):
    """y = a + b.   dy/da = 1, dy/db = 1."""

    @staticmethod
    def forward(ctx: Node, a: Array, b: Array) -> Array:
        return a + b

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        return grad_out, grad_out


class Sub(Function):
    """y = a - b.   dy/da = 1, dy/db = -1."""

    @staticmethod
    def forward(ctx: Node, a: Array, b: Array) -> Array:
        return a - b

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """y = a * b.   dy/da = b, dy/db = a."""

    @staticmethod
    def forward(ctx: Node, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        a, b = ctx.saved_tensors
        grad_a = grad_out * b if ctx.needs_input_grad[0] else None
        grad_b = grad_out * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """y = a / b.   dy/da = 1/b, dy/db = -a/b^2 = -y/b.

    Dividing by 0 gives inf or nan without a warning, as in PyTorch (here and in
    every op below that can divide by zero, overflow, or take the log of 0).
    """

    @staticmethod
    def forward(ctx: Node, a: Array, b: Array) -> Array:
        with backend.quiet_floating_errors(backend.get_array_module(a)):
            out = a / b
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        b, out = ctx.saved_tensors
        grad_a = grad_out / b if ctx.needs_input_grad[0] else None
        grad_b = -grad_out * out / b if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Pow(Function):
    """y = a ** b.   dy/da = b * a^(b-1),  dy/db = y * ln(a).

    At a = 0 these formulas can meet 0 * inf. PyTorch's rules, followed here:
    dy/da = 0 wherever b = 0 (a^0 is the constant 1, not 0 * 0^-1 = nan), and
    dy/db = 0 at a = 0 for b >= 0 (y * ln a -> 0 as a -> 0+). Elsewhere the
    formula stands: at a = 0, d/da a^2 = 0, a^1 = 1, a^0.5 = inf, a^-1 = -inf.
    """

    @staticmethod
    def forward(ctx: Node, a: Array, b: Array) -> Array:
        with backend.quiet_floating_errors(backend.get_array_module(a)):
            out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        a, b, out = ctx.saved_tensors
        xp = backend.get_array_module(out)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            if backend.is_ndarray(b):
                grad_a = xp.where(b == 0, 0, grad_out * b * a ** (b - 1))
            elif b == 0:
                grad_a = xp.zeros_like(grad_out)
            else:  # x ** 2 and friends: the formula as it stands
                grad_a = grad_out * b * a ** (b - 1)
        if ctx.needs_input_grad[1]:
            log_a = xp.log(xp.asarray(a, dtype=out.dtype))  # a Python base stays in out's dtype
            grad_b = xp.where((a == 0) & (b >= 0), 0, grad_out * out * log_a)
        return grad_a, grad_b


class Neg(Function):
    """y = -x.   dy/dx = -1."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        return -x

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        return -grad_out


def _scaled(other: Operand, alpha: Any) -> Operand:
    """alpha * other, for add's and sub's alpha=."""
    return mul(other, alpha) if isinstance(other, Tensor) else other * alpha


@public
def add(input: Operand, other: Operand, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input + alpha * other, broadcasting; out= writes the result into an existing tensor."""
    if out is not None:
        check_out("add", out, input, other)
    result = promote_and_apply(Add, "add", input, other if alpha == 1 else _scaled(other, alpha))
    return result if out is None else write_out("add", result, out)


@public
def sub(input: Operand, other: Operand, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input - alpha * other, broadcasting; out= writes the result into an existing tensor."""
    if out is not None:
        check_out("sub", out, input, other)
    result = promote_and_apply(Sub, "sub", input, other if alpha == 1 else _scaled(other, alpha))
    return result if out is None else write_out("sub", result, out)


@public
def mul(input: Operand, other: Operand, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input * other elementwise, broadcasting; out= writes the result into an existing tensor."""
    if out is not None:
        check_out("mul", out, input, other)
    result = promote_and_apply(Mul, "mul", input, other)
    return result if out is None else write_out("mul", result, out)


@public
def div(input: Operand, other: Operand, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """True division; integer tensors give float32, as in PyTorch (NumPy would say float64)."""
    if out is not None:
        check_out("div", out, input, other)
    a, b = promote("div", input, other)
    tensor = a if isinstance(a, Tensor) else b
    if tensor.array.dtype.kind != "f":
        a, b = (cast(x, dtypes.get_default_dtype()) if isinstance(x, Tensor) else x for x in (a, b))
    result = promote_and_apply(Div, "div", a, b)
    return result if out is None else write_out("div", result, out)


@public
def pow(input: Operand, exponent: Operand, *, out: Tensor | None = None) -> Tensor:  # noqa: A001,A002
    """input ** exponent elementwise (either may be a number), broadcasting."""
    if out is not None:
        check_out("pow", out, input, exponent)
    result = promote_and_apply(Pow, "pow", input, exponent)
    return result if out is None else write_out("pow", result, out)


@public
def neg(x: Tensor) -> Tensor:
    """-x."""
    return Neg.apply(x)


# ------------------------------------------------------------ unary math
class Exp(Function):
    """y = e^x.   dy/dx = e^x = y.   (e^x overflows to inf silently, as in PyTorch.)"""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        xp = backend.get_array_module(x)
        with backend.quiet_floating_errors(xp):
            out = xp.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (out,) = ctx.saved_tensors
        return grad_out * out


class Log(Function):
    """y = ln x.   dy/dx = 1/x.   (ln 0 = -inf and its slope inf, silently, as in PyTorch.)"""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        xp = backend.get_array_module(x)
        with backend.quiet_floating_errors(xp):
            return xp.log(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out / x


class Sqrt(Function):
    """y = sqrt(x).   dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)   (inf at x = 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        xp = backend.get_array_module(x)
        with backend.quiet_floating_errors(xp):
            out = xp.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (out,) = ctx.saved_tensors
        return grad_out / (2 * out)


class Abs(Function):
    """y = |x|.   dy/dx = sign(x)  (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).abs(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out * backend.get_array_module(x).sign(x)


@public
def exp(x: Tensor) -> Tensor:
    """e^x elementwise; integer tensors give float32."""
    return Exp.apply(as_float("exp", x))


@public
def log(x: Tensor) -> Tensor:
    """Natural log elementwise (-inf at 0, nan below); integer tensors give float32."""
    return Log.apply(as_float("log", x))


@public
def sqrt(x: Tensor) -> Tensor:
    """Square root elementwise (nan below 0); integer tensors give float32."""
    return Sqrt.apply(as_float("sqrt", x))


@public
def abs(x: Tensor) -> Tensor:  # noqa: A001
    """|x| elementwise, in x's dtype."""
    return Abs.apply(x)
