"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d (no parameters)."""
from __future__ import annotations

from typing import Any

import tinydl.functional as F
from ..engine import Tensor
from .module import Module


def _single(value: Any) -> tuple:
    """An int as a 1-tuple (a tuple or list as a tuple): AvgPool1d's attributes, as PyTorch keeps them."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class MaxPool2d(Module):
    """Largest value of each kernel_size window, every stride (default: kernel_size) pixels."""

    function = staticmethod(F.max_pool2d)  # MaxPool1d swaps in max_pool1d

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x: Tensor) -> Tensor:
        # (N, C, H, W) -> (N, C, H_out, W_out), H_out = (H + 2*padding - dilation*(kernel_size - 1) - 1)
        # // stride + 1 (rounded up with ceil_mode); MaxPool1d: (N, C, L) -> (N, C, L_out) alike
        return self.function(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                             self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(MaxPool2d):
    """Largest value of each window of a signal (N, C, L)."""

    function = staticmethod(F.max_pool1d)


class AvgPool2d(Module):
    """Mean of each kernel_size window, every stride (default: kernel_size) pixels."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x: Tensor) -> Tensor:
        # (N, C, H, W) -> (N, C, H_out, W_out), H_out = (H + 2*padding - kernel_size) // stride + 1
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """Mean of each window of a signal (N, C, L)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)  # PyTorch keeps 1-tuples here (and only here)
        self.stride = _single(kernel_size if stride is None else stride)
        self.padding, self.ceil_mode, self.count_include_pad = _single(padding), ceil_mode, count_include_pad

    def forward(self, x: Tensor) -> Tensor:
        # (N, C, L) -> (N, C, L_out), L_out = (L + 2*padding - kernel_size) // stride + 1
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average over bins sized so the output is output_size; output_size=1 is global average pooling."""

    function = staticmethod(F.adaptive_avg_pool2d)  # AdaptiveAvgPool1d swaps in adaptive_avg_pool1d

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        # (N, C, H, W) -> (N, C, *output_size); AdaptiveAvgPool1d: (N, C, L) -> (N, C, output_size)
        return self.function(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Average over bins sized so the signal's length becomes output_size."""

    function = staticmethod(F.adaptive_avg_pool1d)
