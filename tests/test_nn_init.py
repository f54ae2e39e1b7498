"""nn.init: PyTorch's formulas for bounds and standard deviations, filled in place."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinydl
from tinydl.nn import init


def weight(out_features=400, in_features=300):
    return tinydl.nn.Parameter(tinydl.zeros(out_features, in_features))


def test_fills_in_place_and_returns_the_tensor():
    w = weight()
    array = w.array
    assert init.ones_(w) is w and w.array is array and (array == 1).all()
    assert (init.zeros_(w).array == 0).all()
    assert (init.constant_(w, 0.5).array == 0.5).all()


def test_uniform_and_normal_statistics():
    w = init.uniform_(weight(), -0.2, 0.6)
    assert w.array.min() >= -0.2 and w.array.max() < 0.6
    assert abs(w.array.mean() - 0.2) < 0.01
    w = init.normal_(weight(), mean=1.0, std=0.5)
    assert abs(w.array.mean() - 1.0) < 0.01 and abs(w.array.std() - 0.5) < 0.01
    assert w.dtype == tinydl.float32


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier(gain):
    fan_in, fan_out = 300, 400
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    w = init.xavier_uniform_(weight(), gain=gain)
    assert np.abs(w.array).max() <= bound and np.abs(w.array).max() > 0.95 * bound
    w = init.xavier_normal_(weight(), gain=gain)
    assert w.array.std() == pytest.approx(gain * math.sqrt(2 / (fan_in + fan_out)), rel=0.02)


def test_kaiming():
    fan_in, fan_out = 300, 400
    w = init.kaiming_uniform_(weight(), nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan_in)
    assert np.abs(w.array).max() <= bound and np.abs(w.array).max() > 0.95 * bound
    w = init.kaiming_normal_(weight(), mode="fan_out", nonlinearity="relu")
    assert w.array.std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.02)
    # PyTorch's Linear default, kaiming_uniform_(a=sqrt(5)), is U(+-1/sqrt(fan_in)):
    w = init.kaiming_uniform_(weight(), a=math.sqrt(5))
    assert np.abs(w.array).max() <= 1 / math.sqrt(fan_in) and np.abs(w.array).max() > 0.95 / math.sqrt(fan_in)


def test_calculate_gain_and_errors():
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(tinydl.zeros(5))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(weight(), mode="fan")


def test_manual_seed_makes_init_reproducible():
    tinydl.manual_seed(3)
    a = tinydl.nn.Linear(4, 3).weight.array.copy()
    tinydl.manual_seed(3)
    assert (tinydl.nn.Linear(4, 3).weight.array == a).all()
