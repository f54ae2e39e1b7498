"""The fused ops neural networks lean on: linear, softmax, losses, dropout.

Each could be composed from smaller ops, but the textbook derives their
gradients in closed form (``softmax - onehot`` for cross-entropy), and one
Function with that backward is both clearer and faster than a chain of ten.
"""
from __future__ import annotations

import warnings
from typing import Any

import tinydl.backend as backend
import tinydl.rng as rng
from ..backend import Array
from ..engine import Node, Function, Tensor
from .arguments import require_tensor
from .activation import where
from .common import normalize_dims, stable_logsumexp
from .registry import public

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
    def forward(ctx: Node, x: Array, weight: Array, bias: Array | None) -> Array:
        ctx.save_for_backward(x, weight)
        out = x @ weight.T                   # (..., D_in) @ (D_in, D_out) -> (..., D_out)
        if bias is not None:
            out += bias  # `out` is a fresh array: adding in place saves an allocation
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        x, weight = ctx.saved_tensors
        grad_rows = grad_out.reshape(-1, grad_out.shape[-1])        # (..., D_out) -> (N, D_out)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = (grad_rows @ weight).reshape(x.shape)  # (N, D_out) @ (D_out, D_in) -> (..., D_in)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_rows.T @ x.reshape(-1, x.shape[-1])  # (D_out, N) @ (N, D_in) -> (D_out, D_in)
        if ctx.needs_input_grad[2]:
            grad_bias = grad_rows.sum(axis=0)                       # (N, D_out) -> (D_out,)
        return grad_x, grad_weight, grad_bias


