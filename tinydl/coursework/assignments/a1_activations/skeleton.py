"""Assignment 1: activations as Functions (read statement.md first).

Each activation is a ``tinydl.autograd.Function``: ``forward`` computes y from x,
``backward`` turns dL/dy (``grad_out``) into dL/dx by the chain rule. Both receive
and return tinydl Tensors, so you may use any Tensor method (``x.exp()``,
``x.tanh()``, ``x.erf()``, ``*``, ``/``, ...). forward records no graph: the
gradient comes only from your backward.

Replace every ``raise NotImplementedError`` with your code, then grade it:

    python -m tinydl.coursework grade .
"""
import math

import tinydl
from tinydl.autograd import Function


class Sigmoid(Function):
    """y = sigmoid(x) = 1 / (1 + exp(-x)), elementwise; x of any shape."""

    @staticmethod
    def forward(ctx, x):
        raise NotImplementedError("Task 1.1: Sigmoid.forward")

    @staticmethod
    def backward(ctx, grad_out):
        # dL/dx = dL/dy * dy/dx; save what you need in forward (ctx.save_for_backward)
        raise NotImplementedError("Task 1.1: Sigmoid.backward")


class Tanh(Function):
    """y = tanh(x), elementwise."""

    @staticmethod
    def forward(ctx, x):
        raise NotImplementedError("Task 1.2: Tanh.forward")

    @staticmethod
    def backward(ctx, grad_out):
        raise NotImplementedError("Task 1.2: Tanh.backward")


class GELU(Function):
    """y = x * Phi(x), Phi the standard normal CDF: Phi(x) = (1 + erf(x / sqrt(2))) / 2.

    The exact GELU (PyTorch's default, approximate='none').
    """

    @staticmethod
    def forward(ctx, x):
        raise NotImplementedError("Task 1.3: GELU.forward")

    @staticmethod
    def backward(ctx, grad_out):
        raise NotImplementedError("Task 1.3: GELU.backward")
