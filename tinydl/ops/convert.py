"""Moving a tensor to another dtype or device, differentiably."""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .arguments import require_tensor
from .registry import public


class Cast(Function):
    """y = x as another dtype.   dL/dx = dL/dy, cast back to x's dtype (done by backward())."""

    @staticmethod
    def forward(ctx: Node, x: Array, dtype: Any) -> Array:
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        return grad_out, None


class ToDevice(Function):
    """y = x copied to another device.   dL/dx = dL/dy copied back."""

    @staticmethod
    def forward(ctx: Node, x: Array, device: str) -> Array:
        ctx.source_device = backend.device_of(x)
        return backend.to_device(x, device)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        return backend.to_device(grad_out, ctx.source_device), None


@public(method=False)
def cast(x: Tensor, dtype: Any) -> Tensor:
    """x converted to ``dtype`` (x itself if it already has it)."""
    dtype = backend.as_numpy_dtype(dtype)
    if x.array.dtype == dtype:
        return x
    return Cast.apply(x, dtype)


@public(method=False)
def to_device(x: Tensor, device: Any) -> Tensor:
    """x on ``device`` (x itself if it is already there)."""
    device = backend.normalize_device(device)
    if x.device == device:
        return x
    return ToDevice.apply(x, device)


def to_arguments(args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """The (device, dtype) that ``.to(...)`` names, None for what it leaves as is.

    The one reader of PyTorch's ``to()`` arguments, for Tensor.to and Module.to:
    ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other_tensor)``
    (other's device and dtype), and ``device=`` / ``dtype=`` by name. A device
    is a string ("cpu", "cuda:0"), a ``tinydl.device`` (a str too) or a GPU's
    index (``to(0)`` is "cuda:0", as in PyTorch); anything else given by
    position is a dtype.
    """
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"to(): unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, (str, int)) and not isinstance(arg, bool):
            device = arg
        else:
            dtype = arg
    return device, dtype


@public
def to(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """x.to(device), x.to(dtype), x.to(device, dtype), or x.to(other_tensor); x itself if nothing changes."""
    device, dtype = to_arguments(args, kwargs)
    if device is not None:
        x = to_device(x, device)
    if dtype is not None:
        x = cast(x, dtype)
    return x


class Clone(Function):
    """y = a copy of x in new storage.   dL/dx = dL/dy."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        return x.copy()

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        return grad_out


@public
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    """A copy of input with its own storage, still in the graph (gradients flow back to input)."""
    return Clone.apply(require_tensor("clone", input))
