"""Assignment 4: SGD with momentum and Adam, as tinydl.optim.Optimizer subclasses.

Read statement.md first. Fill in every ``raise NotImplementedError("Task 4.x ...")``,
then grade with ``python -m tinydl.coursework grade .``

``params`` is what PyTorch's optimizers take: an iterable of parameters
(``model.parameters()``), or of dicts such as ``{"params": [...], "lr": 0.01}``.
What the base class ``tinydl.optim.Optimizer`` gives you:
    self.param_groups   a list of dicts: {"params": [p, ...], "lr": ..., and the other options}
    self.state          a dict {parameter: dict}, empty at first: keep per-parameter state here
    zero_grad()         clears every p.grad
Inside step(), work under ``tinydl.no_grad()`` (an update is not part of any graph) and
change each parameter in place (``p -= ...``), so the model keeps the same tensor.
"""
from __future__ import annotations

import tinydl
from tinydl import Tensor
from tinydl.optim import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's form. For each parameter p with a gradient:

        g = p.grad + weight_decay * p                       (Task 4.1)
        b = g                                   first step  (Task 4.2, only when momentum != 0)
        b = momentum * b + (1 - dampening) * g  later steps
        g = g + momentum * b if nesterov else b
        p = p - lr * g                                      (Task 4.1)
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def step(self) -> None:
        """Update every parameter that has a gradient, in place; skip those whose p.grad is None.

        Read the options from each group (group["lr"], ...) at every step: a learning-rate
        scheduler changes them between steps. When group["momentum"] != 0, the step goes
        along self.momentum_direction(p, g, group) instead of g (Task 4.2).
        """
        raise NotImplementedError("Task 4.1: SGD.step: p <- p - lr * (p.grad + weight_decay * p)")

    def momentum_direction(self, p: Tensor, grad: Tensor, group: dict) -> Tensor:
        """Update p's momentum buffer b (kept in self.state[p]["momentum_buffer"]) with the
        gradient g = grad, and return the direction to step along: b, or g + momentum * b
        with Nesterov.
        """
        raise NotImplementedError("Task 4.2: SGD.momentum_direction: momentum buffer, dampening, nesterov")


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), PyTorch's form. For each parameter p with a gradient, at step t = 1, 2, ...:

        g = p.grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g          (m, v start at zeros)
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1^t)                (bias correction)
        v_hat = v / (1 - beta2^t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def step(self) -> None:
        """Update every parameter that has a gradient, in place.

        Keep t, m and v of parameter p in self.state[p] under PyTorch's names
        "step", "exp_avg" and "exp_avg_sq".
        """
        raise NotImplementedError("Task 4.3: Adam.step: m, v, bias correction, then the update")
