"""Rounding and sign: floor, ceil, round, trunc, sign.

They are flat almost everywhere. Like PyTorch, they stay in the graph with a
zero gradient, so ``x.round().sum().backward()`` gives ``x.grad == 0`` rather
than an error. Integer tensors keep their dtype (rounding them changes nothing).
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .arguments import require_tensor
from .registry import public


# ------------------------------------------------------------ flat almost everywhere
class ZeroGradient(Function):
    """Base of the piecewise-constant ops: dy/dx = 0 (where it exists; PyTorch uses 0 everywhere)."""

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> Array:
        return backend.get_array_module(grad_out).zeros_like(grad_out)


class Sign(ZeroGradient):
    """y = -1, 0 or 1 as x < 0, x = 0, x > 0.   dy/dx = 0."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        return backend.get_array_module(x).sign(x)


class Floor(ZeroGradient):
    """y = the largest integer <= x.   dy/dx = 0."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        return backend.get_array_module(x).floor(x)


class Ceil(ZeroGradient):
    """y = the smallest integer >= x.   dy/dx = 0."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        return backend.get_array_module(x).ceil(x)


class Trunc(ZeroGradient):
    """y = x with its fractional part dropped (towards zero).   dy/dx = 0."""

    @staticmethod
    def forward(ctx: Node, x: Array) -> Array:
        return backend.get_array_module(x).trunc(x)


class Round(ZeroGradient):
    """y = x rounded to ``decimals`` places, halves to even (2.5 -> 2, as PyTorch).   dy/dx = 0."""

    @staticmethod
    def forward(ctx: Node, x: Array, decimals: int) -> Array:
        return backend.get_array_module(x).round(x, decimals)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        return ZeroGradient.backward(ctx, grad_out), None


# ------------------------------------------------------------ the functions users call
@public
def sign(input: Tensor) -> Tensor:  # noqa: A002
    """-1, 0 or 1 elementwise, in the input's dtype (bool stays bool). Zero gradient."""
    input = require_tensor("sign", input)
    if input.array.dtype.kind == "b":
        return Tensor(input.array.copy())
    return Sign.apply(input)


def _integers_unchanged(op_name: str, function: type, x: Any, *args: Any) -> Tensor:
    """Rounding an integer tensor changes nothing: PyTorch returns a copy of it."""
    x = require_tensor(op_name, x)
    if x.array.dtype.kind in "biu":
        return Tensor(x.array.copy())
    return function.apply(x, *args)


@public
def floor(input: Tensor) -> Tensor:  # noqa: A002
    """Round down. Integer tensors come back unchanged (copied). Zero gradient."""
    return _integers_unchanged("floor", Floor, input)


@public
def ceil(input: Tensor) -> Tensor:  # noqa: A002
    """Round up. Integer tensors come back unchanged (copied). Zero gradient."""
    return _integers_unchanged("ceil", Ceil, input)


@public(aliases=("fix",))
def trunc(input: Tensor) -> Tensor:  # noqa: A002
    """Round towards zero. Integer tensors come back unchanged (copied). Zero gradient."""
    return _integers_unchanged("trunc", Trunc, input)


@public
def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001,A002
    """Round to the nearest integer (or to ``decimals`` places), halves to even. Zero gradient."""
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise TypeError(f"round(): decimals must be an int, got {type(decimals).__name__}")
    return _integers_unchanged("round", Round, input, decimals)


fix = trunc  # PyTorch's alias
