"""batch_norm and layer_norm: forward values, running statistics, eval mode, gradients.

Normalization is scale-invariant, so a gradient check must not use inputs that
share the random state of gradcheck's own directions: inputs here come from
numpy's default_rng(seed) with seeds unrelated to gradcheck's.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
import tinydl.nn.functional as F
from helpers import host, leaf

# (3, 2, 1, 1): 1x1 images, three values per channel. With two (2, 2, 1, 1) the normalised
# output is +-1 whatever x is, so its x-gradient is ~0 and gradcheck would prove nothing:
# test_two_values_per_channel_normalise_to_plus_minus_one asserts that case directly.
shapes_with_channels = st.sampled_from([(4, 3), (3, 2, 5), (2, 3, 3, 2), (5, 1), (3, 2, 1, 1)])
seeds = st.integers(1000, 2**32 - 1)


def data(shape, seed, scale=2.0, shift=0.5):
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


def batch_norm_reference(x, weight, bias, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


@given(shape=shapes_with_channels, seed=seeds)
def test_batch_norm_training_values_and_gradcheck(shape, seed, device):
    x, weight, bias = data(shape, seed), data(shape[1], seed + 1), data(shape[1], seed + 2)
    inputs = [leaf(x, device), leaf(weight, device), leaf(bias, device)]

    def normalize(x, w, b):
        return F.batch_norm(x, None, None, w, b, training=True)

    np.testing.assert_allclose(host(normalize(*inputs)), batch_norm_reference(x, weight, bias), rtol=1e-9, atol=1e-12)
    assert tinydl.gradcheck(normalize, inputs)
    assert tinydl.gradcheck(lambda x: F.batch_norm(x, None, None, training=True), inputs[:1])


def test_two_values_per_channel_normalise_to_plus_minus_one():
    x = leaf(data((2, 2, 1, 1), 11))
    out = F.batch_norm(x, None, None, training=True, eps=0.0)
    signs = np.sign(host(x) - host(x).mean(axis=0))
    np.testing.assert_allclose(host(out), signs, rtol=1e-12)
    (out * tinydl.tensor(data((2, 2, 1, 1), 12), dtype=tinydl.float64)).sum().backward()
    np.testing.assert_allclose(host(x.grad), 0.0, atol=1e-12)   # the output does not move with x


def test_batch_norm_input_gradient_is_not_trivially_zero():
    # Sum of a normalised output has zero gradient; a weighted sum must not.
    x = leaf(data((6, 2), 7))
    out = F.batch_norm(x, None, None, training=True)
    (out * tinydl.tensor(data((6, 2), 8), dtype=tinydl.float64)).sum().backward()
    assert np.abs(host(x.grad)).min() > 1e-6


def test_running_statistics_follow_pytorchs_update_rule(device):
    running_mean = tinydl.zeros(3, device=device, dtype=tinydl.float64)
    running_var = tinydl.ones(3, device=device, dtype=tinydl.float64)
    expected_mean, expected_var = np.zeros(3), np.ones(3)
    momentum = 0.3
    for step in range(4):
        x = data((5, 3, 2), 100 + step, scale=1 + step, shift=step)
        version = running_mean._version
        F.batch_norm(leaf(x, device), running_mean, running_var, training=True, momentum=momentum)
        assert running_mean._version > version           # changed in place: the version says so
        batch = x.transpose(1, 0, 2).reshape(3, -1)
        expected_mean = (1 - momentum) * expected_mean + momentum * batch.mean(1)
        expected_var = (1 - momentum) * expected_var + momentum * batch.var(1, ddof=1)   # unbiased
        np.testing.assert_allclose(host(running_mean), expected_mean, rtol=1e-12)
        np.testing.assert_allclose(host(running_var), expected_var, rtol=1e-12)


@given(shape=shapes_with_channels, seed=seeds)
def test_batch_norm_eval_uses_the_running_statistics(shape, seed):
    x, weight, bias = data(shape, seed), data(shape[1], seed + 1), data(shape[1], seed + 2)
    running_mean, running_var = data(shape[1], seed + 3), np.abs(data(shape[1], seed + 4)) + 0.1
    stats = tinydl.tensor(running_mean, dtype=tinydl.float64), tinydl.tensor(running_var, dtype=tinydl.float64)
    inputs = [leaf(x), leaf(weight), leaf(bias)]

    def normalize(x, w, b):
        return F.batch_norm(x, *stats, w, b, training=False)

    view = (1, -1) + (1,) * (len(shape) - 2)
    expected = ((x - running_mean.reshape(view)) / np.sqrt(running_var.reshape(view) + 1e-5)
                * weight.reshape(view) + bias.reshape(view))
    np.testing.assert_allclose(host(normalize(*inputs)), expected, rtol=1e-10)
    assert tinydl.gradcheck(normalize, inputs)
    np.testing.assert_array_equal(host(stats[0]), running_mean)   # eval never changes them


def layer_norm_reference(x, k, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    out = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return out * (1 if weight is None else weight) + (0 if bias is None else bias)


# (input shape, how many trailing dims to normalise): every sample has more than one value to normalise
@given(case=st.sampled_from([((3, 4), 1), ((2, 3, 4), 1), ((2, 3, 4), 2), ((5,), 1), ((2, 1, 3), 2), ((4, 2), 2)]),
       affine=st.booleans(), seed=seeds)
def test_layer_norm_values_and_gradcheck(case, affine, seed, device):
    shape, k = case
    normalized = shape[len(shape) - k:]
    x, weight, bias = data(shape, seed), data(normalized, seed + 1), data(normalized, seed + 2)
    inputs = [leaf(x, device)] + ([leaf(weight, device), leaf(bias, device)] if affine else [])

    def normalize(x, w=None, b=None):
        return F.layer_norm(x, normalized, w, b)

    expected = layer_norm_reference(x, k, weight if affine else None, bias if affine else None)
    np.testing.assert_allclose(host(normalize(*inputs)), expected, rtol=1e-9, atol=1e-12)
    assert tinydl.gradcheck(normalize, inputs)


def test_float32_stays_float32(device):
    x = tinydl.randn(4, 3, 2, device=device, requires_grad=True)
    w = tinydl.ones(3, device=device, requires_grad=True)
    stats = tinydl.zeros(3, device=device), tinydl.ones(3, device=device)
    outs = [F.batch_norm(x, *stats, w, None, training=True), F.batch_norm(x, *stats, training=False),
            F.layer_norm(x, (3, 2))]
    assert {o.dtype for o in outs} == {tinydl.float32} and stats[0].dtype == tinydl.float32
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == tinydl.float32 and w.grad.dtype == tinydl.float32


def test_norm_errors():
    with pytest.raises(ValueError, match=r"batch_norm: expected more than 1 value per channel when training, "
                                         r"got input of shape \(1, 3\)"):
        F.batch_norm(tinydl.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean must have shape \(3,\)"):
        F.batch_norm(tinydl.randn(4, 3), tinydl.zeros(2), tinydl.ones(2))
    with pytest.raises(ValueError, match=r"batch_norm: running_mean and running_var must be given when training=False"):
        F.batch_norm(tinydl.randn(4, 3), None, None)
    with pytest.raises(ValueError, match=r"layer_norm: given normalized_shape=\[4\], expected input with shape "
                                         r"\[\*, 4\], but got input of shape \(2, 3\)"):
        F.layer_norm(tinydl.randn(2, 3), 4)
    with pytest.raises(ValueError, match=r"layer_norm: weight must be a tensor of shape \(3,\)"):
        F.layer_norm(tinydl.randn(2, 3), 3, tinydl.ones(2))
