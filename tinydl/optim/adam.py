"""Adam and AdamW (Kingma & Ba, 2015; Loshchilov & Hutter, 2019), exactly as PyTorch computes them."""
from __future__ import annotations

import math
from typing import Any, Iterable

import tinydl.backend as backend
from .optimizer import Optimizer


class Adam(Optimizer):
    """For each parameter p with gradient g, at step t = 1, 2, ...:

        g = g + weight_decay * p                  (Adam: L2 penalty in the gradient)
        p = p * (1 - lr * weight_decay)           (AdamW: decoupled decay, instead)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        v_max = max(v_max, v); v = v_max          (amsgrad=True only)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    m and v are kept per parameter in ``state[p]`` as ``exp_avg`` and ``exp_avg_sq``
    (PyTorch's names), starting at 0. ``maximize=True`` ascends (g is negated first).
    """

    decoupled_weight_decay = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        name = type(self).__name__
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError(f"{name}: lr, eps and weight_decay must be >= 0, got {lr}, {eps}, {weight_decay}")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"{name}: betas must be in [0, 1), got {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def step(self) -> None:
        for group, p in self.parameters_with_grad():
            xp = backend.get_array_module(p.array)
            lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"step": 0, "exp_avg": xp.zeros_like(p.array),
                                         "exp_avg_sq": xp.zeros_like(p.array)}
            state["step"] += 1
            t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
            g = -p.grad.array if group["maximize"] else p.grad.array
            if weight_decay:
                if self.decoupled_weight_decay:
                    p.array *= 1 - lr * weight_decay                # p = p * (1 - lr * weight_decay)
                else:
                    g = g + weight_decay * p.array                  # g = g + weight_decay * p

            # The docstring's lines, computed in place in one scratch array: no temporary arrays
            # (for a large layer each one is a fresh allocation and a pass over memory). The
            # plain form costs 2% more instructions on the W2 benchmark, so each line below
            # names the formula it computes.
            scratch = xp.multiply(g, 1 - beta1)                     # (1 - beta1) * g
            m *= beta1
            m += scratch                                            # m = beta1 * m + (1 - beta1) * g
            xp.multiply(g, g, out=scratch)
            scratch *= 1 - beta2                                    # (1 - beta2) * g^2
            v *= beta2
            v += scratch                                            # v = beta2 * v + (1 - beta2) * g^2
            if group["amsgrad"]:  # use the largest v so far: the step size never grows back
                v_max = state.get("max_exp_avg_sq")
                if v_max is None:  # max(0, v) = v at the first step
                    v_max = state["max_exp_avg_sq"] = v.copy()
                else:
                    xp.maximum(v_max, v, out=v_max)                 # v_max = max(v_max, v)
                v = v_max                                           # v = v_max
            # m and v start at 0, so early averages are too small; dividing by 1 - beta^t undoes that.
            # p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps) is computed with sqrt(bc2) multiplied
            # through, so that the constants cost no pass over the array of their own:
            #    = (lr * sqrt(bc2) / bc1) * m / (sqrt(v) + eps * sqrt(bc2))
            bias_correction1, sqrt_bias_correction2 = 1 - beta1 ** t, math.sqrt(1 - beta2 ** t)
            xp.sqrt(v, out=scratch)
            scratch += eps * sqrt_bias_correction2                  # sqrt(v) + eps * sqrt(bc2)
            xp.divide(m, scratch, out=scratch)                      # m / (sqrt(v) + eps * sqrt(bc2))
            scratch *= lr * sqrt_bias_correction2 / bias_correction1
            p.array -= scratch                                      # p = p - lr / bc1 * m / (...)
            p._bump_version()  # saved copies of p in a graph are now stale


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2): p shrinks by lr * weight_decay each step."""

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)
