"""Assignment 2: a Linear layer from scratch (read statement.md first).

    y = x @ weight.T + bias        x: (N, in_features), weight: (out_features, in_features),
                                   bias: (out_features,), y: (N, out_features)

You write the forward (Task 2.1), the three gradients (Tasks 2.2-2.4) and the Module
(Task 2.5). ``LinearFunction`` is given: it calls your functions. All arguments are
tinydl Tensors; use ``@``, ``.T``, ``.sum(dim=...)``, ``+``.

Grade it with:  python -m tinydl.coursework grade .
"""
import math

import tinydl
from tinydl import nn
from tinydl.autograd import Function


def linear_forward(x, weight, bias):
    """y = x W^T + b. x (N, in), weight (out, in), bias (out,) or None -> y (N, out)."""
    raise NotImplementedError("Task 2.1: linear_forward")


def grad_input(grad_out, weight):
    """dL/dx from grad_out = dL/dy (N, out) and weight (out, in) -> (N, in)."""
    raise NotImplementedError("Task 2.2: grad_input")


def grad_weight(grad_out, x):
    """dL/dW from grad_out (N, out) and x (N, in) -> (out, in), the shape of weight."""
    raise NotImplementedError("Task 2.3: grad_weight")


def grad_bias(grad_out):
    """dL/db from grad_out (N, out) -> (out,), the shape of bias."""
    raise NotImplementedError("Task 2.4: grad_bias")


class LinearFunction(Function):
    """The op: forward and backward call the functions above (nothing to write here)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return linear_forward(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        # Only the gradients that are needed are computed (bias may be None: no gradient then).
        return (grad_input(grad_out, weight) if needs_x else None,
                grad_weight(grad_out, x) if needs_weight else None,
                grad_bias(grad_out) if needs_bias else None)


class Linear(nn.Module):
    """A layer y = x W^T + b with learnable weight (out_features, in_features) and bias (out_features,).

    Initialised as PyTorch does: every weight and bias value uniform in [-k, k], k = 1/sqrt(in_features).
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        raise NotImplementedError("Task 2.5: Linear.__init__ (weight, bias as nn.Parameter)")

    def forward(self, x):
        raise NotImplementedError("Task 2.5: Linear.forward (through LinearFunction.apply)")
