"""Normalization layers' ops: batch_norm and layer_norm.

Both standardise x over some axes, x_hat = (x - mean) / sqrt(var + eps), then
scale and shift it: y = weight * x_hat + bias. They differ only in which axes
the statistics come from:

* batch norm: per channel, over the batch (and length, or height and width):
  axes (0, 2, 3) for (N, C, H, W). In eval mode it uses running estimates
  instead, which makes it a fixed affine map.
* layer norm: per sample, over its last few dimensions (``normalized_shape``).

The backward through the statistics is the part worth deriving. With m
values per statistic, g = dL/dx_hat and s = 1 / sqrt(var + eps):

    dL/dx = s (g - mean(g) - x_hat mean(g x_hat))

(the two means are over the same axes as the statistics: the first term is
the direct path, the other two flow through mean(x) and var(x)).
"""
from __future__ import annotations

from typing import Any, Sequence

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .checks import shape_or_type
from .registry import public


def _standardize(x: Array, axes: tuple, eps: float) -> tuple[Array, Array, Array, Array]:
    """x_hat, 1/sqrt(var + eps), mean and biased var of x over ``axes`` (kept as size-1 dims)."""
    xp = backend.get_array_module(x)
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    inv_std = 1 / xp.sqrt(var + eps)
    return centered * inv_std, inv_std, mean, var


def _standardize_backward(grad_x_hat: Array, x_hat: Array, inv_std: Array, axes: tuple) -> Array:
    """dL/dx = s (g - mean(g) - x_hat mean(g x_hat)), means over the statistics' ``axes``."""
    mean_grad = grad_x_hat.mean(axis=axes, keepdims=True)
    mean_grad_x_hat = (grad_x_hat * x_hat).mean(axis=axes, keepdims=True)
    return inv_std * (grad_x_hat - mean_grad - x_hat * mean_grad_x_hat)


def _affine_grads(ctx: Node, grad_out: Array, x_hat: Array, reduce_axes: tuple, shape: tuple) -> tuple:
    """dL/dweight = sum dL/dy x_hat and dL/dbias = sum dL/dy over ``reduce_axes``, shaped ``shape``."""
    grad_weight = grad_bias = None
    if ctx.needs_input_grad[1]:
        grad_weight = (grad_out * x_hat).sum(axis=reduce_axes).reshape(shape)
    if ctx.needs_input_grad[2]:
        grad_bias = grad_out.sum(axis=reduce_axes).reshape(shape)
    return grad_weight, grad_bias


# ------------------------------------------------------------ batch norm
class BatchNorm(Function):
    """y = weight[c] (x - mean[c]) / sqrt(var[c] + eps) + bias[c], per channel c of x (N, C, *).

    use_batch_stats (training): mean and var (biased, divided by m) of this
    batch over every axis but C; running_mean/var (when given) move towards
    them in place:
        running_mean = (1 - momentum) running_mean + momentum mean
        running_var  = (1 - momentum) running_var  + momentum var m / (m - 1)   (unbiased)
    otherwise (eval): mean and var are running_mean and running_var, constants,
    so dL/dx = weight[c] s[c] dL/dy.

    dL/dweight[c] = sum dL/dy x_hat,  dL/dbias[c] = sum dL/dy  (over all axes but C).
    """

    @staticmethod
    def forward(ctx: Node, x: Array, weight: Array | None, bias: Array | None, running_mean: Array | None,
                running_var: Array | None,
                use_batch_stats: bool, momentum: float, eps: float) -> Array:
        xp = backend.get_array_module(x)
        axes = (0,) + tuple(range(2, x.ndim))                  # every axis but the channels
        channel_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # (1, C, 1, 1) broadcasts against x
        if use_batch_stats:
            x_hat, inv_std, mean, var = _standardize(x, axes, eps)
            if running_mean is not None:  # in place, as PyTorch; the caller bumps their versions
                count = x.size // x.shape[1]
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1)
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1)) * var.reshape(-1)
        else:
            inv_std = 1 / xp.sqrt(running_var.reshape(channel_shape) + eps)
            x_hat = (x - running_mean.reshape(channel_shape)) * inv_std
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.axes, ctx.use_batch_stats = axes, use_batch_stats
        out = x_hat if weight is None else x_hat * weight.reshape(channel_shape)
        return out if bias is None else out + bias.reshape(channel_shape)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        x_hat, inv_std, weight = ctx.saved_tensors
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x_hat = grad_out if weight is None else grad_out * weight.reshape(inv_std.shape)
            if ctx.use_batch_stats:
                grad_x = _standardize_backward(grad_x_hat, x_hat, inv_std, ctx.axes)
            else:
                grad_x = grad_x_hat * inv_std
        grad_weight, grad_bias = _affine_grads(ctx, grad_out, x_hat, ctx.axes, (x_hat.shape[1],))
        return grad_x, grad_weight, grad_bias, None, None, None, None, None


