"""Convolution as one matrix product: conv2d and conv1d.

A convolution slides a small kernel over an image and, at every position,
takes the dot product of the kernel with the pixels under it. Writing every
window out as a column (*im2col*) turns all those dot products into one
matrix product, the operation BLAS (and a GPU) is fastest at. Its backward is two
more matrix products and *col2im*, which adds each window's gradient back onto
the pixels it came from (see ``im2col.py``).

PyTorch's ``conv2d`` is a cross-correlation (the kernel is not flipped), and
so is this one.
"""
from __future__ import annotations

from typing import Any

from ..backend import Array
from ..engine import Node, Function, Tensor
from .checks import shape_or_type
from .im2col import Pair, Padding, col2im, pad_images, spatial_pair, unpad_images, windows
from .registry import public
from .shape import squeeze, unsqueeze


class Conv2d(Function):
    """out[n, o, i, j] = b[o] + sum_{c, a, b'} w[o, c, a, b'] x_pad[n, c, i*sh + a*dh, j*sw + b'*dw].

    Shapes, for x (N, C, H, W), weight (O, C/g, kh, kw) and g groups
    (channels split into g independent blocks; g = 1 is the usual case):

        x_pad    (N, C, H + pads, W + pads)         zero padding
        patches  (N, C, H_out, W_out, kh, kw)       a strided view: no copy yet
        cols     (g, C/g*kh*kw, N*H_out*W_out)      im2col: one column per output pixel (the copy)
        kernels  (g, O/g, C/g*kh*kw)                weight, one row per output channel
        out      kernels @ cols = (g, O/g, N*H_out*W_out) -> (N, O, H_out, W_out)

    Backward, with G = dL/dout in the same layout (g, O/g, N*H_out*W_out):

        dL/dweight = G @ cols^T                     (g, O/g, C/g*kh*kw) -> (O, C/g, kh, kw)
        dL/dbias   = sum of G over the pixels       (O,)
        dL/dcols   = kernels^T @ G                  (g, C/g*kh*kw, N*H_out*W_out)
        dL/dx      = col2im(dL/dcols), minus the padding

    Memory order: the columns are laid out (C, kh, kw, N, H_out, W_out), so
    the im2col copy and col2im read whole rows of pixels at a time, and the
    output is returned as an (N, O, H_out, W_out) view of the (O, N, H_out,
    W_out) product, without another copy. NumPy ops accept any strides;
    ``reshape`` copies when it must (e.g. in ``Flatten``).
    """

    @staticmethod
    def forward(ctx: Node, x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Padding,
                dilation: Pair, groups: int) -> Array:
        out_channels, group_channels, kh, kw = weight.shape
        x_padded = pad_images(x, padding)                                    # (N, C, Hp, Wp)
        patches = windows(x_padded, (kh, kw), stride, dilation)              # (N, C, Ho, Wo, kh, kw)
        n, _, h_out, w_out = patches.shape[:4]
        # (N, C, Ho, Wo, kh, kw) -> (C, kh, kw, N, Ho, Wo) -> (g, C/g*kh*kw, N*Ho*Wo): the im2col copy
        pixels = n * h_out * w_out
        cols = patches.transpose(1, 4, 5, 0, 2, 3).reshape(groups, group_channels * kh * kw, pixels)
        kernels = weight.reshape(groups, out_channels // groups, -1)         # (g, O/g, C/g*kh*kw)
        out = (kernels @ cols).reshape(out_channels, pixels)         # (g, O/g, N*Ho*Wo) -> (O, N*Ho*Wo)
        if bias is not None:
            out += bias[:, None]  # `out` is a fresh array: adding in place saves an allocation
        ctx.save_for_backward(cols, kernels)
        ctx.shapes = (x_padded.shape, weight.shape)
        ctx.stride, ctx.padding, ctx.dilation = stride, padding, dilation
        return out.reshape(out_channels, n, h_out, w_out).transpose(1, 0, 2, 3)   # (N, O, Ho, Wo), a view

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        cols, kernels = ctx.saved_tensors
        padded_shape, weight_shape = ctx.shapes
        groups, per_group = kernels.shape[:2]
        n, out_channels, h_out, w_out = grad_out.shape
        # (N, O, Ho, Wo) -> (O, N, Ho, Wo) -> (g, O/g, N*Ho*Wo)
        grad_rows = grad_out.transpose(1, 0, 2, 3).reshape(groups, per_group, -1)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_cols = kernels.transpose(0, 2, 1) @ grad_rows              # (g, C/g*kh*kw, N*Ho*Wo)
            # (g, C/g*kh*kw, N*Ho*Wo) -> (C, kh, kw, N, Ho, Wo) -> (N, C, Ho, Wo, kh, kw), a view
            channels, (kh, kw) = padded_shape[1], weight_shape[2:]
            grad_patches = grad_cols.reshape(channels, kh, kw, n, h_out, w_out).transpose(3, 0, 4, 5, 1, 2)
            grad_x = unpad_images(col2im(grad_patches, padded_shape, ctx.stride, ctx.dilation), ctx.padding)
        if ctx.needs_input_grad[1]:
            # (g, O/g, C/g*kh*kw) -> (O, C/g, kh, kw)
            grad_weight = (grad_rows @ cols.transpose(0, 2, 1)).reshape(weight_shape)
        if ctx.needs_input_grad[2]:
            grad_bias = grad_rows.sum(axis=2).reshape(out_channels)
        return grad_x, grad_weight, grad_bias, None, None, None, None


# ------------------------------------------------------------ argument checks
def same_padding(kernel: Pair, dilation: Pair) -> Padding:
    """padding="same": total dilation*(k-1) per axis, the odd one out on the bottom/right (as PyTorch)."""
    (kh, kw), (dh, dw) = kernel, dilation
    total_h, total_w = dh * (kh - 1), dw * (kw - 1)
    return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)


