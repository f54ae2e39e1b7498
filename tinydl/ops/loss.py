"""Regression and binary losses: mse, l1, smooth_l1, huber, binary_cross_entropy (with logits).

Each computes a loss per element, then reduces it with ``reduction``:
"mean" (the default), "sum", or "none" (the per-element losses). The
classification losses (cross_entropy, nll_loss) live in ops/nn.py.
"""
from __future__ import annotations

import warnings
from typing import Any

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .common import broadcast_error
from .nn import _grad_per_sample, _reduce, check_reduction, legacy_reduction
from .registry import public


# ------------------------------------------------------------------ losses of a difference
class DifferenceLoss(Function):
    """loss = rho(d) with d = input - target, elementwise, then reduced.

    dloss/dinput = rho'(d),  dloss/dtarget = -rho'(d).
    A subclass gives rho (``value``) and rho' (``derivative``); ``parameter``
    is its beta or delta.
    """

    @staticmethod
    def value(difference: Array, parameter: float) -> Array:
        raise NotImplementedError

    @staticmethod
    def derivative(difference: Array, parameter: float) -> Array:
        raise NotImplementedError

    @staticmethod
    def forward(ctx: Node, input: Array, target: Array, reduction: str,  # noqa: A002
                parameter: float) -> Array:
        difference = input - target
        ctx.save_for_backward(difference)
        ctx.reduction, ctx.parameter = reduction, parameter
        return _reduce(ctx.function.value(difference, parameter), reduction)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (difference,) = ctx.saved_tensors
        scale = _grad_per_sample(grad_out, ctx.reduction, difference.size)
        grad = ctx.function.derivative(difference, ctx.parameter) * scale
        return grad, (-grad if ctx.needs_input_grad[1] else None), None, None


class MSELoss(DifferenceLoss):
    """rho(d) = d^2,   rho'(d) = 2 d."""

    @staticmethod
    def value(difference: Array, parameter: float) -> Array:
        return difference * difference

    @staticmethod
    def derivative(difference: Array, parameter: float) -> Array:
        return 2 * difference


class L1Loss(DifferenceLoss):
    """rho(d) = |d|,   rho'(d) = sign(d) (0 at d = 0, as PyTorch)."""

    @staticmethod
    def value(difference: Array, parameter: float) -> Array:
        return backend.get_array_module(difference).abs(difference)

    @staticmethod
    def derivative(difference: Array, parameter: float) -> Array:
        return backend.get_array_module(difference).sign(difference)


class SmoothL1Loss(DifferenceLoss):
    """rho(d) = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta   (beta = 0: |d|).

    rho'(d) = d / beta if |d| < beta else sign(d)
    """

    @staticmethod
    def value(difference: Array, beta: float) -> Array:
        xp = backend.get_array_module(difference)
        size = xp.abs(difference)
        if beta == 0:
            return size
        return xp.where(size < beta, 0.5 * difference * difference / beta, size - 0.5 * beta)

    @staticmethod
    def derivative(difference: Array, beta: float) -> Array:
        xp = backend.get_array_module(difference)
        if beta == 0:
            return xp.sign(difference)
        return xp.where(xp.abs(difference) < beta, difference / beta, xp.sign(difference))


class HuberLoss(DifferenceLoss):
    """rho(d) = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta)   (= delta * smooth_l1 with beta = delta).

    rho'(d) = d if |d| < delta else delta sign(d)
    """

    @staticmethod
    def value(difference: Array, delta: float) -> Array:
        xp = backend.get_array_module(difference)
        size = xp.abs(difference)
        return xp.where(size < delta, 0.5 * difference * difference, delta * (size - 0.5 * delta))

    @staticmethod
    def derivative(difference: Array, delta: float) -> Array:
        xp = backend.get_array_module(difference)
        return xp.where(xp.abs(difference) < delta, difference, delta * xp.sign(difference))


