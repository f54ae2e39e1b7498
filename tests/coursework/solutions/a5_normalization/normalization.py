"""Assignment 5: LayerNorm and BatchNorm1d, as Functions (forward and backward by hand) and Modules.

Reference solution (repository only).
"""
from __future__ import annotations

import numpy as np

import tinydl
from tinydl import Tensor
from tinydl.autograd import Function
from tinydl.nn import Module, Parameter


def normalize(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[np.ndarray, np.ndarray]:
    """x_hat = (x - mean) / sqrt(var + eps) over ``axes`` (biased var), and 1 / sqrt(var + eps)."""
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return (x - mean) * inv_std, inv_std


def normalize_backward(grad_x_hat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray,
                       axes: tuple[int, ...]) -> np.ndarray:
    """dL/dx from dL/dx_hat: (1/sigma) * (g - mean(g) - x_hat * mean(g * x_hat)), means over ``axes``."""
    mean_grad = grad_x_hat.mean(axis=axes, keepdims=True)
    mean_grad_x_hat = (grad_x_hat * x_hat).mean(axis=axes, keepdims=True)
    return inv_std * (grad_x_hat - mean_grad - x_hat * mean_grad_x_hat)


class LayerNormFunction(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and var over the last axis.

    x: (..., D); weight, bias: (D,); y: (..., D).
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
        # Task 5.1
        x_hat, inv_std = normalize(x.detach().numpy(), (-1,), eps)
        weight = weight.detach().numpy()
        ctx.x_hat, ctx.inv_std, ctx.weight = x_hat, inv_std, weight
        return tinydl.from_numpy(x_hat * weight + bias.detach().numpy())

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        # Task 5.1
        grad_out = grad_out.numpy()
        leading_axes = tuple(range(grad_out.ndim - 1))           # every axis but the last: (..., D) -> (D,)
        grad_weight = (grad_out * ctx.x_hat).sum(axis=leading_axes)
        grad_bias = grad_out.sum(axis=leading_axes)
        grad_x = normalize_backward(grad_out * ctx.weight, ctx.x_hat, ctx.inv_std, (-1,))
        return tinydl.from_numpy(grad_x), tinydl.from_numpy(grad_weight), tinydl.from_numpy(grad_bias), None


class LayerNorm(Module):
    """PyTorch's nn.LayerNorm over the last dimension (normalized_shape = D), with weight and bias."""

    def __init__(self, normalized_shape: int, eps: float = 1e-5) -> None:
        super().__init__()
        # Task 5.2
        self.normalized_shape = (normalized_shape,)
        self.eps = eps
        self.weight = Parameter(tinydl.ones(normalized_shape))
        self.bias = Parameter(tinydl.zeros(normalized_shape))

    def forward(self, x: Tensor) -> Tensor:
        # Task 5.2
        return LayerNormFunction.apply(x, self.weight, self.bias, self.eps)


def batch_axes(ndim: int) -> tuple[int, ...]:
    """The axes BatchNorm1d averages over: (N, C) -> (0,), (N, C, L) -> (0, 2)."""
    return (0,) if ndim == 2 else (0, 2)


def per_channel(values: np.ndarray, ndim: int) -> np.ndarray:
    """Shape a (C,) vector to broadcast against (N, C) or (N, C, L)."""
    return values if ndim == 2 else values.reshape(-1, 1)


class BatchNormFunction(Function):
    """Training-mode batch normalization with the batch's own statistics.

    x: (N, C) or (N, C, L); weight, bias: (C,). Mean and (biased) variance over N (and L).
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
        # Task 5.3
        x = x.detach().numpy()
        axes = batch_axes(x.ndim)
        x_hat, inv_std = normalize(x, axes, eps)
        weight = per_channel(weight.detach().numpy(), x.ndim)
        ctx.x_hat, ctx.inv_std, ctx.weight, ctx.axes = x_hat, inv_std, weight, axes
        return tinydl.from_numpy(x_hat * weight + per_channel(bias.detach().numpy(), x.ndim))

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        # Task 5.3
        grad_out = grad_out.numpy()
        grad_weight = (grad_out * ctx.x_hat).sum(axis=ctx.axes)  # (N, C[, L]) -> (C,)
        grad_bias = grad_out.sum(axis=ctx.axes)
        grad_x = normalize_backward(grad_out * ctx.weight, ctx.x_hat, ctx.inv_std, ctx.axes)
        return tinydl.from_numpy(grad_x), tinydl.from_numpy(grad_weight), tinydl.from_numpy(grad_bias), None


class BatchNorm1d(Module):
    """PyTorch's nn.BatchNorm1d: batch statistics in train(), running statistics in eval()."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(tinydl.ones(num_features))
        self.bias = Parameter(tinydl.zeros(num_features))
        self.register_buffer("running_mean", tinydl.zeros(num_features))
        self.register_buffer("running_var", tinydl.ones(num_features))

    def forward(self, x: Tensor) -> Tensor:
        # Task 5.4
        if not self.training:
            shape = (1, self.num_features) + (1,) * (x.ndim - 2)
            mean = self.running_mean.reshape(shape)
            std = (self.running_var.reshape(shape) + self.eps).sqrt()
            return (x - mean) / std * self.weight.reshape(shape) + self.bias.reshape(shape)
        values = x.detach().numpy()
        axes = batch_axes(values.ndim)
        count = values.size // self.num_features                   # values per channel: N (or N * L)
        batch_mean = values.mean(axis=axes)
        unbiased_var = values.var(axis=axes) * count / (count - 1)
        with tinydl.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(tinydl.from_numpy(self.momentum * batch_mean))
            self.running_var.mul_(1 - self.momentum).add_(tinydl.from_numpy(self.momentum * unbiased_var))
        return BatchNormFunction.apply(x, self.weight, self.bias, self.eps)
