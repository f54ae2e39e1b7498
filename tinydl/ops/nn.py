"""The fused ops neural networks lean on: linear, softmax, losses, dropout.

Each could be composed from smaller ops, but the textbook derives their
gradients in closed form (``softmax - onehot`` for cross-entropy), and one
Function with that backward is both clearer and faster than a chain of ten.
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
from ..tensor import Context, Function, Tensor
from .arguments import require_tensor
from .reduce import normalize_dims, stable_logsumexp

REDUCTIONS = ("mean", "sum", "none")


# ------------------------------------------------------------------ linear
class Linear(Function):
    """Y = X W^T + b, with X (..., in), W (out, in), b (out,).

    Flattening X's leading dimensions to N rows:
        dL/dX = dL/dY W          (N, in)
        dL/dW = (dL/dY)^T X      (out, in)
        dL/db = sum_n dL/dY      (out,)
    """

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any, bias: Any) -> Any:
        ctx.save_for_backward(x, weight)
        out = x @ weight.T
        if bias is not None:
            out += bias  # `out` is a fresh array: adding in place saves an allocation
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        x, weight = ctx.saved_tensors
        grad_rows = grad_out.reshape(-1, grad_out.shape[-1])
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = (grad_rows @ weight).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_rows.T @ x.reshape(-1, x.shape[-1])
        if ctx.needs_input_grad[2]:
            grad_bias = grad_rows.sum(axis=0)
        return grad_x, grad_weight, grad_bias


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """input @ weight.T + bias, with input (..., in), weight (out, in), bias (out,)."""
    require_tensor("linear", input, "input", 1)
    require_tensor("linear", weight, "weight", 2)
    if input.ndim == 0 or weight.ndim != 2:
        raise ValueError(f"linear: expected input (..., in_features) and weight (out_features, "
                         f"in_features), got shapes {tuple(input.shape)} and {tuple(weight.shape)}")
    if input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input has {input.shape[-1]} features (shape {tuple(input.shape)}) "
                         f"but weight expects {weight.shape[1]} (weight shape {tuple(weight.shape)})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    for name, x in (("input", input), ("bias", bias)):
        if x is not None and x.dtype != weight.dtype:
            raise TypeError(f"linear: {name} dtype {x.dtype} does not match weight dtype {weight.dtype} "
                            "(convert the data with .float(), or the model with .double())")
    return Linear.apply(input, weight, bias)


# ------------------------------------------------------------------ softmax
class Softmax(Function):
    """y_i = e^{x_i} / sum_j e^{x_j} along an axis.

    dL/dx_i = y_i (dL/dy_i - sum_j dL/dy_j y_j)

    A masked entry (x_i = -inf) gets y_i = 0 and gradient 0; a slice that is
    all -inf has no distribution: nan, as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int) -> Any:
        xp = backend.get_array_module(x)
        with backend.quiet_floating_errors(xp):  # an all -inf slice gives nan, silently, as PyTorch
            out = xp.exp(x - stable_logsumexp(x, axis))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        (out,) = ctx.saved_tensors
        with backend.quiet_floating_errors(backend.get_array_module(out)):  # inf grad_out * 0
            return out * (grad_out - (grad_out * out).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    """y_i = x_i - log sum_j e^{x_j} along an axis.

    dL/dx_i = dL/dy_i - softmax(x)_i sum_j dL/dy_j
    """

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int) -> Any:
        with backend.quiet_floating_errors(backend.get_array_module(x)):  # all -inf slice: nan
            out = x - stable_logsumexp(x, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        (out,) = ctx.saved_tensors
        xp = backend.get_array_module(out)
        with backend.quiet_floating_errors(xp):
            return grad_out - xp.exp(out) * grad_out.sum(axis=ctx.axis, keepdims=True), None


def _softmax_axis(op_name: str, x: Tensor, dim: int | None) -> int:
    require_tensor(op_name, x)
    if dim is None:
        raise TypeError(f"{op_name}: dim must be given (e.g. dim=1 for (N, C) logits)")
    if x.dtype.kind != "f":
        raise TypeError(f"{op_name}: expected a floating-point tensor, got {x.dtype}")
    (axis,) = normalize_dims(op_name, dim, x.ndim)
    return axis


def softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """Probabilities along ``dim`` (numerically stable for logits of +-1e4)."""
    return Softmax.apply(x, _softmax_axis("softmax", x, dim))


def log_softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """Log-probabilities along ``dim``, without computing log(softmax) (which underflows)."""
    return LogSoftmax.apply(x, _softmax_axis("log_softmax", x, dim))


# ------------------------------------------------------------------ losses
def _reduce(losses: Any, reduction: str) -> Any:
    xp = backend.get_array_module(losses)
    if reduction == "mean":
        return xp.asarray(losses.mean())
    if reduction == "sum":
        return xp.asarray(losses.sum())
    return losses


def _grad_per_sample(grad_out: Any, reduction: str, count: int) -> Any:
    """d(reduced loss)/d(per-sample loss), shaped to broadcast over the samples."""
    if reduction == "mean":
        return grad_out / count
    return grad_out  # "sum": 1 each; "none": grad_out already has one entry per sample


class CrossEntropy(Function):
    """loss_n = -log softmax(z_n)[t_n] = logsumexp(z_n) - z_n[t_n], logits z (N, C), labels t (N,).

    dloss_n/dz_n = softmax(z_n) - onehot(t_n)
    """

    @staticmethod
    def forward(ctx: Context, logits: Any, target: Any, reduction: str) -> Any:
        xp = backend.get_array_module(logits)
        with backend.quiet_floating_errors(xp):  # a row of all -inf (or +inf) logits: nan, as PyTorch
            log_probs = logits - stable_logsumexp(logits, 1)
        rows = xp.arange(logits.shape[0])
        ctx.save_for_backward(log_probs, target)
        ctx.reduction = reduction
        return _reduce(-log_probs[rows, target], reduction)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        log_probs, target = ctx.saved_tensors
        xp = backend.get_array_module(log_probs)
        grad = xp.exp(log_probs)                      # softmax
        grad[xp.arange(len(target)), target] -= 1     # - onehot
        scale = _grad_per_sample(grad_out, ctx.reduction, len(target))
        grad *= scale[:, None] if ctx.reduction == "none" else scale  # in place: grad is our own array
        return grad, None, None


class NLLLoss(Function):
    """loss_n = -x_n[t_n] for log-probabilities x (N, C).   dloss_n/dx_n = -onehot(t_n)."""

    @staticmethod
    def forward(ctx: Context, log_probs: Any, target: Any, reduction: str) -> Any:
        xp = backend.get_array_module(log_probs)
        ctx.save_for_backward(target)
        ctx.shape, ctx.reduction = log_probs.shape, reduction
        return _reduce(-log_probs[xp.arange(len(target)), target], reduction)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        (target,) = ctx.saved_tensors
        xp = backend.get_array_module(grad_out)
        scale = _grad_per_sample(grad_out, ctx.reduction, len(target))
        grad = xp.zeros(ctx.shape, dtype=grad_out.dtype)
        grad[xp.arange(len(target)), target] = -scale
        return grad, None, None


def check_reduction(op_name: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op_name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_class_targets(op_name: str, scores: Tensor, target: Tensor) -> None:
    """(N, C) float scores and (N,) int64 labels in [0, C), or a readable error."""
    require_tensor(op_name, scores)
    if not isinstance(target, Tensor):
        raise TypeError(f"{op_name}: target must be a tensor of class indices, got {type(target).__name__}")
    if scores.dtype.kind != "f":
        raise TypeError(f"{op_name}: input must be floating-point scores (N, C), got dtype {scores.dtype}")
    if scores.ndim != 2:
        raise ValueError(f"{op_name}: input must have shape (N, C), got {tuple(scores.shape)}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op_name}: target must hold integer class indices (int64, e.g. "
                        f"tinydl.LongTensor(y)), got dtype {target.dtype}")
    if tuple(target.shape) != (scores.shape[0],):
        raise ValueError(f"{op_name}: target must have shape ({scores.shape[0]},) to match input "
                         f"{tuple(scores.shape)}, got {tuple(target.shape)}")
    if target.numel():
        low, high = int(target.array.min()), int(target.array.max())
        classes = scores.shape[1]
        if low < 0 or high >= classes:
            bad = low if low < 0 else high
            raise ValueError(f"{op_name}: target contains class {bad}, outside [0, {classes}) for "
                             f"input with {classes} classes (shape {tuple(scores.shape)})")


def cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Softmax cross-entropy of logits (N, C) against int64 labels (N,), fused and stable."""
    check_reduction("cross_entropy", reduction)
    if isinstance(input, Tensor) and input.ndim == 1 and isinstance(target, Tensor) and target.ndim == 0:
        input, target = input.reshape(1, -1), target.reshape(1)  # one sample: (C,) and ()
        if reduction == "none":
            return CrossEntropy.apply(input, target, reduction).reshape(())
    _check_class_targets("cross_entropy", input, target)
    return CrossEntropy.apply(input, target, reduction)


def nll_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Negative log-likelihood of log-probabilities (N, C) (e.g. from log_softmax) and labels (N,)."""
    check_reduction("nll_loss", reduction)
    _check_class_targets("nll_loss", input, target)
    return NLLLoss.apply(input, target, reduction)


class MSELoss(Function):
    """loss = (a - b)^2, reduced.   dloss/da = 2 (a - b), dloss/db = -2 (a - b)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any, reduction: str) -> Any:
        difference = a - b
        ctx.save_for_backward(difference)
        ctx.reduction = reduction
        return _reduce(difference * difference, reduction)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        (difference,) = ctx.saved_tensors
        grad = 2 * difference * _grad_per_sample(grad_out, ctx.reduction, difference.size)
        return grad, (-grad if ctx.needs_input_grad[1] else None), None


class BCEWithLogits(Function):
    """loss = -[y log s(x) + (1-y) log(1 - s(x))], s = sigmoid, in the stable form
    max(x, 0) - x y + log(1 + e^{-|x|}).

    dloss/dx = s(x) - y,   dloss/dy = -x
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any, reduction: str) -> Any:
        xp = backend.get_array_module(x)
        ctx.save_for_backward(x, y)
        ctx.reduction = reduction
        losses = xp.maximum(x, 0) - x * y + xp.log1p(xp.exp(-xp.abs(x)))
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        x, y = ctx.saved_tensors
        xp = backend.get_array_module(x)
        scale = _grad_per_sample(grad_out, ctx.reduction, x.size)
        e = xp.exp(-xp.abs(x))
        sigmoid = xp.where(x >= 0, 1, e) / (1 + e)
        grad_x = (sigmoid - y) * scale
        grad_y = -x * scale if ctx.needs_input_grad[1] else None
        return grad_x, grad_y, None


def _check_same_shape(op_name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    for name, x in (("input", input), ("target", target)):
        if not isinstance(x, Tensor) or x.dtype.kind != "f":
            raise TypeError(f"{op_name}: {name} must be a floating-point tensor, got "
                            f"{x.dtype if isinstance(x, Tensor) else type(x).__name__}")
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{op_name}: input shape {tuple(input.shape)} and target shape "
                         f"{tuple(target.shape)} differ (reshape one; silent broadcasting here is "
                         "a classic bug)")
    if input.dtype != target.dtype:
        raise TypeError(f"{op_name}: input dtype {input.dtype} and target dtype {target.dtype} differ")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error between same-shaped tensors."""
    check_reduction("mse_loss", reduction)
    _check_same_shape("mse_loss", input, target)
    return MSELoss.apply(input, target, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,  # noqa: A002
                                     reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of logits against targets in [0, 1], computed stably."""
    check_reduction("binary_cross_entropy_with_logits", reduction)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    return BCEWithLogits.apply(input, target, reduction)


# ------------------------------------------------------------------ dropout
class Dropout(Function):
    """y = x * mask, where mask is 0 (dropped) or 1/(1-p) (kept).   dy/dx = mask."""

    @staticmethod
    def forward(ctx: Context, x: Any, mask: Any) -> Any:
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        (mask,) = ctx.saved_tensors
        return grad_out * mask, None


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:  # noqa: A002
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0:
        return input
    xp = backend.get_array_module(input.array)
    with backend.device_scope(input.array):  # the mask is made on input's GPU
        if p == 1:
            return Dropout.apply(input, xp.zeros(input.shape, dtype=input.dtype))
        keep = backend.uniform(xp, 0.0, 1.0, input.shape, input.dtype) >= p
        mask = keep.astype(input.dtype) * input.dtype.type(1 / (1 - p))
    return Dropout.apply(input, mask)