@public(method=False)
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """input @ weight.T + bias, with input (..., in), weight (out, in), bias (out,)."""
    require_tensor("linear", input, "input", 1)
    require_tensor("linear", weight, "weight", 2)
    # (the checks read the raw arrays: this runs once per layer per step)
    x_shape, w_shape = input.array.shape, weight.array.shape
    if not x_shape or len(w_shape) != 2:
        raise ValueError(f"linear: expected input (..., in_features) and weight (out_features, "
                         f"in_features), got shapes {x_shape} and {w_shape}")
    if x_shape[-1] != w_shape[1]:
        raise ValueError(f"linear: input has {x_shape[-1]} features (shape {x_shape}) "
                         f"but weight expects {w_shape[1]} (weight shape {w_shape})")
    if bias is not None and bias.array.shape != (w_shape[0],):
        raise ValueError(f"linear: bias must have shape ({w_shape[0]},), got {bias.array.shape}")
    for name, x in (("input", input), ("bias", bias)):
        if x is not None and x.array.dtype != weight.array.dtype:
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
    def forward(ctx: Node, x: Array, axis: int) -> Array:
        xp = backend.get_array_module(x)
        with backend.quiet_floating_errors(xp):  # an all -inf slice gives nan, silently, as PyTorch
            out = xp.exp(x - stable_logsumexp(x, axis))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (out,) = ctx.saved_tensors
        # inf grad_out * 0 (run_backward already silences NumPy's warnings)
        return out * (grad_out - (grad_out * out).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    """y_i = x_i - log sum_j e^{x_j} along an axis.

    dL/dx_i = dL/dy_i - softmax(x)_i sum_j dL/dy_j
    """

    @staticmethod
    def forward(ctx: Node, x: Array, axis: int) -> Array:
        with backend.quiet_floating_errors(backend.get_array_module(x)):  # all -inf slice: nan
            out = x - stable_logsumexp(x, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (out,) = ctx.saved_tensors
        xp = backend.get_array_module(out)
        return grad_out - xp.exp(out) * grad_out.sum(axis=ctx.axis, keepdims=True), None


def _softmax_axis(op_name: str, x: Tensor, dim: int | None) -> int:
    require_tensor(op_name, x)
    if dim is None:
        raise TypeError(f"{op_name}: dim must be given (e.g. dim=1 for (N, C) logits)")
    if x.dtype.kind != "f":
        raise TypeError(f"{op_name}: expected a floating-point tensor, got {x.dtype}")
    (axis,) = normalize_dims(op_name, dim, x.ndim)
    return axis


@public
def softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """Probabilities along ``dim`` (numerically stable for logits of +-1e4)."""
    return Softmax.apply(x, _softmax_axis("softmax", x, dim))


@public
def log_softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """Log-probabilities along ``dim``, without computing log(softmax) (which underflows)."""
    return LogSoftmax.apply(x, _softmax_axis("log_softmax", x, dim))


# ------------------------------------------------------------------ losses
def _reduce(losses: Array, reduction: str) -> Array:
    xp = backend.get_array_module(losses)
    if reduction == "mean":
        return xp.asarray(losses.mean())
    if reduction == "sum":
        return xp.asarray(losses.sum())
    return losses


def _grad_per_sample(grad_out: Array, reduction: str, count: int) -> Array:
    """d(reduced loss)/d(per-sample loss), shaped to broadcast over the samples."""
    if reduction == "mean":
        return grad_out / count
    return grad_out  # "sum": 1 each; "none": grad_out already has one entry per sample


class CrossEntropy(Function):
    """loss_n = -log softmax(z_n)[t_n] = logsumexp(z_n) - z_n[t_n], logits z (N, C), labels t (N,).

    dloss_n/dz_n = softmax(z_n) - onehot(t_n)
    """

    @staticmethod
    def forward(ctx: Node, logits: Array, target: Array, reduction: str) -> Array:
        xp = backend.get_array_module(logits)
        with backend.quiet_floating_errors(xp):  # a row of all -inf (or +inf) logits: nan, as PyTorch
            log_probs = logits - stable_logsumexp(logits, 1)       # (N, C) - (N, 1) -> (N, C)
        rows = xp.arange(logits.shape[0])
        ctx.save_for_backward(log_probs, target)
        ctx.reduction = reduction
        return _reduce(-log_probs[rows, target], reduction)        # (N, C) picked at (n, t_n) -> (N,)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        log_probs, target = ctx.saved_tensors
        xp = backend.get_array_module(log_probs)
        grad = xp.exp(log_probs)                      # softmax, (N, C)
        grad[xp.arange(len(target)), target] -= 1     # - onehot, (N, C)
        scale = _grad_per_sample(grad_out, ctx.reduction, len(target))
        grad *= scale[:, None] if ctx.reduction == "none" else scale  # in place: grad is our own array
        return grad, None, None


class NLLLoss(Function):
    """loss_n = -x_n[t_n] for log-probabilities x (N, C).   dloss_n/dx_n = -onehot(t_n)."""

    @staticmethod
    def forward(ctx: Node, log_probs: Array, target: Array, reduction: str) -> Array:
        xp = backend.get_array_module(log_probs)
        ctx.save_for_backward(target)
        ctx.shape, ctx.reduction = log_probs.shape, reduction
        return _reduce(-log_probs[xp.arange(len(target)), target], reduction)  # (N, C) -> (N,)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (target,) = ctx.saved_tensors
        xp = backend.get_array_module(grad_out)
        scale = _grad_per_sample(grad_out, ctx.reduction, len(target))
        grad = xp.zeros(ctx.shape, dtype=grad_out.dtype)                    # (N, C)
        grad[xp.arange(len(target)), target] = -scale                      # -onehot, scaled
        return grad, None, None


def check_reduction(op_name: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op_name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's deprecated size_average=/reduce= arguments, turned into ``reduction`` as it does."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args are deprecated, please use reduction='mean'|'sum'|'none'",
                  UserWarning, stacklevel=3)
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def _check_class_targets(op_name: str, scores: Tensor, target: Tensor, ignore_index: int) -> bool:
    """(N, C) float scores and (N,) int64 labels in [0, C) (or ignore_index), or a readable error.

    Returns whether any label equals ignore_index (the rows that are left out).
    """
    require_tensor(op_name, scores)
    if not isinstance(target, Tensor):
        raise TypeError(f"{op_name}: target must be a tensor of class indices, got {type(target).__name__}")
    shape, target_shape = scores.array.shape, target.array.shape  # (raw arrays: once per step)
    if scores.array.dtype.kind != "f":
        raise TypeError(f"{op_name}: input must be floating-point scores (N, C), got dtype {scores.dtype}")
    if len(shape) != 2:
        raise ValueError(f"{op_name}: input must have shape (N, C), got {shape}")
    if target.array.dtype.kind not in "iu":
        raise TypeError(f"{op_name}: target must hold integer class indices (int64, e.g. "
                        f"tinydl.LongTensor(y)), got dtype {target.dtype}")
    if target_shape != (shape[0],):
        raise ValueError(f"{op_name}: target must have shape ({shape[0]},) to match input "
                         f"{shape}, got {target_shape}")
    if not target.array.size:
        return False
    classes = shape[1]
    low, high = int(target.array.min()), int(target.array.max())
    if 0 <= low and high < classes:  # the common case: one min and one max, nothing ignored
        return False
    labels = target.array
    outside = labels[((labels < 0) | (labels >= classes)) & (labels != ignore_index)]
    if outside.size:
        raise ValueError(f"{op_name}: target contains class {int(outside[0])}, outside [0, {classes}) for "
                         f"input with {classes} classes (shape {tuple(scores.shape)}); only "
                         f"ignore_index={ignore_index} may lie outside")
    return True


def _check_class_weight(op_name: str, scores: Tensor, weight: Tensor | None) -> None:
    if weight is None:
        return
    if not isinstance(weight, Tensor) or weight.dtype != scores.dtype or tuple(weight.shape) != (scores.shape[1],):
        got = f"{weight.dtype} {tuple(weight.shape)}" if isinstance(weight, Tensor) else type(weight).__name__
        raise ValueError(f"{op_name}: weight must be a {scores.dtype} tensor of shape ({scores.shape[1]},), "
                         f"one weight per class, got {got}")


def _class_index_loss(log_probs: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                      reduction: str, label_smoothing: float) -> Tensor:
    """The options of nll_loss / cross_entropy, composed from differentiable ops (PyTorch's formulas).

    With w_c the class weights (1 without ``weight``), k_n = 0 for rows whose
    label is ignore_index (else 1), eps = label_smoothing, C classes:

        loss_n = k_n [(1 - eps) (-w_{t_n} log p_{n,t_n}) + (eps / C) sum_c (-w_c log p_{n,c})]

    "mean" divides the sum by sum_n k_n w_{t_n} (the weights of the rows kept),
    not by N; if every row is ignored it is nan, as in PyTorch.
    """
    xp = backend.get_array_module(log_probs.array)
    rows, classes = log_probs.shape
    labels = target.array
    kept = labels != ignore_index                                   # (N,) bool
    safe_labels = xp.where(kept, labels, 0)                         # ignored rows read class 0, then drop out
    class_weight = weight.array if weight is not None else xp.ones(classes, dtype=log_probs.dtype)
    row_weight = xp.where(kept, class_weight[safe_labels], 0).astype(log_probs.dtype)  # k_n w_{t_n}
    kept_rows = Tensor(kept)
    picked = log_probs[xp.arange(rows), safe_labels]                # (N, C) -> (N,): log p_{n,t_n}
    losses = where(kept_rows, -picked * Tensor(row_weight), 0.0)
    if label_smoothing:
        smooth = -(log_probs * Tensor(class_weight)).sum(1)         # (N,)
        losses = losses * (1 - label_smoothing) + where(kept_rows, smooth, 0.0) * (label_smoothing / classes)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    total_weight = float(row_weight.sum())
    if total_weight == 0:
        return losses.sum() * 0.0 + float("nan")  # PyTorch: nan, and zero gradients
    return losses.sum() / total_weight


def _class_probability_loss(log_probs: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                            label_smoothing: float) -> Tensor:
    """cross_entropy against class probabilities y (N, C): loss_n = -sum_c w_c y_{n,c} log p_{n,c},
    with y mixed with the uniform distribution, (1 - eps) y + eps / C. "mean" divides by N."""
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / log_probs.shape[1]
    products = log_probs * target if weight is None else log_probs * target * weight
    losses = -products.sum(1)
    return losses.mean() if reduction == "mean" else losses.sum() if reduction == "sum" else losses


@public(method=False)
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C) against int64 labels (N,) (or class probabilities (N, C)).

    loss_n = -log softmax(z_n)[t_n]. ``weight`` (C,) weighs each class (the mean
    then divides by the summed weights of the labels), rows labelled
    ``ignore_index`` add nothing and get no gradient, ``label_smoothing`` eps
    mixes the one-hot target with the uniform distribution (see
    _class_index_loss for the formula). Without these options the fused
    CrossEntropy op runs.
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("cross_entropy", reduction)
    if label_smoothing and not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if isinstance(input, Tensor) and input.array.ndim == 1 and isinstance(target, Tensor) and target.array.ndim == 0:
        one = cross_entropy(input.reshape(1, -1), target.reshape(1), weight, None, ignore_index, None,
                            reduction, label_smoothing)  # one sample: (C,) and ()
        return one.reshape(()) if reduction == "none" else one
    if (isinstance(input, Tensor) and isinstance(target, Tensor) and target.array.dtype.kind == "f"
            and target.array.shape == input.array.shape and input.array.ndim == 2):
        _check_class_weight("cross_entropy", input, weight)
        return _class_probability_loss(log_softmax(input, 1), target, weight, reduction, label_smoothing)
    has_ignored = _check_class_targets("cross_entropy", input, target, ignore_index)
    if weight is None and not has_ignored and not label_smoothing:
        return CrossEntropy.apply(input, target, reduction)
    _check_class_weight("cross_entropy", input, weight)
    return _class_index_loss(log_softmax(input, 1), target, weight, ignore_index, reduction, label_smoothing)


@public(method=False)
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) (e.g. from log_softmax) and labels (N,).

    ``weight`` and ``ignore_index`` as in cross_entropy.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("nll_loss", reduction)
    has_ignored = _check_class_targets("nll_loss", input, target, ignore_index)
    if weight is None and not has_ignored:
        return NLLLoss.apply(input, target, reduction)
    _check_class_weight("nll_loss", input, weight)
    return _class_index_loss(input, target, weight, ignore_index, reduction, 0.0)


# ------------------------------------------------------------------ dropout
class Dropout(Function):
    """y = x * mask, where mask is 0 (dropped) or 1/(1-p) (kept).   dy/dx = mask."""

    @staticmethod
    def forward(ctx: Node, x: Array, mask: Array) -> Array:
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (mask,) = ctx.saved_tensors
        return grad_out * mask, None


@public(method=False)
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
        keep = rng.uniform(xp, 0.0, 1.0, input.shape, input.dtype) >= p
        mask = keep.astype(input.dtype) * input.dtype.type(1 / (1 - p))
    return Dropout.apply(input, mask)
