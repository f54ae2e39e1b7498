"""Assignment 6: Conv2d via im2col, and MaxPool2d, with backward derived by hand.

Reference solution (repository only).
"""
from __future__ import annotations

import math

import numpy as np

import tinydl
from tinydl import Tensor
from tinydl.autograd import Function
from tinydl.nn import Module, Parameter


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """How many positions a kernel takes along one axis: (size + 2 * padding - kernel) // stride + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x: np.ndarray, kernel_size: tuple[int, int], stride: int, padding: int) -> np.ndarray:
    """Every kernel-sized patch of x as a column: (N, C, H, W) -> (N, C*kh*kw, L), L = out_h * out_w.

    Row c*kh*kw + a*kw + b of column l = i*out_w + j holds x_padded[n, c, i*stride + a, j*stride + b]
    (PyTorch's unfold order).
    """
    # Task 6.1
    n, channels, height, width = x.shape
    kh, kw = kernel_size
    out_h, out_w = output_size(height, kh, stride, padding), output_size(width, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((n, channels, kh, kw, out_h, out_w), dtype=x.dtype)
    for a in range(kh):            # one strided slice per kernel offset: kh*kw copies, not L loops
        for b in range(kw):
            cols[:, :, a, b] = padded[:, :, a:a + stride * out_h:stride, b:b + stride * out_w:stride]
    return cols.reshape(n, channels * kh * kw, out_h * out_w)


def col2im(cols: np.ndarray, x_shape: tuple[int, ...], kernel_size: tuple[int, int], stride: int,
           padding: int) -> np.ndarray:
    """The adjoint of im2col: (N, C*kh*kw, L) -> (N, C, H, W), adding up where patches overlap."""
    # Task 6.1
    n, channels, height, width = x_shape
    kh, kw = kernel_size
    out_h, out_w = output_size(height, kh, stride, padding), output_size(width, kw, stride, padding)
    cols = cols.reshape(n, channels, kh, kw, out_h, out_w)
    padded = np.zeros((n, channels, height + 2 * padding, width + 2 * padding), dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            padded[:, :, a:a + stride * out_h:stride, b:b + stride * out_w:stride] += cols[:, :, a, b]
    return padded[:, :, padding:padding + height, padding:padding + width]


class Conv2dFunction(Function):
    """y[n, o, i, j] = sum_{c,a,b} weight[o, c, a, b] * x_padded[n, c, i*stride + a, j*stride + b] + bias[o].

    x: (N, C, H, W); weight: (O, C, kh, kw); bias: (O,) or None; y: (N, O, out_h, out_w).
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None, stride: int, padding: int) -> Tensor:
        # Task 6.2
        x, weight = x.detach().numpy(), weight.detach().numpy()
        out_channels, _, kh, kw = weight.shape
        cols = im2col(x, (kh, kw), stride, padding)                  # (N, C*kh*kw, L)
        weight_matrix = weight.reshape(out_channels, -1)             # (O, C*kh*kw)
        y = weight_matrix @ cols                                     # (N, O, L)
        if bias is not None:
            y = y + bias.detach().numpy().reshape(-1, 1)
        ctx.cols, ctx.weight_matrix = cols, weight_matrix
        ctx.x_shape, ctx.weight_shape = x.shape, weight.shape
        ctx.stride, ctx.padding, ctx.has_bias = stride, padding, bias is not None
        out_h = output_size(x.shape[2], kh, stride, padding)
        return tinydl.from_numpy(y.reshape(y.shape[0], out_channels, out_h, -1))   # (N, O, out_h, out_w)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        # Task 6.2
        grad_y = grad_out.numpy().reshape(grad_out.shape[0], grad_out.shape[1], -1)     # (N, O, L)
        grad_weight = (grad_y @ ctx.cols.transpose(0, 2, 1)).sum(axis=0)              # (O, C*kh*kw)
        grad_cols = ctx.weight_matrix.T @ grad_y                                       # (N, C*kh*kw, L)
        kernel_size = ctx.weight_shape[2:]
        grad_x = col2im(grad_cols, ctx.x_shape, kernel_size, ctx.stride, ctx.padding)
        grad_bias = tinydl.from_numpy(grad_y.sum(axis=(0, 2))) if ctx.has_bias else None
        return (tinydl.from_numpy(grad_x), tinydl.from_numpy(grad_weight.reshape(ctx.weight_shape)),
                grad_bias, None, None)


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


class Conv2d(Module):
    """PyTorch's nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int = 1, padding: int = 0, bias: bool = True) -> None:
        super().__init__()
        # Task 6.3
        kh, kw = pair(kernel_size)
        self.stride, self.padding = stride, padding
        bound = 1 / math.sqrt(in_channels * kh * kw)      # PyTorch's default: U(-1/sqrt(fan_in), ...)
        self.weight = Parameter(tinydl.rand(out_channels, in_channels, kh, kw) * 2 * bound - bound)
        self.bias = Parameter(tinydl.rand(out_channels) * 2 * bound - bound) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        # Task 6.3
        return Conv2dFunction.apply(x, self.weight, self.bias, self.stride, self.padding)


class MaxPool2dFunction(Function):
    """y[n, c, i, j] = max of x[n, c] over the kernel window at (i*stride, j*stride); no padding.

    The gradient goes to the element that was the max of each window (summed where windows overlap).
    """

    @staticmethod
    def forward(ctx, x: Tensor, kernel_size: tuple[int, int], stride: int) -> Tensor:
        # Task 6.4
        x = x.detach().numpy()
        n, channels, height, width = x.shape
        # Pool each channel on its own: (N, C, H, W) -> (N*C, 1, H, W) -> (N*C, kh*kw, L)
        cols = im2col(x.reshape(n * channels, 1, height, width), kernel_size, stride, 0)
        argmax = cols.argmax(axis=1)                                  # (N*C, L): which element of each window
        y = np.take_along_axis(cols, argmax[:, None, :], axis=1)      # (N*C, 1, L)
        ctx.argmax, ctx.cols_shape, ctx.x_shape = argmax, cols.shape, x.shape
        ctx.kernel_size, ctx.stride = kernel_size, stride
        out_h = output_size(height, kernel_size[0], stride, 0)
        return tinydl.from_numpy(y.reshape(n, channels, out_h, -1))

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        # Task 6.4
        n, channels, height, width = ctx.x_shape
        grad_y = grad_out.numpy().reshape(n * channels, 1, -1)                   # (N*C, 1, L)
        grad_cols = np.zeros(ctx.cols_shape, dtype=grad_y.dtype)
        np.put_along_axis(grad_cols, ctx.argmax[:, None, :], grad_y, axis=1)     # only the max gets it
        grad_x = col2im(grad_cols, (n * channels, 1, height, width), ctx.kernel_size, ctx.stride, 0)
        return tinydl.from_numpy(grad_x.reshape(ctx.x_shape)), None, None


class MaxPool2d(Module):
    """PyTorch's nn.MaxPool2d(kernel_size, stride=None): stride defaults to kernel_size."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | None = None) -> None:
        super().__init__()
        # Task 6.4
        self.kernel_size = pair(kernel_size)
        self.stride = stride if stride is not None else self.kernel_size[0]

    def forward(self, x: Tensor) -> Tensor:
        # Task 6.4
        return MaxPool2dFunction.apply(x, self.kernel_size, self.stride)
