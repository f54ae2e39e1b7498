"""The rest of the elementwise math table: trigonometry, logs and powers, erf.

Each op is one Function with its derivative under its forward. Integer and
bool inputs become float32 first, as in PyTorch (``tinydl.sin(tinydl.arange(3))``
is float32), except for ``square``, whose result is an integer anyway.
Rounding and ``sign`` are in rounding.py.
"""
from __future__ import annotations

import math
from typing import Any

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .arguments import require_tensor
from .common import as_float
from .convert import cast
from .registry import public
from .special import erf_array


# ------------------------------------------------------------ trigonometry
class Sin(Function):
    """y = sin x.   dy/dx = cos x."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).sin(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out * backend.get_array_module(x).cos(x)


class Cos(Function):
    """y = cos x.   dy/dx = -sin x."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).cos(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return -grad_out * backend.get_array_module(x).sin(x)


class Tan(Function):
    """y = tan x.   dy/dx = 1 / cos^2 x = 1 + y^2."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        out = backend.get_array_module(x).tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (out,) = ctx.saved_tensors
        return grad_out * (1 + out * out)


class Asin(Function):
    """y = arcsin x  (|x| <= 1).   dy/dx = 1 / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).arcsin(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out / backend.get_array_module(x).sqrt(1 - x * x)


class Acos(Function):
    """y = arccos x  (|x| <= 1).   dy/dx = -1 / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).arccos(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return -grad_out / backend.get_array_module(x).sqrt(1 - x * x)


class Atan(Function):
    """y = arctan x.   dy/dx = 1 / (1 + x^2)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).arctan(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out / (1 + x * x)


class Sinh(Function):
    """y = sinh x = (e^x - e^-x) / 2.   dy/dx = cosh x."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).sinh(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out * backend.get_array_module(x).cosh(x)


class Cosh(Function):
    """y = cosh x = (e^x + e^-x) / 2.   dy/dx = sinh x."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).cosh(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out * backend.get_array_module(x).sinh(x)


# ------------------------------------------------------------ logs and exponentials
class Log1p(Function):
    """y = ln(1 + x), accurate for tiny x.   dy/dx = 1 / (1 + x)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).log1p(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out / (1 + x)


class Expm1(Function):
    """y = e^x - 1, accurate for tiny x.   dy/dx = e^x = y + 1."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        out = backend.get_array_module(x).expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (out,) = ctx.saved_tensors
        return grad_out * (out + 1)


class Log2(Function):
    """y = log2 x = ln x / ln 2.   dy/dx = 1 / (x ln 2)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).log2(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out / (x * math.log(2))


class Log10(Function):
    """y = log10 x = ln x / ln 10.   dy/dx = 1 / (x ln 10)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return backend.get_array_module(x).log10(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out / (x * math.log(10))


class Erf(Function):
    """y = erf x = (2/sqrt(pi)) integral_0^x e^(-t^2) dt.   dy/dx = (2/sqrt(pi)) e^(-x^2)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return erf_array(x)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out * (2 / math.sqrt(math.pi)) * backend.get_array_module(x).exp(-x * x)


# ------------------------------------------------------------ powers
class Reciprocal(Function):
    """y = 1 / x.   dy/dx = -1 / x^2 = -y^2."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        out = 1 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (out,) = ctx.saved_tensors
        return -grad_out * out * out


class Rsqrt(Function):
    """y = 1 / sqrt(x).   dy/dx = -1 / (2 x^(3/2)) = -y^3 / 2."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        out = 1 / backend.get_array_module(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (out,) = ctx.saved_tensors
        return grad_out * (-0.5 * out * out * out)


class Square(Function):
    """y = x^2.   dy/dx = 2x."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        (x,) = ctx.saved_tensors
        return grad_out * 2 * x


# ------------------------------------------------------------ the functions users call
def _nan_outside_domain(function: type, op_name: str, x: Any) -> Tensor:
    """asin(2), log2(-1), 1/0: nan or inf without a NumPy warning, as PyTorch gives them."""
    x = as_float(op_name, x)
    with backend.quiet_floating_errors(backend.get_array_module(x.array)):
        return function.apply(x)


@public
def sin(input: Tensor) -> Tensor:  # noqa: A002  (PyTorch's argument name)
    return Sin.apply(as_float("sin", input))


@public
def cos(input: Tensor) -> Tensor:  # noqa: A002
    return Cos.apply(as_float("cos", input))


@public
def tan(input: Tensor) -> Tensor:  # noqa: A002
    return Tan.apply(as_float("tan", input))


@public(aliases=("arcsin",))
def asin(input: Tensor) -> Tensor:  # noqa: A002
    """arcsin, nan outside [-1, 1] (as PyTorch)."""
    return _nan_outside_domain(Asin, "asin", input)


@public(aliases=("arccos",))
def acos(input: Tensor) -> Tensor:  # noqa: A002
    """arccos, nan outside [-1, 1] (as PyTorch)."""
    return _nan_outside_domain(Acos, "acos", input)


@public(aliases=("arctan",))
def atan(input: Tensor) -> Tensor:  # noqa: A002
    return Atan.apply(as_float("atan", input))


@public
def sinh(input: Tensor) -> Tensor:  # noqa: A002
    return Sinh.apply(as_float("sinh", input))


@public
def cosh(input: Tensor) -> Tensor:  # noqa: A002
    return Cosh.apply(as_float("cosh", input))


@public
def log1p(input: Tensor) -> Tensor:  # noqa: A002
    return _nan_outside_domain(Log1p, "log1p", input)


@public
def expm1(input: Tensor) -> Tensor:  # noqa: A002
    return Expm1.apply(as_float("expm1", input))


@public
def log2(input: Tensor) -> Tensor:  # noqa: A002
    return _nan_outside_domain(Log2, "log2", input)


@public
def log10(input: Tensor) -> Tensor:  # noqa: A002
    return _nan_outside_domain(Log10, "log10", input)


@public
def erf(input: Tensor) -> Tensor:  # noqa: A002
    """The error function; 0.5 * (1 + erf(x / sqrt(2))) is the normal CDF that GELU uses."""
    return Erf.apply(as_float("erf", input))


@public
def reciprocal(input: Tensor) -> Tensor:  # noqa: A002
    """1 / x (inf at 0); integer tensors give float32."""
    return _nan_outside_domain(Reciprocal, "reciprocal", input)


@public
def rsqrt(input: Tensor) -> Tensor:  # noqa: A002
    """1 / sqrt(x); integer tensors give float32."""
    return _nan_outside_domain(Rsqrt, "rsqrt", input)


@public
def square(input: Tensor) -> Tensor:  # noqa: A002
    """x * x; integer tensors stay integer, bool becomes int64 (as PyTorch)."""
    input = require_tensor("square", input)
    if input.array.dtype.kind == "b":
        input = cast(input, "int64")
    return Square.apply(input)

