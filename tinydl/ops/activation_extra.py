"""Smooth activations of modern networks: gelu, silu, softplus, elu.

Each replaces ReLU's corner at 0 with a curve, so its derivative is a
function rather than a 0/1 mask; each saves its input for backward.
"""
from __future__ import annotations

import math

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .common import as_float, stable_sigmoid
from .registry import public
from .special import erf_array


# ------------------------------------------------------------ GELU
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_SCALE, _TANH_CUBIC = math.sqrt(2 / math.pi), 0.044715


class GELU(Function):
    """y = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2 the standard normal CDF.

    dy/dx = Phi(x) + x phi(x),   phi(x) = e^(-x^2/2) / sqrt(2 pi)
    """

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        cdf = 0.5 * (1 + erf_array(x * _SQRT_HALF))
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        x, cdf = ctx.saved_tensors
        xp = backend.get_array_module(x)
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return grad_out * (cdf + x * pdf)


class GELUTanh(Function):
    """y = x (1 + tanh u) / 2,  u = sqrt(2/pi) (x + 0.044715 x^3)  (GELU's tanh approximation).

    dy/dx = (1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2
    """

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        xp = backend.get_array_module(x)
        tanh_u = xp.tanh(_TANH_SCALE * (x + _TANH_CUBIC * x * x * x))
        ctx.save_for_backward(x, tanh_u)
        return 0.5 * x * (1 + tanh_u)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        x, tanh_u = ctx.saved_tensors
        du_dx = _TANH_SCALE * (1 + 3 * _TANH_CUBIC * x * x)
        return grad_out * (0.5 * (1 + tanh_u) + 0.5 * x * (1 - tanh_u * tanh_u) * du_dx)


@public(method=False)
def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """Gaussian Error Linear Unit x Phi(x); approximate="tanh" uses the tanh formula."""
    if approximate == "none":
        return GELU.apply(as_float("gelu", input))
    if approximate == "tanh":
        return GELUTanh.apply(as_float("gelu", input))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


# ------------------------------------------------------------ SiLU, softplus, ELU
class SiLU(Function):
    """y = x sigmoid(x) (also called swish).   dy/dx = s (1 + x (1 - s)),  s = sigmoid(x)."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        s = stable_sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        x, s = ctx.saved_tensors
        return grad_out * (s * (1 + x * (1 - s)))


class Softplus(Function):
    """y = log(1 + e^(beta x)) / beta, and y = x where beta x > threshold (as PyTorch).

    dy/dx = sigmoid(beta x), and 1 where beta x > threshold.
    """

    @staticmethod
    def forward(ctx: Node, x: Array, beta: float, threshold: float) -> Array:
        xp = backend.get_array_module(x)
        z = x * beta
        linear = z > threshold
        ctx.save_for_backward(z, linear)
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): never overflows
        smooth = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        return xp.where(linear, x, smooth)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        z, linear = ctx.saved_tensors
        xp = backend.get_array_module(z)
        return grad_out * xp.where(linear, 1, stable_sigmoid(z)), None, None


class ELU(Function):
    """y = x if x > 0 else alpha (e^x - 1).   dy/dx = 1 if x > 0 else alpha e^x."""

    @staticmethod
    def forward(ctx: Node, x: Array, alpha: float) -> Array:
        xp = backend.get_array_module(x)
        positive = x > 0
        exp_part = alpha * xp.exp(xp.minimum(x, 0))  # min: no overflow on the branch where() drops
        ctx.save_for_backward(positive, exp_part)
        return xp.where(positive, x, exp_part - alpha)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        positive, exp_part = ctx.saved_tensors
        xp = backend.get_array_module(grad_out)
        return grad_out * xp.where(positive, 1, exp_part), None


@public(method=False)
def silu(input: Tensor) -> Tensor:  # noqa: A002
    """x sigmoid(x)."""
    return SiLU.apply(as_float("silu", input))


@public(method=False)
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """A smooth ReLU, log(1 + e^(beta x)) / beta; linear where beta x > threshold."""
    if beta == 0:
        raise ValueError("softplus: beta must not be 0 (it divides by beta)")
    return Softplus.apply(as_float("softplus", input), beta, threshold)


@public(method=False)
def elu(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """x for x > 0, alpha (e^x - 1) below: smooth at 0 when alpha = 1, and saturates at -alpha."""
    return ELU.apply(as_float("elu", input), alpha)
