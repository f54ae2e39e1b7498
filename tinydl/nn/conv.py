"""Convolution layers: Conv1d and Conv2d."""
from __future__ import annotations

import math
from typing import Any

import tinydl.functional as F
import tinydl.nn.init as init
from ..ops.checks import shape_or_type
from ..engine import Tensor
from .module import Module, Parameter, parameter_factory


class _ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, weight (out, in/groups, *kernel), bias, init."""

    dims = 0  # spatial dimensions: set by the subclass

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                             f"be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} is not supported by tinydl; "
                                      "only 'zeros'")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _per_dimension(kernel_size, self.dims, "kernel_size")
        self.stride = _per_dimension(stride, self.dims, "stride")
        self.padding = _per_dimension(padding, self.dims, "padding")
        self.dilation = _per_dimension(dilation, self.dims, "dilation")
        self.padding_mode = padding_mode
        xp, dtype = parameter_factory(device, dtype)
        # (C_out, C_in / groups, *kernel_size): one kernel per output channel, over its group's inputs
        weight_shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(xp.empty(weight_shape, dtype=dtype))
        self.bias = Parameter(xp.empty((out_channels,), dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)), i.e. U(+-1/sqrt(fan_in)), for weight and bias.

        fan_in = in_channels / groups * prod(kernel_size): the inputs of one output pixel.
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.numel() // self.out_channels
            bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text

    def _check_input(self, x: Tensor) -> None:
        name = type(self).__name__
        if not isinstance(x, Tensor) or x.ndim not in (self.dims + 1, self.dims + 2):
            layout = "(N, C, L) or (C, L)" if self.dims == 1 else "(N, C, H, W) or (C, H, W)"
            raise ValueError(f"{self!r}: expected input {layout}, got {shape_or_type(x)}")
        channels = x.shape[-self.dims - 1]
        if channels != self.in_channels:
            raise ValueError(f"{name}: expected input with {self.in_channels} channels, got {channels} "
                             f"(input shape {tuple(x.shape)})")


class Conv1d(_ConvNd):
    """1-d convolution over signals (N, C_in, L) -> (N, C_out, L_out); see ``F.conv1d``."""

    dims = 1

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        # (N, C_in, L) -> (N, C_out, L_out); with a number for padding,
        # L_out = (L + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-d convolution over images (N, C_in, H, W) -> (N, C_out, H_out, W_out); see ``F.conv2d``.

    weight (C_out, C_in / groups, kh, kw), bias (C_out,). Each output channel
    is one kernel slid over the image: the same few weights at every
    position, which is what makes a CNN see a pattern wherever it appears.
    """

    dims = 2

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        # (N, C_in, H, W) -> (N, C_out, H_out, W_out); H_out and W_out each as Conv1d's L_out
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


def _per_dimension(value: Any, dims: int, name: str) -> tuple:
    """An int or a tuple of ``dims`` ints as a tuple (padding may also be "same" or "valid")."""
    if isinstance(value, str) and name == "padding":
        return value  # type: ignore[return-value]
    result = (value,) * dims if isinstance(value, int) else tuple(value)
    if len(result) != dims:
        raise ValueError(f"Conv{dims}d: {name} must be an int or a tuple of {dims} ints, got {value!r}")
    return result
