"""Reference solution of assignment 1 (activations as Functions)."""
import math

import tinydl
from tinydl.autograd import Function


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)); dy/dx = y (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        y = 1 / (1 + (-x).exp())
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return grad_out * y * (1 - y)


class Tanh(Function):
    """y = tanh(x); dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        y = x.tanh()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return grad_out * (1 - y * y)


class GELU(Function):
    """y = x Phi(x); dy/dx = Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 0.5 * (1 + (x / math.sqrt(2)).erf())

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        cdf = 0.5 * (1 + (x / math.sqrt(2)).erf())
        density = (-0.5 * x * x).exp() / math.sqrt(2 * math.pi)
        return grad_out * (cdf + x * density)
