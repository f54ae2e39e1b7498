"""Elementwise arithmetic and math: + - * / **, exp, log, sqrt, abs, and dtype promotion.

Binary ops broadcast like NumPy. Their backward returns gradients with the
broadcast shape of the output; Tensor.backward sums them back down to each
input's shape (see ``unbroadcast`` in engine.py), so no op here has to.
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
import tinydl.dtypes as dtypes
from ..engine import Node, Function, Tensor
from .arguments import check_out, require_tensor, write_out
from .convert import cast

Operand = Any  # a Tensor or a Python number


# ------------------------------------------------------------ promotion
def promote(op_name: str, *operands: Operand) -> list:
    """Cast tensor operands to the dtype PyTorch's promotion rules give the result.

    Python numbers are left as they are: NumPy treats them as "weak" and keeps
    the tensors' dtype, which is what PyTorch does too. NumPy scalars
    (``np.sqrt(8)``, ``np.int64(2)``) become Python numbers first: NumPy would
    let a ``numpy.float64`` turn a float32 tensor into float64, PyTorch does not.
    """
    if not all(isinstance(x, Tensor) or type(x) in PYTHON_SCALARS for x in operands):
        operands = tuple(_as_operand(op_name, x) for x in operands)
    tensors = [(x.array.dtype, x.array.ndim) for x in operands if isinstance(x, Tensor)]
    if not tensors:
        raise TypeError(f"{op_name}: expected at least one tensor, got {[type(x).__name__ for x in operands]}")
    scalars = [x for x in operands if not isinstance(x, Tensor)]
    first = tensors[0][0]
    if all(dtype == first for dtype, _ in tensors) and (not scalars or first.kind == "f"):
        return list(operands)  # the common case: nothing to cast
    target = dtypes.result_dtype(tensors, scalars)
    return [cast(x, target) if isinstance(x, Tensor) else x for x in operands]


PYTHON_SCALARS = (bool, int, float)  # exact types: numpy.float64 subclasses float but is not weak


def python_scalar(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (np.float64(0.5) -> 0.5); anything else as is."""
    return value.item() if backend.is_numpy_scalar(value) else value


def _as_operand(op_name: str, x: Any) -> Operand:
    """ndarrays become (constant) tensors, numpy scalars Python numbers; anything else is an error."""
    if isinstance(x, Tensor) or type(x) in PYTHON_SCALARS:
        return x
    if backend.is_ndarray(x):
        return Tensor(x)
    if backend.is_numpy_scalar(x):
        return x.item()
    raise TypeError(f"{op_name}: expected a tensor or a Python number, got {type(x).__name__}")


def shape_of(x: Operand) -> tuple:
    return tuple(x.shape) if isinstance(x, Tensor) else ()


def binary(function: type, op_name: str, a: Operand, b: Operand) -> Tensor:
    """Apply a broadcasting binary Function after promotion, with a readable shape error."""
    a, b = promote(op_name, a, b)
    try:
        return function.apply(a, b)
    except ValueError as error:
        if "broadcast" in str(error):
            raise ValueError(f"{op_name}: shapes {shape_of(a)} and {shape_of(b)} cannot be broadcast "
                             "together (sizes must match or be 1, comparing from the last dimension)") from None
        raise


# ------------------------------------------------------------ arithmetic
class Add(Function):
    """y = a + b.   dy/da = 1, dy/db = 1."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        return a + b

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> tuple:
        return grad_out, grad_out


class Sub(Function):
    """y = a - b.   dy/da = 1, dy/db = -1."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> tuple:
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """y = a * b.   dy/da = b, dy/db = a."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> tuple:
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
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        with backend.quiet_floating_errors(backend.get_array_module(a)):
            out = a / b
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> tuple:
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
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        with backend.quiet_floating_errors(backend.get_array_module(a)):
            out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> tuple:
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
    def forward(ctx: Node, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> Any:
        return -grad_out


def _scaled(other: Operand, alpha: Any) -> Operand:
    """alpha * other, for add's and sub's alpha=."""
    return mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def add(input: Operand, other: Operand, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input + alpha * other, broadcasting; out= writes the result into an existing tensor."""
    if out is not None:
        check_out("add", out, input, other)
    result = binary(Add, "add", input, other if alpha == 1 else _scaled(other, alpha))
    return result if out is None else write_out("add", result, out)


def sub(input: Operand, other: Operand, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """input - alpha * other, broadcasting; out= writes the result into an existing tensor."""
    if out is not None:
        check_out("sub", out, input, other)
    result = binary(Sub, "sub", input, other if alpha == 1 else _scaled(other, alpha))
    return result if out is None else write_out("sub", result, out)


def mul(input: Operand, other: Operand, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    if out is not None:
        check_out("mul", out, input, other)
    result = binary(Mul, "mul", input, other)
    return result if out is None else write_out("mul", result, out)


def div(input: Operand, other: Operand, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """True division; integer tensors give float32, as in PyTorch (NumPy would say float64)."""
    if out is not None:
        check_out("div", out, input, other)
    a, b = promote("div", input, other)
    tensor = a if isinstance(a, Tensor) else b
    if tensor.array.dtype.kind != "f":
        a, b = (cast(x, dtypes.get_default_dtype()) if isinstance(x, Tensor) else x for x in (a, b))
    result = binary(Div, "div", a, b)
    return result if out is None else write_out("div", result, out)


def pow(input: Operand, exponent: Operand, *, out: Tensor | None = None) -> Tensor:  # noqa: A001,A002
    if out is not None:
        check_out("pow", out, input, exponent)
    result = binary(Pow, "pow", input, exponent)
    return result if out is None else write_out("pow", result, out)


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x)


# ------------------------------------------------------------ unary math
class Exp(Function):
    """y = e^x.   dy/dx = e^x = y.   (e^x overflows to inf silently, as in PyTorch.)"""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        xp = backend.get_array_module(x)
        with backend.quiet_floating_errors(xp):
            out = xp.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * out


class Log(Function):
    """y = ln x.   dy/dx = 1/x.   (ln 0 = -inf and its slope inf, silently, as in PyTorch.)"""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        xp = backend.get_array_module(x)
        with backend.quiet_floating_errors(xp):
            return xp.log(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out / x


class Sqrt(Function):
    """y = sqrt(x).   dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)   (inf at x = 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        xp = backend.get_array_module(x)
        with backend.quiet_floating_errors(xp):
            out = xp.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out / (2 * out)


class Abs(Function):
    """y = |x|.   dy/dx = sign(x)  (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).abs(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * backend.get_array_module(x).sign(x)


def float_only(op_name: str, x: Tensor) -> Tensor:
    """Math functions of integer tensors give float32, as in PyTorch."""
    require_tensor(op_name, x)
    return x if x.array.dtype.kind == "f" else cast(x, dtypes.get_default_dtype())


def exp(x: Tensor) -> Tensor:
    return Exp.apply(float_only("exp", x))


def log(x: Tensor) -> Tensor:
    return Log.apply(float_only("log", x))


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(float_only("sqrt", x))


def abs(x: Tensor) -> Tensor:  # noqa: A001
    return Abs.apply(x)
