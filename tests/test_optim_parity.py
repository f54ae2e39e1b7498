"""Optimizer and scheduler parity: frozen parameters, amsgrad, maximize, chainable schedulers,
gradient clipping (clip_grad_norm_ / clip_grad_value_)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim
from tinydl.nn.utils import clip_grad_norm_, clip_grad_value_
from tinydl.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LambdaLR, MultiStepLR, StepLR

GRADS = [np.array([0.5, -1.0]), np.array([0.1, 2.0]), np.array([-0.3, 0.05]), np.array([0.2, 0.2])]


def run(make, grads=GRADS):
    p = tinydl.tensor([1.0, -2.0], dtype=tinydl.float64, requires_grad=True)
    optimizer = make([p])
    history = []
    for grad in grads:
        p.grad = tinydl.tensor(grad)
        optimizer.step()
        history.append(p.detach().numpy().copy())
    return np.array(history)


def reference_adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
                   decoupled=False):
    """PyTorch's Adam/AdamW update written out (torch.optim.Adam docs' algorithm)."""
    p = np.array([1.0, -2.0])
    m, v, v_max = np.zeros(2), np.zeros(2), np.zeros(2)
    history = []
    for t, g in enumerate(GRADS, start=1):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat = m / (1 - betas[0] ** t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - betas[1] ** t)
        else:
            v_hat = v / (1 - betas[1] ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(p)
    return np.array(history)


@pytest.mark.parametrize("options", [dict(amsgrad=True, lr=0.1), dict(amsgrad=True, lr=0.05, weight_decay=0.1),
                                     dict(maximize=True, lr=0.1), dict(amsgrad=True, maximize=True, lr=0.1)])
def test_adam_amsgrad_and_maximize(options):
    np.testing.assert_allclose(run(lambda p: optim.Adam(p, **options)), reference_adam(**options), rtol=1e-10)


def test_adamw_amsgrad():
    options = dict(lr=0.1, weight_decay=0.05, amsgrad=True)
    np.testing.assert_allclose(run(lambda p: optim.AdamW(p, **options)),
                               reference_adam(decoupled=True, **options), rtol=1e-10)
    # amsgrad really differs from Adam here: the second gradient is large, then v shrinks
    assert np.abs(reference_adam(lr=0.1, amsgrad=True) - reference_adam(lr=0.1)).max() > 1e-6


def test_sgd_maximize_ascends():
    history = run(lambda p: optim.SGD(p, lr=0.1, maximize=True), grads=[np.array([1.0, -1.0])])
    np.testing.assert_allclose(history[0], [1.1, -2.1])


def test_optimizer_accepts_frozen_parameters_and_skips_missing_grads():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    model[0].requires_grad_(False)
    frozen_before = model[0].weight.detach().numpy().copy()
    trained_before = model[1].weight.detach().numpy().copy()
    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.1)):
        optimizer = make(model.parameters())  # frozen parameters included, as in fine-tuning code
        optimizer.zero_grad()
        model(tinydl.randn(4, 2)).sum().backward()
        optimizer.step()
        np.testing.assert_array_equal(model[0].weight.detach().numpy(), frozen_before)
        assert model[0].weight not in optimizer.state
    assert not np.array_equal(model[1].weight.detach().numpy(), trained_before)
    with pytest.raises(ValueError, match="can't optimize a non-leaf tensor"):
        optim.SGD([model[1].weight * 2], lr=0.1)
    with pytest.raises(TypeError, match=r"got the Sequential module itself; pass model.parameters\(\)"):
        optim.Adam(model)


# ------------------------------------------------------------------ schedulers
def make_optimizer(lr=1.0):
    return optim.SGD([tinydl.zeros(1, requires_grad=True)], lr=lr)


def lrs(scheduler, steps):
    values = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        values.append(scheduler.get_last_lr()[0])
    return values


def test_step_lr_and_cosine_follow_their_closed_forms():
    assert lrs(StepLR(make_optimizer(), step_size=2, gamma=0.5), 5) == pytest.approx([1, 1, 0.5, 0.5, 0.25, 0.25])
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(10)]  # past T_max it rises again
    assert lrs(CosineAnnealingLR(make_optimizer(), T_max=4, eta_min=0.1), 9) == pytest.approx(expected)
    assert lrs(ExponentialLR(make_optimizer(), gamma=0.5), 3) == pytest.approx([1, 0.5, 0.25, 0.125])
    assert lrs(LambdaLR(make_optimizer(), lambda epoch: 1 / (epoch + 1)), 2) == pytest.approx([1, 1 / 2, 1 / 3])
    assert lrs(MultiStepLR(make_optimizer(), [1, 3, 3], gamma=0.5), 4) == pytest.approx([1, 0.5, 0.5, 0.125, 0.125])


def test_schedulers_chain_with_a_manual_lr_change():
    scheduler = StepLR(make_optimizer(), step_size=2, gamma=0.5)
    scheduler.optimizer.step()
    scheduler.step()                                 # epoch 1: lr 1
    scheduler.optimizer.param_groups[0]["lr"] = 0.1  # the user lowers it by hand
    assert lrs(scheduler, 3)[1:] == pytest.approx([0.05, 0.05, 0.025])  # continues from 0.1, as PyTorch
    assert scheduler.last_epoch == 4

    cosine = CosineAnnealingLR(make_optimizer(), T_max=4)
    cosine.step()
    cosine.optimizer.param_groups[0]["lr"] *= 0.5    # halve: the rest of the curve is halved too
    halved = [0.5 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(2, 5)]
    assert [cosine.step() or cosine.get_last_lr()[0] for _ in range(3)] == pytest.approx(halved)


def test_two_schedulers_compose():
    optimizer = make_optimizer()
    first, second = StepLR(optimizer, step_size=1, gamma=0.5), ExponentialLR(optimizer, gamma=0.1)
    for _ in range(2):
        first.step()
        second.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05 ** 2)


def test_scheduler_resume_needs_initial_lr_and_step_epoch_uses_closed_form():
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(make_optimizer(), step_size=2, last_epoch=3)
    scheduler = StepLR(make_optimizer(), step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(5)
    assert scheduler.get_last_lr() == pytest.approx([0.25]) and scheduler.last_epoch == 5


# ------------------------------------------------------------------ gradient clipping
def _with_grads(*grads):
    params = []
    for grad in grads:
        p = tinydl.zeros(len(grad), dtype=tinydl.float64, requires_grad=True)
        p.grad = tinydl.tensor(np.array(grad, dtype=np.float64))
        params.append(p)
    return params


def test_clip_grad_norm_scales_all_gradients_together():
    params = _with_grads([3.0, 0.0], [0.0, 4.0])  # total 2-norm 5
    grad_object = params[0].grad
    version = grad_object._version
    total = clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, tinydl.Tensor) and total.item() == pytest.approx(5.0)
    coefficient = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad.numpy(), [3 * coefficient, 0.0])
    np.testing.assert_allclose(params[1].grad.numpy(), [0.0, 4 * coefficient])
    assert params[0].grad is grad_object and grad_object._version > version  # same tensor, changed in place
    within = _with_grads([0.3, 0.4])
    assert clip_grad_norm_(within, 1.0).item() == pytest.approx(0.5)
    np.testing.assert_allclose(within[0].grad.numpy(), [0.3, 0.4])


@pytest.mark.parametrize("norm_type,expected", [(1.0, 7.0), (math.inf, 4.0), (3.0, (27 + 64) ** (1 / 3))])
def test_clip_grad_norm_types(norm_type, expected):
    params = _with_grads([3.0, 0.0], [0.0, -4.0])
    assert clip_grad_norm_(params, 100.0, norm_type=norm_type).item() == pytest.approx(expected)


def test_clip_grad_norm_skips_missing_grads_and_does_not_double_scale_shared_arrays():
    a = tinydl.tensor([3.0], requires_grad=True)
    b = tinydl.tensor([1.0], requires_grad=True)
    frozen = tinydl.tensor([1.0], requires_grad=True)  # no grad: skipped
    (a + b).sum().backward()  # the engine may hand a and b one gradient array
    total = clip_grad_norm_([a, b, frozen], max_norm=1.0)
    assert total.item() == pytest.approx(math.sqrt(2))
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [1 / (math.sqrt(2) + 1e-6)] * 2, rtol=1e-6)
    assert frozen.grad is None
    assert clip_grad_norm_([frozen], 1.0).item() == 0.0
    params = _with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is inf"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    params = _with_grads([3.0, -0.5, -7.0])
    version = params[0].grad._version
    assert clip_grad_value_(params, 1.0) is None
    np.testing.assert_allclose(params[0].grad.numpy(), [1.0, -0.5, -1.0])
    assert params[0].grad._version > version
    layer = nn.Linear(2, 1)
    layer(tinydl.full((1, 2), 100.0)).sum().backward()
    clip_grad_value_(layer.parameters(), 0.5)
    assert float(abs(layer.weight.grad).max()) <= 0.5
