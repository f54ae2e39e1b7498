"""Vector norms: ``x.norm(p, dim, keepdim)`` and ``tinydl.norm``, PyTorch's torch.norm for p a number or 'fro'.

The gradient is PyTorch's, including its choices at the points where the norm
is not differentiable: 0 wherever the norm itself is 0 (never 0/0 = nan), and
for the max-norm the gradient is shared equally among tied largest elements.
"""
from __future__ import annotations

import math
from typing import Any

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .common import Dim, normalize_dims, restore_dims
from .convert import cast
from .registry import public


class VectorNorm(Function):
    """y = (sum |x_i|^p)^(1/p) over the reduced dims; p = inf: max |x_i|; p = -inf: min |x_i|;
    p = 0: the number of non-zero x_i.

    dy/dx_i = sign(x_i) |x_i|^(p-1) / y^(p-1)     (p = 2: x_i / y;  p = 1: sign(x_i))
    p = +-inf: sign(x_i) / k on the k elements with |x_i| = y, 0 elsewhere
    p = 0: 0.   Wherever y = 0 the gradient is 0, as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Node, x: Array, p: float, axes: tuple | None, keepdim: bool) -> Array:
        xp = backend.get_array_module(x)
        size = xp.abs(x)
        if p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            out = size.sum(axis=axes, keepdims=keepdim)
        elif p == math.inf:
            out = size.max(axis=axes, keepdims=keepdim)
        elif p == -math.inf:
            out = size.min(axis=axes, keepdims=keepdim)
        elif p == 0:
            out = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
        else:
            with backend.quiet_floating_errors(xp):  # 0 ** negative p = inf, as PyTorch
                out = ((size ** p).sum(axis=axes, keepdims=keepdim)) ** (1 / p)
        out = xp.asarray(out, dtype=x.dtype)
        ctx.save_for_backward(x, out)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        x, out = ctx.saved_tensors
        xp = backend.get_array_module(x)
        p = ctx.p
        grad = restore_dims(grad_out, ctx.axes, ctx.keepdim, x.ndim)
        norm = restore_dims(out, ctx.axes, ctx.keepdim, x.ndim)
        if p == 0:
            result = xp.zeros_like(x)
        elif p == 1:
            result = xp.sign(x) * grad
        elif p == 2:
            result = x * xp.where(norm == 0, 0, grad / norm)
        elif math.isinf(p):
            ties = xp.abs(x) == norm
            count = ties.sum(axis=ctx.axes, keepdims=True)
            result = xp.sign(x) * ties * (grad / count)
        else:
            scale = xp.where(norm == 0, 0, grad / norm ** (p - 1))
            scaled_x = xp.where(x == 0, 0, xp.sign(x) * xp.abs(x) ** (p - 1))
            result = scaled_x * scale
        return result.astype(x.dtype, copy=False), None, None, None


@public
def norm(input: Tensor, p: Any = "fro", dim: Dim = None, keepdim: bool = False,  # noqa: A002
         dtype: Any = None) -> Tensor:
    """The p-norm of ``input`` over ``dim`` (default: all elements, as one vector).

    p: a number (2, 1, inf, -inf, 0, 3.5, ...) or "fro" (the 2-norm; only over
    one or two dims or all). Shapes: (N, D).norm(dim=1) -> (N,). The nuclear
    norm ("nuc") is not implemented.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"norm: expected a Tensor, got {type(input).__name__}")
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        raise TypeError(f"norm: input dtype should be floating point, got {input.dtype} (use .float())")
    axes = normalize_dims("norm", dim, input.ndim)
    if p is None or p == "fro":
        if isinstance(p, str) and axes is not None and len(axes) > 2:
            raise ValueError(f"norm: p='fro' takes at most 2 dims, got dim={dim!r}; use p=2 for a vector norm")
        p = 2
    elif isinstance(p, str):
        raise NotImplementedError(f"norm: p={p!r} is not implemented in tinydl; p may be a number or 'fro'")
    return VectorNorm.apply(input, float(p), axes, keepdim)