def _check_channel_vector(op_name: str, name: str, t: Any, input: Tensor) -> None:  # noqa: A002
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"{op_name}: {name} must be a tensor or None, got {type(t).__name__}")
    if tuple(t.shape) != (input.shape[1],):
        raise ValueError(f"{op_name}: {name} must have shape ({input.shape[1]},), one entry per channel of "
                         f"input {tuple(input.shape)}, got {tuple(t.shape)}")


@public(method=False)
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization of input (N, C, *) per channel; see :class:`BatchNorm` for the math.

    training=True normalises with this batch's statistics and updates
    running_mean/running_var in place (if given); training=False uses them.
    """
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise ValueError(f"batch_norm: expected input (N, C, *) with at least 2 dimensions, got "
                         f"{shape_or_type(input)}")
    if input.dtype.kind != "f":
        raise TypeError(f"batch_norm: input must be floating-point, got {input.dtype} (use .float())")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_channel_vector("batch_norm", name, t, input)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: running_mean and running_var must be given when training=False "
                         "(evaluation uses them instead of the batch's statistics)")
    if training and input.numel() // max(input.shape[1], 1) <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input "
                         f"of shape {tuple(input.shape)} (the variance of one value is undefined)")
    out = BatchNorm.apply(input, weight, bias, running_mean, running_var, training, momentum, eps)
    if training and running_mean is not None:
        running_mean._bump_version()
        running_var._bump_version()
    return out


# ------------------------------------------------------------ layer norm
class LayerNorm(Function):
    """y = weight * (x - mean) / sqrt(var + eps) + bias, statistics over the last k dimensions of x.

    weight and bias have those k dimensions' shape (``normalized_shape``) and
    broadcast over the leading ones:
        dL/dx      = s (g - mean(g) - x_hat mean(g x_hat)),  g = dL/dy weight
        dL/dweight = sum over the leading dims of dL/dy x_hat,  dL/dbias = sum of dL/dy
    """

    @staticmethod
    def forward(ctx: Node, x: Array, weight: Array | None, bias: Array | None, normalized_ndim: int,
                eps: float) -> Array:
        axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
        x_hat, inv_std, _, _ = _standardize(x, axes, eps)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.axes = axes
        out = x_hat if weight is None else x_hat * weight
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        x_hat, inv_std, weight = ctx.saved_tensors
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x_hat = grad_out if weight is None else grad_out * weight
            grad_x = _standardize_backward(grad_x_hat, x_hat, inv_std, ctx.axes)
        leading = tuple(range(x_hat.ndim - len(ctx.axes)))
        grad_weight, grad_bias = _affine_grads(ctx, grad_out, x_hat, leading, x_hat.shape[len(leading):])
        return grad_x, grad_weight, grad_bias, None, None


@public(method=False)
def layer_norm(input: Tensor, normalized_shape: int | Sequence[int],  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize each sample over its last len(normalized_shape) dimensions, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    trailing = tuple(input.shape[input.ndim - len(shape):]) if isinstance(input, Tensor) else None
    if not isinstance(input, Tensor) or input.ndim < len(shape) or trailing != shape:
        raise ValueError(f"layer_norm: given normalized_shape={list(shape)}, expected input with shape "
                         f"[*, {', '.join(map(str, shape))}], but got input of shape {shape_or_type(input)}")
    if input.dtype.kind != "f":
        raise TypeError(f"layer_norm: input must be floating-point, got {input.dtype} (use .float())")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (not isinstance(t, Tensor) or tuple(t.shape) != shape):
            raise ValueError(f"layer_norm: {name} must be a tensor of shape {shape} (normalized_shape), got "
                             f"{shape_or_type(t)}")
    return LayerNorm.apply(input, weight, bias, len(shape), eps)
