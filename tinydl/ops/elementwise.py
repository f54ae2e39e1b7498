"""Elementwise ops: arithmetic, activations, comparisons.

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
    tensors = [(x.data.dtype, x.data.ndim) for x in operands if isinstance(x, Tensor)]
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


def _shape_of(x: Operand) -> tuple:
    return tuple(x.shape) if isinstance(x, Tensor) else ()


def binary(function: type, op_name: str, a: Operand, b: Operand) -> Tensor:
    """Apply a broadcasting binary Function after promotion, with a readable shape error."""
    a, b = promote(op_name, a, b)
    try:
        return function.apply(a, b)
    except ValueError as error:
        if "broadcast" in str(error):
            raise ValueError(f"{op_name}: shapes {_shape_of(a)} and {_shape_of(b)} cannot be broadcast "
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
    if tensor.data.dtype.kind != "f":
        a, b = (cast(x, dtypes.DEFAULT_FLOAT) if isinstance(x, Tensor) else x for x in (a, b))
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


def _float_only(op_name: str, x: Tensor) -> Tensor:
    """Math functions of integer tensors give float32, as in PyTorch."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op_name}: expected a tensor, got {type(x).__name__}")
    return x if x.data.dtype.kind == "f" else cast(x, dtypes.DEFAULT_FLOAT)


def exp(x: Tensor) -> Tensor:
    return Exp.apply(_float_only("exp", x))


def log(x: Tensor) -> Tensor:
    return Log.apply(_float_only("log", x))


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(_float_only("sqrt", x))


def abs(x: Tensor) -> Tensor:  # noqa: A001
    return Abs.apply(x)


# ------------------------------------------------------------ activations
class ReLU(Function):
    """y = max(x, 0).   dy/dx = 1[x > 0]."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        out = backend.get_array_module(x).maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * (out > 0)


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x.   dy/dx = 1 if x > 0 else slope."""

    @staticmethod
    def forward(ctx: Context, x: Any, negative_slope: float) -> Any:
        xp = backend.get_array_module(x)
        positive = x > 0
        ctx.save_for_backward(positive)
        ctx.negative_slope = negative_slope
        return xp.where(positive, x, x * negative_slope)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        (positive,) = ctx.saved_tensors
        xp = backend.get_array_module(grad_out)
        return xp.where(positive, grad_out, grad_out * ctx.negative_slope), None


class Sigmoid(Function):
    """y = 1 / (1 + e^-x).   dy/dx = y (1 - y)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        xp = backend.get_array_module(x)
        # e^-|x| never overflows; for x < 0 rewrite 1/(1+e^-x) as e^x/(1+e^x).
        e = xp.exp(-xp.abs(x))
        out = xp.where(x >= 0, 1, e) / (1 + e)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * out * (1 - out)


class Tanh(Function):
    """y = tanh x.   dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        out = backend.get_array_module(x).tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * (1 - out * out)


class Clamp(Function):
    """y = min(max(x, low), high).   dy/dx = 1[low <= x <= high]."""

    @staticmethod
    def forward(ctx: Context, x: Any, low: float | None, high: float | None) -> Any:
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
    def backward(ctx: Context, grad_out: Any) -> tuple:
        (inside,) = ctx.saved_tensors
        return grad_out * inside, None, None


def relu(x: Tensor) -> Tensor:
    return ReLU.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU.apply(x, negative_slope)


def sigmoid(x: Tensor) -> Tensor:
    return Sigmoid.apply(_float_only("sigmoid", x))


def tanh(x: Tensor) -> Tensor:
    return Tanh.apply(_float_only("tanh", x))


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return Clamp.apply(x, min, max)


