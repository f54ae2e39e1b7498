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
  (kh * kw of them, each over all windows at once; :func:`tap_regions`) does
  exactly that. Pooling uses the same tap-by-tap loop forward too: the max
  or sum of kh * kw strided slices needs no copy at all.

Everything here works on raw arrays through ``xp`` (NumPy or CuPy): both have
``xp.lib.stride_tricks.as_strided``.
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
from ..backend import Array

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


def window_grid(image_shape: tuple, kernel: Pair, stride: Pair, dilation: Pair) -> Pair:
    """(H_out, W_out): how many windows fit down and across an (already padded) image (N, C, H, W)."""
    return (output_size(image_shape[-2], kernel[0], stride[0], 0, dilation[0]),
            output_size(image_shape[-1], kernel[1], stride[1], 0, dilation[1]))


def pad_images(x: Array, padding: Padding, value: float = 0.0) -> Array:
    """(N, C, H, W) -> (N, C, H + top + bottom, W + left + right), the border filled with ``value``."""
    if not any(padding):
        return x
    xp = backend.get_array_module(x)
    top, bottom, left, right = padding
    n, c, h, w = x.shape
    padded = xp.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    padded[:, :, top:top + h, left:left + w] = x
    return padded


def unpad_images(x: Array, padding: Padding) -> Array:
    """Cut the padding off again: the backward of :func:`pad_images`."""
    top, bottom, left, right = padding
    return x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right]


def windows(x: Array, kernel: Pair, stride: Pair, dilation: Pair) -> Array:
    """All windows of x (N, C, H, W) as a view (N, C, H_out, W_out, kh, kw); nothing is copied.

    view[n, c, i, j, a, b] = x[n, c, i*sh + a*dh, j*sw + b*dw]
    """
    xp = backend.get_array_module(x)
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    h_out, w_out = window_grid(x.shape, kernel, stride, dilation)
    stride_n, stride_c, stride_h, stride_w = x.strides  # bytes per step along each axis
    return xp.lib.stride_tricks.as_strided(
        x, shape=(n, c, h_out, w_out, kh, kw),
        strides=(stride_n, stride_c, stride_h * sh, stride_w * sw, stride_h * dh, stride_w * dw))


def tap_regions(kernel: Pair, stride: Pair, dilation: Pair, out_size: Pair) -> list[tuple[int, int, tuple]]:
    """For each kernel tap (a, b): the index of the pixels it reads in all windows at once.

    Tap (a, b) of window (i, j) reads pixel (a*dh + i*sh, b*dw + j*sw), so over
    all windows it reads one strided slice of the padded image, of shape
    (N, C, H_out, W_out): ``padded[region]`` equals ``windows(padded)[..., a, b]``.
    """
    (kh, kw), (sh, sw), (dh, dw), (h_out, w_out) = kernel, stride, dilation, out_size
    return [(a, b, (Ellipsis, slice(a * dh, a * dh + sh * (h_out - 1) + 1, sh),
                    slice(b * dw, b * dw + sw * (w_out - 1) + 1, sw)))
            for a in range(kh) for b in range(kw)]


def col2im(grad_windows: Array, image_shape: tuple, stride: Pair, dilation: Pair) -> Array:
    """Add each window's gradient back onto the pixels it read: the backward of :func:`windows`.

    grad_windows (N, C, H_out, W_out, kh, kw) -> gradient of the image (N, C, H, W).
    Looping over the kh*kw taps and adding each into the slice of the image
    it read accumulates the contributions of overlapping windows exactly.
    """
    xp = backend.get_array_module(grad_windows)
    grad_image = xp.zeros(image_shape, dtype=grad_windows.dtype)
    kernel, out_size = grad_windows.shape[4:], grad_windows.shape[2:4]
    for a, b, region in tap_regions(kernel, stride, dilation, out_size):
        grad_image[region] += grad_windows[:, :, :, :, a, b]
    return grad_image
