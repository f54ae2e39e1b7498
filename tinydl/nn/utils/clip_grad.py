"""Gradient clipping: call between ``loss.backward()`` and ``optimizer.step()``.

Both change each parameter's ``.grad`` tensor (the same Tensor object, so a
reference to it sees the new values). The new values go into a new array
rather than over the old one: the engine may let two gradients share one
array (``a + b`` hands the same gradient to both), and scaling it in place
would scale both.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import tinydl.backend as backend
from ...backend import Array
from ...creation import zeros
from ...engine import Tensor


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _replace(grad: Tensor, array: Array) -> None:
    """Give the gradient tensor a new array of values (not in place: see the module docstring)."""
    grad.array = array
    grad._bump_version()


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Any = None) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    total = || (||g_1||_p, ..., ||g_k||_p) ||_p   (the p-norm of all gradient entries as one vector)
    g_i  <- g_i * min(1, max_norm / (total + 1e-6))

    Returns ``total`` (a 0-d tensor, before clipping), as PyTorch does; parameters
    without a gradient are skipped. ``foreach`` is accepted and ignored.
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return zeros(())
    xp = backend.get_array_module(grads[0].array)
    with backend.quiet_floating_errors(xp):
        if math.isinf(norm_type):
            norms = [xp.abs(g.array).max() if g.array.size else xp.asarray(0.0, g.dtype) for g in grads]
            total = xp.max(xp.stack(norms)) if norm_type > 0 else xp.min(xp.stack(norms))
        else:
            norms = [(xp.abs(g.array) ** norm_type).sum() for g in grads]
            total = xp.sum(xp.stack(norms)) ** (1 / norm_type)
    total = xp.asarray(total, dtype=grads[0].dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"{float(total)}, so they cannot be clipped; set error_if_nonfinite=False to "
                           "clip anyway")
    coefficient = min(max_norm / (float(total) + 1e-6), 1.0)
    for grad in grads:  # always multiplied (by 1.0 when within bounds), as PyTorch does
        _replace(grad, grad.array * grad.dtype.type(coefficient))
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: Any = None) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for grad in _grads(parameters):
        xp = backend.get_array_module(grad.array)
        _replace(grad, xp.clip(grad.array, -clip_value, clip_value))
