"""Stochastic gradient descent, with momentum, dampening, weight decay and Nesterov."""
from __future__ import annotations

from typing import Any, Iterable

from .optimizer import Optimizer


class SGD(Optimizer):
    """PyTorch's SGD. For each parameter p with gradient g:

        g = g + weight_decay * p
        b = g                                   (first step)
        b = momentum * b + (1 - dampening) * g  (later steps)
        g = g + momentum * b if nesterov else b (when momentum != 0)
        p = p - lr * g

    ``maximize=True`` ascends (g is negated first).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def step(self) -> None:
        for group, p in self.parameters_with_grad():
            grad = -p.grad.array if group["maximize"] else p.grad.array
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * p.array              # g = g + weight_decay * p
            momentum = group["momentum"]
            if momentum:
                state = self.state.setdefault(p, {})
                buffer = state.get("momentum_buffer")             # b, kept between steps
                if buffer is None:
                    buffer = state["momentum_buffer"] = grad.copy()  # b = g (first step)
                else:
                    buffer *= momentum
                    buffer += (1 - group["dampening"]) * grad     # b = momentum * b + (1 - dampening) * g
                grad = grad + momentum * buffer if group["nesterov"] else buffer  # g + momentum * b, or b
            p.array -= group["lr"] * grad  # p = p - lr * g, in place: p stays the same array
            p._bump_version()  # saved copies of p in a graph are now stale
