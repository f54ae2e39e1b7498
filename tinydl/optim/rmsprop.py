"""RMSprop (Hinton's lecture 6e; centered form from Graves, 2013), exactly as PyTorch computes it."""
from __future__ import annotations

from typing import Any, Iterable

import tinydl.backend as backend
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """For each parameter p with gradient g (all averages start at 0):

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g^2           (running mean of g^2)
        m = alpha * m + (1 - alpha) * g             (centered=True only: running mean of g)
        d = sqrt(v - m^2) + eps if centered else sqrt(v) + eps
        b = momentum * b + g / d; p = p - lr * b    (momentum > 0)
        p = p - lr * g / d                          (momentum = 0)

    Unlike Adam there is no bias correction: with v starting at 0, the first
    steps are larger than lr (the first is lr / sqrt(1 - alpha) = 10 lr at the
    default alpha = 0.99), as in PyTorch. ``maximize=True`` ascends (g is negated first).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        for name, value in (("lr", lr), ("alpha", alpha), ("eps", eps), ("weight_decay", weight_decay),
                            ("momentum", momentum)):
            if not value >= 0:
                raise ValueError(f"RMSprop: {name} must be >= 0, got {value}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def step(self) -> None:
        for group, p in self.parameters_with_grad():
            xp = backend.get_array_module(p.array)
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"step": 0, "square_avg": xp.zeros_like(p.array)}
                if momentum > 0:
                    state["momentum_buffer"] = xp.zeros_like(p.array)
                if group["centered"]:
                    state["grad_avg"] = xp.zeros_like(p.array)
            state["step"] += 1
            grad = -p.grad.array if group["maximize"] else p.grad.array
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * p.array

            square_avg = state["square_avg"]                    # v, updated in place
            square_avg *= alpha
            square_avg += (1 - alpha) * grad * grad
            if group["centered"]:
                grad_avg = state["grad_avg"]                    # m, updated in place
                grad_avg *= alpha
                grad_avg += (1 - alpha) * grad
                denominator = xp.sqrt(square_avg - grad_avg * grad_avg)
            else:
                denominator = xp.sqrt(square_avg)
            denominator += eps
            if momentum > 0:
                buffer = state["momentum_buffer"]
                buffer *= momentum
                buffer += grad / denominator
                p.array -= lr * buffer
            else:
                p.array -= lr * (grad / denominator)
            p._bump_version()  # saved copies of p in a graph are now stale