# ------------------------------------------------------------ selection
class Maximum(Function):
    """y = max(a, b) elementwise.   The gradient goes to the larger; ties split it in half."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return backend.get_array_module(a).maximum(a, b)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        a, b = ctx.saved_tensors
        share_a = (a > b) + 0.5 * (a == b)
        return grad_out * share_a, grad_out * (1 - share_a)


class Minimum(Function):
    """y = min(a, b) elementwise.   The gradient goes to the smaller; ties split it in half."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return backend.get_array_module(a).minimum(a, b)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        a, b = ctx.saved_tensors
        share_a = (a < b) + 0.5 * (a == b)
        return grad_out * share_a, grad_out * (1 - share_a)


class Where(Function):
    """y = a where cond else b.   dy/da = 1[cond], dy/db = 1[not cond]."""

    @staticmethod
    def forward(ctx: Context, condition: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(condition)
        return backend.get_array_module(condition).where(condition, a, b)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        (condition,) = ctx.saved_tensors
        zero = grad_out.dtype.type(0)
        xp = backend.get_array_module(grad_out)
        grad_a = xp.where(condition, grad_out, zero) if ctx.needs_input_grad[1] else None
        grad_b = xp.where(condition, zero, grad_out) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b


def maximum(a: Tensor, b: Tensor) -> Tensor:
    return binary(Maximum, "maximum", a, b)


def minimum(a: Tensor, b: Tensor) -> Tensor:
    return binary(Minimum, "minimum", a, b)


def where(condition: Tensor, a: Operand, b: Operand) -> Tensor:
    """Elementwise choice: a where condition is True, else b (all three broadcast)."""
    if not isinstance(condition, Tensor) or condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got "
                        f"{condition.dtype if isinstance(condition, Tensor) else type(condition).__name__}")
    a, b = promote("where", a, b)
    try:
        return Where.apply(condition, a, b)
    except ValueError as error:
        if "broadcast" in str(error):
            raise ValueError(f"where: shapes {_shape_of(condition)}, {_shape_of(a)} and {_shape_of(b)} "
                             "cannot be broadcast together") from None
        raise


# ------------------------------------------------------------ comparisons
def compare(op_name: str, a: Operand, b: Operand) -> Tensor:
    """A bool tensor, never part of the graph (comparisons have no gradient)."""
    a, b = promote(op_name, a, b)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.device != b.device:
        raise backend.DeviceError(f"{op_name}: expected both tensors on one device, got {a.device} and {b.device}")
    left = a.data if isinstance(a, Tensor) else a
    right = b.data if isinstance(b, Tensor) else b
    try:
        result = _COMPARISONS[op_name](left, right)
    except ValueError as error:
        if "broadcast" in str(error):
            raise ValueError(f"{op_name}: shapes {_shape_of(a)} and {_shape_of(b)} cannot be broadcast together") from None
        raise
    return Tensor(result)


_COMPARISONS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "logical_and": lambda a, b: a & b,
    "logical_or": lambda a, b: a | b,
    "logical_xor": lambda a, b: a ^ b,
}


def eq(a: Operand, b: Operand) -> Tensor:
    return compare("eq", a, b)


def ne(a: Operand, b: Operand) -> Tensor:
    return compare("ne", a, b)


def lt(a: Operand, b: Operand) -> Tensor:
    return compare("lt", a, b)


def le(a: Operand, b: Operand) -> Tensor:
    return compare("le", a, b)


def gt(a: Operand, b: Operand) -> Tensor:
    return compare("gt", a, b)


def ge(a: Operand, b: Operand) -> Tensor:
    return compare("ge", a, b)


def logical_and(a: Operand, b: Operand) -> Tensor:
    return compare("logical_and", a, b)


def logical_or(a: Operand, b: Operand) -> Tensor:
    return compare("logical_or", a, b)


def logical_xor(a: Operand, b: Operand) -> Tensor:
    return compare("logical_xor", a, b)


def logical_not(x: Tensor) -> Tensor:
    if x.dtype.kind not in "biu":
        raise TypeError(f"logical_not (~): expected a bool or integer tensor, got {x.dtype}")
    return Tensor(~x.data)