def _check_floats(op_name: str, **tensors: Any) -> None:
    for name, x in tensors.items():
        if x is not None and (not isinstance(x, Tensor) or x.dtype.kind != "f"):
            raise TypeError(f"{op_name}: {name} must be a floating-point tensor, got "
                            f"{x.dtype if isinstance(x, Tensor) else type(x).__name__}")
    dtypes = {name: x.dtype for name, x in tensors.items() if x is not None}
    if len(set(dtypes.values())) > 1:
        raise TypeError(f"{op_name}: dtypes differ: " + ", ".join(f"{k} {v}" for k, v in dtypes.items()))


def _difference_loss(function: type, op_name: str, input: Tensor, target: Tensor,  # noqa: A002
                     reduction: str, parameter: float = 0.0) -> Tensor:
    """Check, warn about broadcasting as PyTorch does, and apply a DifferenceLoss."""
    check_reduction(op_name, reduction)
    _check_floats(op_name, input=input, target=target)
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"{op_name}: Using a target size {tuple(target.shape)} that is different to the input "
                      f"size {tuple(input.shape)}. This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=3)
    try:
        return function.apply(input, target, reduction, parameter)
    except ValueError as error:
        raise broadcast_error(op_name, error, input, target, names=("input", "target")) from None


@public(method=False)
def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """Mean squared error: reduction of (input - target)^2.

    Shapes that differ are broadcast with a UserWarning, as PyTorch does ((N, 1)
    against (N,) gives (N, N) differences: usually a bug).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _difference_loss(MSELoss, "mse_loss", input, target, reduction)


@public(method=False)
def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,  # noqa: A002
            reduction: str = "mean") -> Tensor:
    """Mean absolute error: reduction of |input - target| (broadcasts with a warning, like mse_loss)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _difference_loss(L1Loss, "l1_loss", input, target, reduction)


@public(method=False)
def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,  # noqa: A002
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Squared error below ``beta``, absolute error above it (see SmoothL1Loss for the formula)."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _difference_loss(SmoothL1Loss, "smooth_l1_loss", input, target, reduction, float(beta))


@public(method=False)
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:  # noqa: A002
    """Squared error below ``delta``, delta-scaled absolute error above it (see HuberLoss)."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    return _difference_loss(HuberLoss, "huber_loss", input, target, reduction, float(delta))


# ------------------------------------------------------------------ binary cross-entropy
def _save_and_reduce(ctx: Node, losses: Array, weight: Array | None, reduction: str, *saved: Array) -> Array:
    """End of a binary loss's forward: keep ``saved``, weight and losses for backward, then
    return the weighted losses, reduced."""
    ctx.save_for_backward(*saved, weight, losses)
    ctx.reduction = reduction
    return _reduce(losses if weight is None else losses * weight, reduction)


def _saved_and_scale(ctx: Node, grad_out: Array) -> tuple:
    """Start of a binary loss's backward: (saved arrays, weight, losses, d(reduced)/d(loss_i))."""
    *saved, weight, losses = ctx.saved_tensors
    return saved, weight, losses, _grad_per_sample(grad_out, ctx.reduction, losses.size)


def _weighted(weight: Array | None, *grads: Array | None) -> tuple:
    """Each gradient times the per-element weight (if there is one)."""
    if weight is None:
        return grads
    return tuple(None if grad is None else grad * weight for grad in grads)


class BinaryCrossEntropy(Function):
    """loss = -w [y log(p) + (1 - y) log(1 - p)] on probabilities p, each log clamped at -100 (PyTorch's).

    dloss/dp = w (p - y) / max(p (1 - p), 1e-12)
    dloss/dy = w (log(1 - p) - log(p))    (the clamped logs)
    dloss/dw = the unweighted loss
    """

    @staticmethod
    def forward(ctx: Node, p: Array, y: Array, weight: Array | None, reduction: str) -> Array:
        xp = backend.get_array_module(p)
        with backend.quiet_floating_errors(xp):  # log(0) = -inf, then clamped
            log_p = xp.maximum(xp.log(p), -100)
            log_1mp = xp.maximum(xp.log1p(-p), -100)
        losses = -(y * log_p + (1 - y) * log_1mp)
        return _save_and_reduce(ctx, losses, weight, reduction, p, y, log_p, log_1mp)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (p, y, log_p, log_1mp), weight, losses, scale = _saved_and_scale(ctx, grad_out)
        xp = backend.get_array_module(p)
        grad_p = (p - y) / xp.maximum(p * (1 - p), 1e-12) * scale
        grad_y = (log_1mp - log_p) * scale if ctx.needs_input_grad[1] else None
        grad_w = losses * scale if ctx.needs_input_grad[2] else None
        grad_p, grad_y = _weighted(weight, grad_p, grad_y)
        return grad_p, grad_y, grad_w, None


