"""Assignment 4: SGD with momentum and Adam, as tinydl.optim.Optimizer subclasses.

Reference solution (repository only).
"""
from __future__ import annotations

from typing import Any, Iterable

import tinydl
from tinydl import Tensor
from tinydl.optim import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's form: the momentum buffer accumulates gradients."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def step(self) -> None:
        with tinydl.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    # Task 4.1: the gradient of loss + (weight_decay / 2) * ||p||^2
                    grad = p.grad + group["weight_decay"] * p
                    if group["momentum"] != 0:
                        grad = self.momentum_direction(p, grad, group)
                    p -= group["lr"] * grad                # in place: p stays the same tensor

    def momentum_direction(self, p: Tensor, grad: Tensor, group: dict) -> Tensor:
        """Update p's momentum buffer b with the gradient g; return the direction to step along."""
        # Task 4.2: momentum, dampening, Nesterov
        momentum = group["momentum"]
        state = self.state.setdefault(p, {})
        if "momentum_buffer" not in state:
            buffer = grad.clone()                          # first step: b = g, no dampening
        else:
            buffer = momentum * state["momentum_buffer"] + (1 - group["dampening"]) * grad
        state["momentum_buffer"] = buffer
        return grad + momentum * buffer if group["nesterov"] else buffer


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction, PyTorch's defaults."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def step(self) -> None:
        with tinydl.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    # Task 4.3
                    grad = p.grad + group["weight_decay"] * p
                    state = self.state.setdefault(p, {})
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = tinydl.zeros_like(p)
                        state["exp_avg_sq"] = tinydl.zeros_like(p)
                    state["step"] += 1
                    t = state["step"]
                    state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * grad
                    state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
                    m_hat = state["exp_avg"] / (1 - beta1 ** t)
                    v_hat = state["exp_avg_sq"] / (1 - beta2 ** t)
                    p -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])
