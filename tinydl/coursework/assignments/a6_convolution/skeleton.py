"""Assignment 6: Conv2d via im2col, and MaxPool2d, with backward derived by hand.

Read statement.md first. Fill in every ``raise NotImplementedError("Task 6.x ...")``,
then grade with ``python -m tinydl.coursework grade .``

im2col and col2im work on NumPy arrays. The Functions receive Tensors: work on
``x.detach().numpy()``, keep what backward needs on ``ctx``, and return
``tinydl.from_numpy(array)``. backward returns one gradient per forward argument
(None for bias when it is None, and for stride, padding, kernel_size).
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
    (PyTorch's unfold order), where x_padded has `padding` zeros on every side (np.pad).
    """
    raise NotImplementedError("Task 6.1: im2col")


def col2im(cols: np.ndarray, x_shape: tuple[int, ...], kernel_size: tuple[int, int], stride: int,
           padding: int) -> np.ndarray:
    """The adjoint of im2col: (N, C*kh*kw, L) -> (N, C, H, W) = x_shape.

    Every value goes back to the pixel it was copied from; where patches overlap, the
    values add up. Work on a zero-padded array and cut the padding off at the end.
    """
    raise NotImplementedError("Task 6.1: col2im")


class Conv2dFunction(Function):
    """y[n, o, i, j] = sum_{c,a,b} weight[o, c, a, b] * x_padded[n, c, i*stride + a, j*stride + b] + bias[o].

    x: (N, C, H, W); weight: (O, C, kh, kw); bias: (O,) or None; y: (N, O, out_h, out_w).
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None, stride: int, padding: int) -> Tensor:
        raise NotImplementedError("Task 6.2: Conv2dFunction.forward, through im2col")

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        """Return (dL/dx, dL/dweight, dL/dbias or None, None, None)."""
        raise NotImplementedError("Task 6.2: Conv2dFunction.backward, through col2im")


class Conv2d(Module):
    """PyTorch's nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True).

    Parameters weight (O, C, kh, kw) and bias (O,) (None when bias=False), both drawn from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C * kh * kw. kernel_size: an int or (kh, kw).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int = 1, padding: int = 0, bias: bool = True) -> None:
        super().__init__()
        raise NotImplementedError("Task 6.3: Conv2d.__init__: the parameters")

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError("Task 6.3: Conv2d.forward, through Conv2dFunction.apply")


class MaxPool2dFunction(Function):
    """y[n, c, i, j] = max of x[n, c] over the kernel window at (i*stride, j*stride); no padding.

    x: (N, C, H, W); kernel_size: (kh, kw); y: (N, C, out_h, out_w).
    """

    @staticmethod
    def forward(ctx, x: Tensor, kernel_size: tuple[int, int], stride: int) -> Tensor:
        raise NotImplementedError("Task 6.4: MaxPool2dFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        """Return (dL/dx, None, None)."""
        raise NotImplementedError("Task 6.4: MaxPool2dFunction.backward")


class MaxPool2d(Module):
    """PyTorch's nn.MaxPool2d(kernel_size, stride=None): stride defaults to kernel_size."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | None = None) -> None:
        super().__init__()
        raise NotImplementedError("Task 6.4: MaxPool2d.__init__")

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError("Task 6.4: MaxPool2d.forward, through MaxPool2dFunction.apply")
