"""gelu (exact and tanh), silu, softplus, elu, and the erf behind gelu."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

import tinydl
import tinydl.nn.functional as F
from helpers import check_op, host, leaf, seeds, shapes, values
from tinydl.ops.special import erf_array

erf = np.vectorize(math.erf)


def test_erf_matches_math_erf_to_double_precision():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, -0.0, 1.0, -1.0, 1e-300, 40.0, -40.0]])
    np.testing.assert_allclose(erf_array(x), erf(x), rtol=0, atol=5e-16)
    near_zero = np.geomspace(1e-12, 0.5, 200)
    np.testing.assert_allclose(erf_array(near_zero), erf(near_zero), rtol=5e-16)   # relative, where erf is small
    assert erf_array(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]
    assert np.isnan(erf_array(np.array([np.nan]))).all()
    assert erf_array(np.linspace(-3, 3, 7, dtype=np.float32)).dtype == np.float32


SMOOTH = {
    "gelu": (F.gelu, lambda a: a * 0.5 * (1 + erf(a / math.sqrt(2)))),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"),
                  lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))),
    "silu": (F.silu, lambda a: a / (1 + np.exp(-a))),
    "softplus": (F.softplus, lambda a: np.log1p(np.exp(a))),
    "softplus_beta": (lambda t: F.softplus(t, beta=2.0, threshold=3.0),
                      lambda a: np.where(2 * a > 3, a, np.log1p(np.exp(2 * a)) / 2)),
    "elu": (F.elu, lambda a: np.where(a > 0, a, np.exp(a) - 1)),
    "elu_alpha": (lambda t: F.elu(t, alpha=0.5), lambda a: np.where(a > 0, a, 0.5 * (np.exp(a) - 1))),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
@given(shape=shapes, seed=seeds)
def test_smooth_activations(name, shape, seed, device):
    fn, reference = SMOOTH[name]
    # away from the kinks: 0 for elu with alpha != 1, beta x = threshold for softplus
    x = values(shape, seed, -4.0, 4.0, away_from_zero=0.05)
    if name == "softplus_beta":
        x = np.where(np.abs(2 * x - 3) < 0.05, x + 0.1, x)
    check_op(fn, reference, [x], device)


def test_gelu_derivative_is_cdf_plus_x_pdf():
    x = leaf(np.array([-2.0, -0.5, 0.0, 1.0, 3.0]))
    F.gelu(x).sum().backward()
    a = host(x)
    expected = 0.5 * (1 + erf(a / math.sqrt(2))) + a * np.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(host(x.grad), expected, rtol=1e-14)


def test_softplus_is_linear_above_the_threshold_and_finite_for_large_inputs():
    x = leaf(np.array([-800.0, -30.0, 25.0, 800.0]))
    out = F.softplus(x)
    np.testing.assert_allclose(host(out), [0.0, np.log1p(np.exp(-30.0)), 25.0, 800.0], rtol=1e-15, atol=0)
    out.sum().backward()
    np.testing.assert_allclose(host(x.grad), [0.0, 1 / (1 + np.exp(30.0)), 1.0, 1.0], rtol=1e-12)
    with pytest.raises(ValueError, match="softplus: beta must not be 0"):
        F.softplus(x, beta=0)


def test_elu_and_silu_do_not_overflow():
    x = leaf(np.array([-1000.0, 1000.0]))
    assert host(F.elu(x)).tolist() == [-1.0, 1000.0]
    assert host(F.silu(x)).tolist() == [0.0, 1000.0]


def test_float32_stays_float32_and_ints_become_float32(device):
    x = tinydl.randn(3, 4, device=device, requires_grad=True)
    outs = [F.gelu(x), F.gelu(x, approximate="tanh"), F.silu(x), F.softplus(x), F.elu(x)]
    assert {o.dtype for o in outs} == {tinydl.float32}
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == tinydl.float32
    assert F.gelu(tinydl.tensor([1, 2], device=device)).dtype == tinydl.float32
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(x, approximate="erf")
