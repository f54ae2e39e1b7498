"""Moving a tensor to another dtype or device, differentiably."""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
from ..engine import Node, Function, Tensor
from .arguments import require_tensor


class Cast(Function):
    """y = x as another dtype.   dL/dx = dL/dy, cast back to x's dtype (done by backward())."""

    @staticmethod
    def forward(ctx: Node, x: Any, dtype: Any) -> Any:
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> tuple:
        return grad_out, None


class ToDevice(Function):
    """y = x copied to another device.   dL/dx = dL/dy copied back."""

    @staticmethod
    def forward(ctx: Node, x: Any, device: str) -> Any:
        ctx.source_device = backend.device_of(x)
        return backend.to_device(x, device)

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> tuple:
        return backend.to_device(grad_out, ctx.source_device), None


def cast(x: Tensor, dtype: Any) -> Tensor:
    """x converted to ``dtype`` (x itself if it already has it)."""
    dtype = backend.as_numpy_dtype(dtype)
    if x.array.dtype == dtype:
        return x
    return Cast.apply(x, dtype)


def to_device(x: Tensor, device: Any) -> Tensor:
    """x on ``device`` (x itself if it is already there)."""
    device = backend.normalize_device(device)
    if x.device == device:
        return x
    return ToDevice.apply(x, device)


def to(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """x.to(device), x.to(dtype), x.to(device, dtype), or x.to(other_tensor)."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"to(): unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str):
            device = arg
        else:
            dtype = arg
    if device is not None:
        x = to_device(x, device)
    if dtype is not None:
        x = cast(x, dtype)
    return x


class Clone(Function):
    """y = a copy of x in new storage.   dL/dx = dL/dy."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        return x.copy()

    @staticmethod
    def backward(ctx: Node, grad_out: Any) -> Any:
        return grad_out


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    """A copy of input with its own storage, still in the graph (gradients flow back to input)."""
    return Clone.apply(require_tensor("clone", input))
