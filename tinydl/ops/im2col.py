"""Sliding windows over images: the machinery under convolution and pooling.

A 2-d convolution, a max pool and an average pool all look at the same thing:
every ``kh x kw`` window of a (padded) image, placed every ``stride`` pixels,
its taps ``dilation`` pixels apart. This module builds those windows and
undoes them:

* :func:`windows` is *im2col* without a copy: a strided view of the padded
  input with shape (N, C, H_out, W_out, kh, kw). Window (i, j)'s tap (a, b)
  is pixel (i*sh + a*dh, j*sw + b*dw), so the view's strides are the input's
  row/column strides times those steps.
* :func:`col2im` is its backward: each window's gradient is added back onto
  the pixels it read. Overlapping windows (stride < kernel) read a pixel more
  than once, so the adds must accumulate: one strided ``+=`` per kernel tap
  (kh * kw of them, each over all windows at once) does exactly that.

Everything here works on raw arrays through ``xp`` (NumPy or CuPy): both have
``xp.pad`` and ``xp.lib.stride_tricks.as_strided``.
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend

Pair = tuple[int, int]
Padding = tuple[int, int, int, int]  # (top, bottom, left, right)


def spatial_pair(op_name: str, name: str, value: Any, minimum: int) -> Pair:
    """An int or a pair of ints as a (height, width) pair, each at least ``minimum``."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{op_name}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op_name}: {name} must be at least {minimum}, got {value!r}")
    return pair  # type: ignore[return-value]


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Windows that fit along one axis: floor((size + padding - dilation (kernel - 1) - 1) / stride) + 1.

    ``padding`` is the total added on both sides.
    """
    return (size + padding - dilation * (kernel - 1) - 1) // stride + 1


def pad_images(x: Any, padding: Padding, value: float = 0.0) -> Any:
    """(N, C, H, W) -> (N, C, H + top + bottom, W + left + right), filled with ``value``."""
    if not any(padding):
        return x
    xp = backend.get_array_module(x)
    top, bottom, left, right = padding
    return xp.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def unpad_images(x: Any, padding: Padding) -> Any:
    """Cut the padding off again: the backward of :func:`pad_images`."""
    top, bottom, left, right = padding
    return x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right]


def windows(x: Any, kernel: Pair, stride: Pair, dilation: Pair) -> Any:
    """All windows of x (N, C, H, W) as a view (N, C, H_out, W_out, kh, kw); nothing is copied.

    view[n, c, i, j, a, b] = x[n, c, i*sh + a*dh, j*sw + b*dw]
    """
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    h_out, w_out = output_size(h, kh, sh, 0, dh), output_size(w, kw, sw, 0, dw)
    stride_n, stride_c, stride_h, stride_w = x.strides  # bytes per step along each axis
    return xp.lib.stride_tricks.as_strided(
        x, shape=(n, c, h_out, w_out, kh, kw),
        strides=(stride_n, stride_c, stride_h * sh, stride_w * sw, stride_h * dh, stride_w * dw))


def col2im(grad_windows: Any, image_shape: tuple, stride: Pair, dilation: Pair) -> Any:
    """Add each window's gradient back onto the pixels it read: the backward of :func:`windows`.

    grad_windows (N, C, H_out, W_out, kh, kw) -> gradient of the image (N, C, H, W).
    Tap (a, b) of all windows reads the pixels a*dh + i*sh, b*dw + j*sw: one
    strided slice of the image. Looping over the kh*kw taps and adding into
    that slice accumulates the contributions of overlapping windows exactly.
    """
    xp = backend.get_array_module(grad_windows)
    _, _, h_out, w_out, kh, kw = grad_windows.shape
    (sh, sw), (dh, dw) = stride, dilation
    grad_image = xp.zeros(image_shape, dtype=grad_windows.dtype)
    for a in range(kh):
        rows = slice(a * dh, a * dh + sh * (h_out - 1) + 1, sh)
        for b in range(kw):
            columns = slice(b * dw, b * dw + sw * (w_out - 1) + 1, sw)
            grad_image[:, :, rows, columns] += grad_windows[:, :, :, :, a, b]
    return grad_image
