"""Assignment 5: LayerNorm and BatchNorm1d, as Functions (forward and backward by hand) and Modules.

Read statement.md first. Fill in every ``raise NotImplementedError("Task 5.x ...")``,
then grade with ``python -m tinydl.coursework grade .``

A ``tinydl.autograd.Function`` receives Tensors. Work on their NumPy arrays
(``x.detach().numpy()``), keep what backward needs on ``ctx`` (``ctx.x_hat = ...``),
and return ``tinydl.from_numpy(array)`` (it keeps the array's dtype: float32 stays float32).
backward returns one gradient per forward argument, None for ``eps``.
"""
from __future__ import annotations

import numpy as np

import tinydl
from tinydl import Tensor
from tinydl.autograd import Function
from tinydl.nn import Module, Parameter


class LayerNormFunction(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and var over the last axis.

    x: (..., D); weight, bias: (D,); y: (..., D). var is the biased variance (divided by D).
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
        raise NotImplementedError("Task 5.1: LayerNormFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        """Return (dL/dx, dL/dweight, dL/dbias, None): dL/dx (..., D), the other two (D,)."""
        raise NotImplementedError("Task 5.1: LayerNormFunction.backward")


class LayerNorm(Module):
    """PyTorch's nn.LayerNorm over the last dimension: Parameters weight = ones(D), bias = zeros(D)."""

    def __init__(self, normalized_shape: int, eps: float = 1e-5) -> None:
        super().__init__()
        raise NotImplementedError("Task 5.2: LayerNorm.__init__: the parameters weight and bias")

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError("Task 5.2: LayerNorm.forward, through LayerNormFunction.apply")


class BatchNormFunction(Function):
    """Training-mode batch normalization with the batch's own statistics.

    x: (N, C) or (N, C, L); weight, bias: (C,). For each channel c, the mean and the
    biased variance of all x[:, c] (and over L).
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
        raise NotImplementedError("Task 5.3: BatchNormFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        """Return (dL/dx, dL/dweight, dL/dbias, None)."""
        raise NotImplementedError("Task 5.3: BatchNormFunction.backward")


class BatchNorm1d(Module):
    """PyTorch's nn.BatchNorm1d(num_features, eps=1e-5, momentum=0.1).

    Parameters weight = ones(C), bias = zeros(C); buffers running_mean = zeros(C),
    running_var = ones(C) (``self.register_buffer(name, tensor)``).
    train(): normalize with the batch's statistics (BatchNormFunction) and update
        running = (1 - momentum) * running + momentum * (batch statistic),
        with the batch's *unbiased* variance for running_var.
    eval(): normalize with running_mean and running_var; change nothing.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        raise NotImplementedError("Task 5.4: BatchNorm1d.__init__: parameters and buffers")

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError("Task 5.4: BatchNorm1d.forward: train() and eval()")
