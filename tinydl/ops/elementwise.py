"""Elementwise arithmetic and math: + - * / **, exp, log, sqrt, abs, and dtype promotion.

Binary ops broadcast like NumPy. Their backward returns gradients with the
broadcast shape of the output; Tensor.backward sums them back down to each
input's shape (see ``unbroadcast`` in tensor.py), so no op here has to.
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
import tinydl.dtypes as dtypes
from ..tensor import Context, Function, Tensor
from .convert import cast

Operand = Any  # a Tensor or a Python number


# ------------------------------------------------------------ promotion
def promote(op_name: str, *operands: Operand) -> list:
    """Cast tensor operands to the dtype PyTorch's promotion rules give the result.

    Python numbers are left as they are: NumPy treats them as "weak" and keeps
    the tensors' dtype, which is what PyTorch does too.
    """
    if not all(isinstance(x, (Tensor, bool, int, float)) for x in operands):
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


def _as_operand(op_name: str, x: Any) -> Operand:
    """ndarrays become (constant) tensors, numpy scalars Python numbers; anything else is an error."""
    if isinstance(x, (Tensor, bool, int, float)):
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
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        return a + b

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        return grad_out, grad_out


class Sub(Function):
    """y = a - b.   dy/da = 1, dy/db = -1."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """y = a * b.   dy/da = b, dy/db = a."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        a, b = ctx.saved_tensors
        grad_a = grad_out * b if ctx.needs_input_grad[0] else None
        grad_b = grad_out * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """y = a / b.   dy/da = 1/b, dy/db = -a/b^2 = -y/b."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        out = a / b
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        b, out = ctx.saved_tensors
        grad_a = grad_out / b if ctx.needs_input_grad[0] else None
        grad_b = -grad_out * out / b if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Pow(Function):
    """y = a ** b.   dy/da = b * a^(b-1),  dy/db = y * ln(a)  (a > 0)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        a, b, out = ctx.saved_tensors
        grad_a = grad_out * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        grad_b = None
        if ctx.needs_input_grad[1]:
            xp = backend.get_array_module(out)
            grad_b = grad_out * out * xp.log(a)
        return grad_a, grad_b


class Neg(Function):
    """y = -x.   dy/dx = -1."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> Any:
        return -grad_out


def add(a: Operand, b: Operand) -> Tensor:
    return binary(Add, "add", a, b)


def sub(a: Operand, b: Operand) -> Tensor:
    return binary(Sub, "sub", a, b)


def mul(a: Operand, b: Operand) -> Tensor:
    return binary(Mul, "mul", a, b)


def div(a: Operand, b: Operand) -> Tensor:
    """True division; integer tensors give float32, as in PyTorch (NumPy would say float64)."""
    a, b = promote("div", a, b)
    tensor = a if isinstance(a, Tensor) else b
    if tensor.array.dtype.kind != "f":
        a, b = (cast(x, dtypes.get_default_dtype()) if isinstance(x, Tensor) else x for x in (a, b))
    return binary(Div, "div", a, b)


def pow(a: Operand, b: Operand) -> Tensor:  # noqa: A001  (PyTorch's name)
    return binary(Pow, "pow", a, b)


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x)


# ------------------------------------------------------------ unary math
class Exp(Function):
    """y = e^x.   dy/dx = e^x = y."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        out = backend.get_array_module(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * out


class Log(Function):
    """y = ln x.   dy/dx = 1/x."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).log(x)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out / x


class Sqrt(Function):
    """y = sqrt(x).   dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        out = backend.get_array_module(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out / (2 * out)


class Abs(Function):
    """y = |x|.   dy/dx = sign(x)  (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).abs(x)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * backend.get_array_module(x).sign(x)


def float_only(op_name: str, x: Tensor) -> Tensor:
    """Math functions of integer tensors give float32, as in PyTorch."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op_name}: expected a tensor, got {type(x).__name__}")
    return x if x.array.dtype.kind == "f" else cast(x, dtypes.get_default_dtype())


def exp(x: Tensor) -> Tensor:
    return Exp.apply(float_only("exp", x))


def log(x: Tensor) -> Tensor:
    return Log.apply(float_only("log", x))


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(float_only("sqrt", x))


def abs(x: Tensor) -> Tensor:  # noqa: A001
    return Abs.apply(x)
