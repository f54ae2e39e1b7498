"""Pooling: max_pool2d, avg_pool2d, adaptive_avg_pool2d, and their 1-d versions.

A pool summarises each window of an image (see ``im2col.py``) by one number:
its largest value or its mean. The backward sends each output's gradient
back to the pixels of its window: all of it to the winner for max, an equal
share to every pixel for the average; pixels that several (overlapping)
windows read add up their shares.

The 1-d versions treat a signal (N, C, L) as an image (N, C, 1, L).
"""
from __future__ import annotations

import math
from typing import Any

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .checks import shape_or_type
from .im2col import (Pair, Padding, output_size, pad_images, spatial_pair, tap_regions, unpad_images,
                     window_grid, windows)
from .registry import public
from .shape import squeeze, unsqueeze


class MaxPool2d(Function):
    """out[n, c, i, j] = max over the window (i, j) of x_pad[n, c].

    dL/dx = dL/dout at the window's largest element (the first one in row-major
    order, if tied, as PyTorch), 0 elsewhere; summed over the windows an element
    wins. Padding is -inf, so it never wins.

    Both directions loop over the kh*kw kernel taps: tap (a, b) of every window
    is one strided slice of x_pad (N, C, H_out, W_out), so the max is kh*kw - 1
    elementwise maximums and nothing is copied. Backward asks, tap by tap,
    which windows' maximum sits there and is still unclaimed (ties).
    """

    @staticmethod
    def forward(ctx: Node, x: Array, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> Array:
        xp = backend.get_array_module(x)
        x_padded = pad_images(x, padding, value=-math.inf)
        regions = tap_regions(kernel, stride, dilation, window_grid(x_padded.shape, kernel, stride, dilation))
        out = x_padded[regions[0][2]]
        for _, _, region in regions[1:]:
            out = xp.maximum(out, x_padded[region])                         # (N, C, Ho, Wo)
        ctx.save_for_backward(x_padded, out)
        ctx.regions, ctx.padding = regions, padding
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        x_padded, out = ctx.saved_tensors
        xp = backend.get_array_module(grad_out)
        grad_x = xp.zeros_like(x_padded, dtype=grad_out.dtype)  # in x's memory order (see Conv2d)
        unclaimed = xp.ones(out.shape, dtype=bool)                          # (N, C, Ho, Wo)
        for _, _, region in ctx.regions:
            winner_here = (x_padded[region] == out) & unclaimed
            unclaimed &= ~winner_here
            grad_x[region] += grad_out * winner_here
        return unpad_images(grad_x, ctx.padding), None, None, None, None


class AvgPool2d(Function):
    """out[n, c, i, j] = (sum over the window (i, j) of x_pad[n, c]) / divisor[i, j].

    dL/dx_pad = dL/dout[i, j] / divisor[i, j] for every element of window
    (i, j), summed over the windows that hold it. ``divisor`` is kh*kw, the
    count of real (non-padding) elements in each window (H_out, W_out), or a
    number the user chose. Like max pooling, a loop over the kernel taps.
    """

    @staticmethod
    def forward(ctx: Node, x: Array, kernel: Pair, stride: Pair, padding: Padding,
                divisor: int | Array) -> Array:
        x_padded = pad_images(x, padding)
        regions = tap_regions(kernel, stride, (1, 1), window_grid(x_padded.shape, kernel, stride, (1, 1)))
        total = x_padded[regions[0][2]]
        for _, _, region in regions[1:]:
            total = total + x_padded[region]                                # (N, C, Ho, Wo)
        ctx.padded_shape, ctx.regions, ctx.padding, ctx.divisor = x_padded.shape, regions, padding, divisor
        return total / divisor

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        xp = backend.get_array_module(grad_out)
        share = grad_out / ctx.divisor                                       # (N, C, Ho, Wo)
        grad_x = xp.zeros(ctx.padded_shape, dtype=grad_out.dtype)
        for _, _, region in ctx.regions:
            grad_x[region] += share
        return unpad_images(grad_x, ctx.padding), None, None, None, None


class AdaptiveAvgPool2d(Function):
    """out = A_h x A_w^T per image: the average over bins that tile the image into (h_out, w_out).

    Bin i of an axis of size S covers [floor(i S / s_out), ceil((i+1) S / s_out)),
    as in PyTorch. Averaging over a bin is multiplying by a matrix A (s_out, S)
    whose row i holds 1/len(bin i) on the bin, so with x (N, C, H, W):

        out = A_h @ x @ A_w^T          (N, C, h_out, w_out)
        dL/dx = A_h^T @ dL/dout @ A_w  (N, C, H, W)
    """

    @staticmethod
    def forward(ctx: Node, x: Array, rows: Array, columns: Array) -> Array:
        ctx.save_for_backward(rows, columns)
        return rows @ x @ columns.T

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        rows, columns = ctx.saved_tensors
        return rows.T @ grad_out @ columns, None, None


def adaptive_bins(xp: Any, size: int, out_size: int, dtype: Any) -> Array:
    """The (out_size, size) averaging matrix of AdaptiveAvgPool2d along one axis."""
    matrix = xp.zeros((out_size, size), dtype=dtype)
    for i in range(out_size):
        start, end = (i * size) // out_size, -((-(i + 1) * size) // out_size)  # floor, ceil
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


# ------------------------------------------------------------ argument checks
def _images(op_name: str, input: Tensor) -> None:  # noqa: A002
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise ValueError(f"{op_name}: expected input (N, C, H, W) or unbatched (C, H, W), got "
                         f"{shape_or_type(input)}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op_name}: input must be floating-point, got {input.dtype} (use .float())")


_UNSUPPORTED = {
    "ceil_mode": "it computes floor-mode windows only; pad the bottom/right of the input for the last window",
    "return_indices": "its backward finds the winning elements itself",
}


def _unsupported(op_name: str, **options: Any) -> None:
    for name, value in options.items():
        if value:
            raise NotImplementedError(f"{op_name}: {name}=True is not supported by tinydl "
                                      f"({_UNSUPPORTED[name]})")


def _window_arguments(op_name: str, input: Tensor, kernel_size: Any, stride: Any, padding: Any,  # noqa: A002
                      dilation: Any) -> tuple[Pair, Pair, Padding, Pair]:
    """Kernel, stride (default: the kernel), padding (at most half the window) and dilation, checked."""
    kernel = spatial_pair(op_name, "kernel_size", kernel_size, minimum=1)
    stride = kernel if stride is None or stride == [] else spatial_pair(op_name, "stride", stride, minimum=1)
    pad = spatial_pair(op_name, "padding", padding, minimum=0)
    dilation = spatial_pair(op_name, "dilation", dilation, minimum=1)
    for p, k, d in zip(pad, kernel, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise ValueError(f"{op_name}: pad should be at most half of effective kernel size, but got "
                             f"padding={padding}, kernel_size={kernel_size} and dilation={dilation}")
    sizes = [output_size(size, k, s, 2 * p, d) for size, k, s, p, d in
             zip(input.shape[-2:], kernel, stride, pad, dilation)]
    if min(sizes) < 1:
        raise ValueError(f"{op_name}: input of shape {tuple(input.shape)} is too small for kernel_size="
                         f"{kernel_size}, padding={padding}, dilation={dilation} (output would be "
                         f"{sizes[0]} x {sizes[1]})")
    return kernel, stride, (pad[0], pad[0], pad[1], pad[1]), dilation


def _batched(op: Any, input: Tensor, *args: Any) -> Tensor:  # noqa: A002
    """Run op on (N, C, H, W); an unbatched (C, H, W) input gets a batch of one and loses it again."""
    if input.ndim == 3:
        return squeeze(op(unsqueeze(input, 0), *args), 0)
    return op(input, *args)


# ------------------------------------------------------------ user-facing
@public(method=False)
def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Largest value of each kh x kw window, every ``stride`` (default: kernel_size) pixels."""
    _images("max_pool2d", input)
    _unsupported("max_pool2d", ceil_mode=ceil_mode, return_indices=return_indices)
    arguments = _window_arguments("max_pool2d", input, kernel_size, stride, padding, dilation)
    return _batched(MaxPool2d.apply, input, *arguments)


@public(method=False)
def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean of each kh x kw window; with count_include_pad=False the zero padding is not counted."""
    _images("avg_pool2d", input)
    _unsupported("avg_pool2d", ceil_mode=ceil_mode)
    kernel, stride, padding, _ = _window_arguments("avg_pool2d", input, kernel_size, stride, padding, 1)
    if divisor_override is not None:
        if not isinstance(divisor_override, int) or divisor_override < 1:
            raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got {divisor_override!r}")
        divisor: Any = divisor_override
    elif count_include_pad or not any(padding):
        divisor = kernel[0] * kernel[1]
    else:  # count the real pixels of each window: pool an image of ones padded with zeros
        xp = backend.get_array_module(input.array)
        ones = pad_images(xp.ones((1, 1) + tuple(input.shape[-2:]), dtype=input.dtype), padding)
        divisor = windows(ones, kernel, stride, (1, 1)).sum(axis=(4, 5))[0, 0]   # (Ho, Wo)
    return _batched(AvgPool2d.apply, input, kernel, stride, padding, divisor)


def _output_pair(output_size: Any, input_shape: tuple) -> Pair:
    single = output_size is None or isinstance(output_size, int)
    sizes = (output_size, output_size) if single else tuple(output_size)
    if len(sizes) != 2:
        raise TypeError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(input_shape[-2 + k] if s is None else s for k, s in enumerate(sizes))
    if not all(isinstance(s, int) and s >= 1 for s in sizes):
        raise ValueError(f"adaptive_avg_pool2d: output_size must hold positive ints (or None), "
                         f"got {output_size!r}")
    return sizes  # type: ignore[return-value]


@public(method=False)
def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Average over bins chosen so that the output is exactly output_size (h_out, w_out).

    output_size=1 is global average pooling: one number per channel.
    """
    _images("adaptive_avg_pool2d", input)
    h_out, w_out = _output_pair(output_size, input.shape)
    xp = backend.get_array_module(input.array)
    rows = adaptive_bins(xp, input.shape[-2], h_out, input.dtype)
    columns = adaptive_bins(xp, input.shape[-1], w_out, input.dtype)
    return AdaptiveAvgPool2d.apply(input, rows, columns)


# ------------------------------------------------------------ 1-d: a signal is an image of height 1
def _signal_as_image(op_name: str, input: Tensor) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise ValueError(f"{op_name}: expected input (N, C, L) or unbatched (C, L), got "
                         f"{shape_or_type(input)}")
    return unsqueeze(input, -2)  # (N, C, L) -> (N, C, 1, L)


def _height_one(value: Any) -> Any:
    """A 1-d size (an int or a 1-tuple) as the (1, size) pair of the image it becomes."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return value if value is None else (1, value)


@public(method=False)
def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Largest value of each window of a signal (N, C, L) or (C, L)."""
    image = _signal_as_image("max_pool1d", input)
    padding = (0, padding[0] if isinstance(padding, (tuple, list)) else padding)
    return squeeze(max_pool2d(image, _height_one(kernel_size), _height_one(stride), padding,
                              _height_one(dilation), ceil_mode, return_indices), -2)


@public(method=False)
def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean of each window of a signal (N, C, L) or (C, L)."""
    image = _signal_as_image("avg_pool1d", input)
    padding = (0, padding[0] if isinstance(padding, (tuple, list)) else padding)
    return squeeze(avg_pool2d(image, _height_one(kernel_size), _height_one(stride), padding, ceil_mode,
                              count_include_pad), -2)


@public(method=False)
def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Average over bins chosen so that the signal's length becomes output_size."""
    image = _signal_as_image("adaptive_avg_pool1d", input)
    return squeeze(adaptive_avg_pool2d(image, _height_one(output_size)), -2)
