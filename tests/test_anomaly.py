"""Anomaly mode names the op, the module path and the line of a planted NaN; diverged training warns."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
from tinydl.engine import backward_observers, node_observers


class PlantNaN(tinydl.Function):
    """y = x.   dy/dx = 1; this backward plants a NaN in the gradient."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad_out):
        grad = grad_out.copy()
        grad.flat[0] = np.nan
        return grad


class Poisoned(nn.Module):
    def forward(self, x):
        return PlantNaN.apply(x)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.network = nn.Sequential(nn.Linear(3, 4), Poisoned(), nn.Linear(4, 2))

    def forward(self, x):
        return self.network(x)


def test_planted_nan_is_found_at_its_op_module_and_line():
    model = Model()
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with tinydl.autograd.detect_anomaly():
            line = inspect.currentframe().f_lineno + 1
            loss = model(tinydl.randn(5, 3)).sum()
            with pytest.raises(RuntimeError) as failure:
                loss.backward()
    message = str(failure.value)
    assert "Function 'PlantNaNBackward' returned nan values in its 0th output" in message
    assert f"test_anomaly.py:{line}" not in message  # the op was made inside Poisoned.forward ...
    forward_line = inspect.getsourcelines(Poisoned.forward)[1] + 1
    assert f"test_anomaly.py:{forward_line}" in message and "PlantNaN.apply(x)" in message
    assert "in module network.1 (Poisoned)" in message
    assert node_observers == [] and backward_observers == []


def test_a_nan_from_a_builtin_op_names_the_users_line_and_the_linear_layer():
    model = nn.Sequential(nn.Linear(2, 3))
    x = tinydl.tensor([[1.0, np.inf]])
    with pytest.warns(UserWarning), np.errstate(invalid="ignore"):
        with tinydl.autograd.detect_anomaly():
            line = inspect.currentframe().f_lineno + 1
            out = model(x)
            loss = (out * 0).sum()   # x holds inf: the gradient for the Linear's weight is inf * 0 = nan
            with pytest.raises(RuntimeError) as failure:
                loss.backward()
    message = str(failure.value)
    assert "'LinearBackward' returned nan values" in message
    assert f"test_anomaly.py:{line}" in message and "in module 0 (Linear 2→3)" in message


def test_without_anomaly_mode_nothing_is_checked():
    x = tinydl.randn(3, requires_grad=True)
    PlantNaN.apply(x).sum().backward()
    assert np.isnan(x.grad.numpy()[0])


def test_diverged_training_warns_once_and_suggests_a_smaller_lr():
    model = nn.Linear(2, 1)
    optimizer = tinydl.optim.SGD(model.parameters(), lr=10.0)
    model.weight.grad = tinydl.tensor([[np.nan, 1.0]])
    with pytest.warns(tinydl.autograd.DivergedWarning, match=r"lr=10.0.*10x smaller.*detect_anomaly"):
        optimizer.step()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()   # once only


def test_healthy_training_does_not_warn():
    model = nn.Linear(2, 1)
    optimizer = tinydl.optim.Adam(model.parameters(), lr=0.1)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            optimizer.zero_grad()
            model(tinydl.randn(4, 2)).pow(2).mean().backward()
            optimizer.step()


def test_set_detect_anomaly_turns_it_on_and_off():
    tinydl.autograd.set_detect_anomaly(True)
    try:
        x = tinydl.randn(3, requires_grad=True)
        out = PlantNaN.apply(x).sum()
        assert "created_at" in out.grad_fn.parents[0].metadata
        with pytest.raises(RuntimeError, match="PlantNaNBackward"):
            out.backward()
    finally:
        tinydl.autograd.set_detect_anomaly(False)
    assert node_observers == [] and backward_observers == []
