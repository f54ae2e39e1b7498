"""Optimizers step by step against their published update rules, convergence, groups, schedulers."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim
from helpers import host

GRADS = [np.array([0.5, -1.0, 2.0]), np.array([-0.3, 0.2, 1.0]), np.array([1.5, 0.0, -2.0]),
         np.array([0.1, 0.1, 0.1]), np.array([-1.0, 2.0, 0.5])]
START = np.array([1.0, -2.0, 0.5])


def run_optimizer(make, steps=len(GRADS), device="cpu"):
    """Apply the fixed gradient sequence GRADS through the optimizer; return the parameter history."""
    p = tinydl.tensor(START, dtype=tinydl.float64, requires_grad=True, device=device)
    optimizer = make([p])
    history = []
    for grad in GRADS[:steps]:
        optimizer.zero_grad()
        p.grad = tinydl.tensor(grad, device=device)
        optimizer.step()
        history.append(host(p).copy())
    return history


def reference_sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """The update rule as written in Sutskever et al. / PyTorch's documentation."""
    p, buf, history = START.copy(), None, []
    for g in GRADS:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        history.append(p.copy())
    return history


def reference_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """Algorithm 1 of Kingma & Ba (2015), with PyTorch's eps placement; AdamW per Loshchilov & Hutter."""
    beta1, beta2 = betas
    p, m, v, history = START.copy(), np.zeros(3), np.zeros(3), []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(p.copy())
    return history


@pytest.mark.parametrize("options", [
    dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.9, dampening=0.5),
    dict(lr=0.1, weight_decay=0.01), dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.1),
])
def test_sgd_matches_its_update_rule(options):
    np.testing.assert_allclose(run_optimizer(lambda p: optim.SGD(p, **options)), reference_sgd(**options),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("options", [
    dict(lr=0.1), dict(lr=0.01, betas=(0.8, 0.99)), dict(lr=0.1, eps=1e-3), dict(lr=0.1, weight_decay=0.1),
])
def test_adam_matches_its_update_rule(options):
    np.testing.assert_allclose(run_optimizer(lambda p: optim.Adam(p, **options)), reference_adam(**options),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("options", [dict(lr=0.1), dict(lr=0.1, weight_decay=0.5)])
def test_adamw_matches_its_update_rule(options):
    expected = reference_adam(decoupled=True, **{"weight_decay": 1e-2, **options})
    np.testing.assert_allclose(run_optimizer(lambda p: optim.AdamW(p, **options)), expected, rtol=1e-10, atol=1e-12)


def test_adam_first_step_moves_each_coordinate_by_lr():
    # With bias correction, step 1 is lr * g / |g| (up to eps): a classic check of the correction.
    history = run_optimizer(lambda p: optim.Adam(p, lr=0.01), steps=1)
    np.testing.assert_allclose(history[0], START - 0.01 * np.sign(GRADS[0]), rtol=1e-6)


@pytest.mark.parametrize("make, steps", [
    (lambda p: optim.SGD(p, lr=0.1), 200), (lambda p: optim.SGD(p, lr=0.05, momentum=0.9), 200),
    (lambda p: optim.Adam(p, lr=0.05), 500), (lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.0), 500),
])
def test_convergence_on_a_convex_problem(make, steps):
    # Least squares: minimise |A w - b|^2, whose solution numpy knows.
    rng = np.random.default_rng(0)
    a_np, b_np = rng.normal(size=(20, 3)), rng.normal(size=20)
    a, b = tinydl.tensor(a_np), tinydl.tensor(b_np)
    w = tinydl.zeros(3, dtype=tinydl.float64, requires_grad=True)
    optimizer = make([w])
    for _ in range(steps):
        optimizer.zero_grad()
        ((a @ w - b) ** 2).mean().backward()
        optimizer.step()
    np.testing.assert_allclose(host(w), np.linalg.lstsq(a_np, b_np, rcond=None)[0], atol=2e-3)


def test_param_groups_with_their_own_options():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    optimizer = optim.SGD([{"params": model[0].parameters()},
                           {"params": model[1].parameters(), "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5]
    assert all(g["momentum"] == 0.9 for g in optimizer.param_groups)
    before = host(model[1].weight).copy()
    model(tinydl.ones(1, 2)).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(host(model[1].weight), before - 0.5 * host(model[1].weight.grad), rtol=1e-6)


def test_optimizer_argument_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optim.SGD([tinydl.ones(1, requires_grad=True)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf tensor"):
        optim.SGD([tinydl.ones(1, requires_grad=True) * 2], lr=0.1)
    optim.SGD([tinydl.ones(1)], lr=0.1)  # requires_grad=False (a frozen parameter) is accepted, as in PyTorch
    with pytest.raises(ValueError, match="betas must be in"):
        optim.Adam([tinydl.ones(1, requires_grad=True)], betas=(1.0, 0.5))


def test_parameters_without_grad_are_skipped():
    a, b = tinydl.ones(2, requires_grad=True), tinydl.ones(2, requires_grad=True)
    optimizer = optim.Adam([a, b], lr=0.1)
    (a * 2).sum().backward()
    optimizer.step()
    assert host(b).tolist() == [1.0, 1.0] and host(a).tolist() != [1.0, 1.0]


def test_optimizer_state_dict_round_trip_continues_identically():
    histories = []
    for interrupted in (False, True):
        p = tinydl.tensor(START, dtype=tinydl.float64, requires_grad=True)
        optimizer = optim.Adam([p], lr=0.1)
        for step, grad in enumerate(GRADS):
            if interrupted and step == 2:
                state = optimizer.state_dict()
                p = tinydl.tensor(host(p), requires_grad=True)
                optimizer = optim.Adam([p], lr=0.7)   # lr comes back from the state
                optimizer.load_state_dict(state)
            p.grad = tinydl.tensor(grad)
            optimizer.step()
        histories.append(host(p))
    np.testing.assert_array_equal(histories[0], histories[1])


def test_optimizer_load_state_dict_checks_shapes():
    optimizer = optim.Adam([tinydl.ones(3, requires_grad=True)])
    optimizer.param_groups[0]["params"][0].grad = tinydl.ones(3)
    optimizer.step()
    state = optimizer.state_dict()
    other = optim.Adam([tinydl.ones(4, requires_grad=True)])
    with pytest.raises(ValueError, match=r"exp_avg of parameter 0 has shape \(3,\), the parameter has \(4,\)"):
        other.load_state_dict(state)


def test_step_lr_and_cosine_annealing():
    p = tinydl.ones(1, requires_grad=True)
    optimizer = optim.SGD([p], lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]

    optimizer = optim.SGD([p], lr=1.0)
    cosine = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.1)
    lrs = []
    for _ in range(5):
        lrs.append(cosine.get_last_lr()[0])
        cosine.step()
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(lrs, expected)


@pytest.mark.parametrize("make, reference", [
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.1),
     lambda: reference_sgd(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.1)),
    (lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.01), lambda: reference_adam(lr=0.1, weight_decay=0.01)),
    (lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.1),
     lambda: reference_adam(lr=0.1, weight_decay=0.1, decoupled=True)),
], ids=["sgd", "adam", "adamw"])
def test_optimizers_follow_their_update_rules_on_cuda(make, reference, cuda):
    history = run_optimizer(make, device=cuda)
    np.testing.assert_allclose(history, reference(), rtol=1e-12, atol=1e-12)