class BCEWithLogits(Function):
    """loss = -w [q y log s(x) + (1 - y) log(1 - s(x))], s = sigmoid, q = pos_weight (default 1),
    computed stably as  w [(1 - y) x + l softplus(-x)]  with  l = (q - 1) y + 1,
    softplus(-x) = log(1 + e^{-x}) = log(1 + e^{-|x|}) + max(-x, 0).

    dloss/dx = w [(1 - y) - l (1 - s(x))]      (= w (s(x) - y) when q = 1)
    dloss/dy = w [-x + (q - 1) softplus(-x)]
    dloss/dq = w y softplus(-x)
    dloss/dw = the unweighted loss
    """

    @staticmethod
    def forward(ctx: Node, x: Array, y: Array, weight: Array | None, pos_weight: Array | None,
                reduction: str) -> Array:
        xp = backend.get_array_module(x)
        softplus_neg = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
        weighted_softplus = softplus_neg if pos_weight is None else ((pos_weight - 1) * y + 1) * softplus_neg
        losses = (1 - y) * x + weighted_softplus
        return _save_and_reduce(ctx, losses, weight, reduction, x, y, pos_weight, softplus_neg)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (x, y, pos_weight, softplus_neg), weight, losses, scale = _saved_and_scale(ctx, grad_out)
        xp = backend.get_array_module(x)
        e = xp.exp(-xp.abs(x))
        one_minus_sigmoid = xp.where(x >= 0, e, 1) / (1 + e)
        log_weight = 1 if pos_weight is None else (pos_weight - 1) * y + 1
        grad_x = ((1 - y) - log_weight * one_minus_sigmoid) * scale
        grad_y = grad_q = None
        if ctx.needs_input_grad[1]:
            grad_y = (-x if pos_weight is None else -x + (pos_weight - 1) * softplus_neg) * scale
        if ctx.needs_input_grad[3]:
            grad_q = y * softplus_neg * scale
        grad_w = losses * scale if ctx.needs_input_grad[2] else None
        grad_x, grad_y, grad_q = _weighted(weight, grad_x, grad_y, grad_q)
        return grad_x, grad_y, grad_w, grad_q, None


def _check_binary(op_name: str, input: Tensor, target: Tensor, **extra: Any) -> None:  # noqa: A002
    _check_floats(op_name, input=input, target=target, **extra)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{op_name}: target size {tuple(target.shape)} must be the same as input size "
                         f"{tuple(input.shape)}")


@public(method=False)
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                         size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] (e.g. after sigmoid) against targets.

    Each log is clamped at -100, as PyTorch does, so p = 0 or 1 gives a finite
    loss. On logits, binary_cross_entropy_with_logits is the stable choice.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("binary_cross_entropy", reduction)
    _check_binary("binary_cross_entropy", input, target, weight=weight)
    if input.numel():
        low, high = float(input.array.min()), float(input.array.max())
        if not (0 <= low and high <= 1):  # also catches nan
            raise ValueError(f"binary_cross_entropy: all elements of input should be between 0 and 1 "
                             f"(probabilities; found {low if not 0 <= low else high}). For logits use "
                             "binary_cross_entropy_with_logits (nn.BCEWithLogitsLoss)")
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


@public(method=False)
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,  # noqa: A002
                                     weight: Tensor | None = None, size_average: Any = None,
                                     reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of logits against targets in [0, 1], computed stably.

    ``pos_weight`` (e.g. shape (C,), broadcast along the last dimension) weighs
    the positive term: > 1 raises recall on rare positives. ``weight`` rescales
    each element's loss.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("binary_cross_entropy_with_logits", reduction)
    _check_binary("binary_cross_entropy_with_logits", input, target, weight=weight, pos_weight=pos_weight)
    return BCEWithLogits.apply(input, target, weight, pos_weight, reduction)