def _padding(op_name: str, padding: Any, kernel: Pair, stride: Pair, dilation: Pair) -> Padding:
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{op_name}: padding='same' is not supported for strided convolutions "
                             f"(stride={stride}); give the padding as numbers")
        return same_padding(kernel, dilation)
    if isinstance(padding, str):
        raise ValueError(f"{op_name}: padding must be 'valid', 'same', an int or a pair, got {padding!r}")
    pad_h, pad_w = spatial_pair(op_name, "padding", padding, minimum=0)
    return (pad_h, pad_h, pad_w, pad_w)


def _check_tensors(op_name: str, input: Tensor, weight: Tensor, bias: Tensor | None,  # noqa: A002
                   groups: int) -> None:
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{op_name}: {name} must be a tensor, got {type(t).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op_name}: input must be floating-point, got {input.dtype} (use .float())")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            raise TypeError(f"{op_name}: input dtype {input.dtype} does not match {name} dtype {t.dtype} "
                            "(convert the data with .float(), or the model with .double())")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op_name}: groups must be a positive int, got {groups!r}")
    out_channels, group_channels = weight.shape[:2]
    if input.shape[1] != group_channels * groups:
        raise ValueError(f"{op_name}: input has {input.shape[1]} channels (shape {tuple(input.shape)}), but "
                         f"weight {tuple(weight.shape)} with groups={groups} expects "
                         f"{group_channels * groups}")
    if out_channels % groups:
        raise ValueError(f"{op_name}: weight has {out_channels} output channels, not divisible by "
                         f"groups={groups}")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(f"{op_name}: bias must have shape ({out_channels},), got {tuple(bias.shape)}")


def _check_fits(op_name: str, input_shape: tuple, kernel: Pair, padding: Padding, dilation: Pair) -> None:
    """At least one window fits (PyTorch: the kernel can't be greater than the padded input)."""
    padded = (input_shape[-2] + padding[0] + padding[1], input_shape[-1] + padding[2] + padding[3])
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if padded[0] < extent[0] or padded[1] < extent[1]:
        raise ValueError(f"{op_name}: the padded input is {padded[0]} x {padded[1]} per channel (input shape "
                         f"{tuple(input_shape)}), smaller than the (dilated) kernel "
                         f"{extent[0]} x {extent[1]}")


# ------------------------------------------------------------ user-facing
@public(method=False)
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation) of input (N, C, H, W) or (C, H, W) with weight (O, C/g, kh, kw).

    ``stride``, ``padding`` and ``dilation`` are ints or (height, width) pairs;
    ``padding`` may also be "valid" (none) or "same" (output as large as the
    input, stride 1 only). Output (N, O, H_out, W_out) with
    H_out = floor((H + 2 pad - dilation (kh - 1) - 1) / stride) + 1.
    """
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be a 4-d tensor (out_channels, in_channels/groups, kh, kw), "
                         f"got {shape_or_type(weight)}")
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise ValueError(f"conv2d: expected input (N, C, H, W) or unbatched (C, H, W), got "
                         f"{shape_or_type(input)}")
    if input.ndim == 3:
        return squeeze(conv2d(unsqueeze(input, 0), weight, bias, stride, padding, dilation, groups), 0)
    _check_tensors("conv2d", input, weight, bias, groups)
    kernel = tuple(weight.shape[2:])
    stride = spatial_pair("conv2d", "stride", stride, minimum=1)
    dilation = spatial_pair("conv2d", "dilation", dilation, minimum=1)
    padding = _padding("conv2d", padding, kernel, stride, dilation)
    _check_fits("conv2d", input.shape, kernel, padding, dilation)
    return Conv2d.apply(input, weight, bias, stride, padding, dilation, groups)


def _one_d(op_name: str, value: Any, name: str) -> int:
    """A 1-d argument given as an int or a 1-tuple, as an int."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{op_name}: {name} must be an int or a 1-tuple, got {value!r}")
    return value


@public(method=False)
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d convolution of a signal (N, C, L) or (C, L) with weight (O, C/groups, k): output (N, O, L_out).

    A signal is an image of height 1, so this is conv2d on (N, C, 1, L) with a
    (1, k) kernel.
    """
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        raise ValueError(f"conv1d: weight must be a 3-d tensor (out_channels, in_channels/groups, k), got "
                         f"{shape_or_type(weight)}")
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise ValueError(f"conv1d: expected input (N, C, L) or unbatched (C, L), got {shape_or_type(input)}")
    if input.ndim == 2:
        return squeeze(conv1d(unsqueeze(input, 0), weight, bias, stride, padding, dilation, groups), 0)
    stride, dilation = _one_d("conv1d", stride, "stride"), _one_d("conv1d", dilation, "dilation")
    if not isinstance(padding, str):
        padding = (0, _one_d("conv1d", padding, "padding"))
    try:
        out = conv2d(unsqueeze(input, 2), unsqueeze(weight, 2), bias, (1, stride), padding, (1, dilation),
                     groups)
    except (ValueError, TypeError) as error:  # name the op the user called, and its shapes
        raise type(error)(str(error).replace("conv2d:", "conv1d (as conv2d on height-1 images):")) from None
    return squeeze(out, 2)
