"""Fused nn ops: linear, cross_entropy, nll_loss, mse_loss, BCE with logits, dropout — values and gradients."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
import tinydl.nn as nn
import tinydl.nn.functional as F
from helpers import check_op, host, leaf, seeds, values

REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}


@given(n=st.integers(1, 5), d_in=st.integers(1, 4), d_out=st.integers(1, 4), batch=st.booleans(), seed=seeds)
def test_linear(n, d_in, d_out, batch, seed, device):
    x_shape = (2, n, d_in) if batch else (n, d_in)
    arrays = [values(x_shape, seed), values((d_out, d_in), seed + 1), values((d_out,), seed + 2)]
    check_op(F.linear, lambda x, w, b: x @ w.T + b, arrays, device)
    check_op(lambda x, w: F.linear(x, w), lambda x, w: x @ w.T, arrays[:2], device)


def _log_softmax(a):
    shifted = a - a.max(1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(n=st.integers(1, 6), classes=st.integers(2, 5), seed=seeds)
def test_cross_entropy_and_nll(reduction, n, classes, seed, device):
    logits = values((n, classes), seed, -3, 3)
    labels = np.random.default_rng(seed).integers(0, classes, n)
    target = tinydl.tensor(labels, device=device)
    expected = lambda a: REDUCE[reduction](-_log_softmax(a)[np.arange(n), labels])  # noqa: E731
    check_op(lambda z: F.cross_entropy(z, target, reduction=reduction), expected, [logits], device)
    check_op(lambda z: F.nll_loss(z, target, reduction=reduction),
             lambda a: REDUCE[reduction](-a[np.arange(n), labels]), [logits], device)
    check_op(lambda z: F.nll_loss(F.log_softmax(z, 1), target, reduction=reduction), expected, [logits], device)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    logits = leaf(np.array([[2.0, 1.0, 0.1]]))
    F.cross_entropy(logits, tinydl.tensor([0])).backward()
    softmax = np.exp([2.0, 1.0, 0.1]) / np.exp([2.0, 1.0, 0.1]).sum()
    np.testing.assert_allclose(host(logits.grad), [softmax - [1, 0, 0]])


def test_cross_entropy_is_finite_for_huge_logits():
    logits = tinydl.tensor([[1e4, -1e4], [-1e4, 1e4]], requires_grad=True)
    loss = F.cross_entropy(logits, tinydl.tensor([1, 1]))
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1e4)
    loss.backward()
    assert np.isfinite(host(logits.grad)).all()


def test_cross_entropy_label_errors():
    logits = tinydl.zeros(3, 4)
    with pytest.raises(ValueError, match=r"cross_entropy: target contains class 4, outside \[0, 4\)"):
        F.cross_entropy(logits, tinydl.tensor([0, 4, 1]))
    with pytest.raises(ValueError, match=r"cross_entropy: target contains class -1"):
        F.cross_entropy(logits, tinydl.tensor([0, -1, 1]))
    with pytest.raises(TypeError, match=r"cross_entropy: target must hold integer class indices .* got dtype tinydl.float32"):
        F.cross_entropy(logits, tinydl.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"cross_entropy: target must have shape \(3,\)"):
        F.cross_entropy(logits, tinydl.tensor([0, 1]))
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(shape=st.sampled_from([(3,), (2, 3), (4, 1)]), seed=seeds)
def test_mse_loss(reduction, shape, seed, device):
    check_op(lambda a, b: F.mse_loss(a, b, reduction=reduction),
             lambda a, b: REDUCE[reduction]((a - b) ** 2), [values(shape, seed), values(shape, seed + 1)], device)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(shape=st.sampled_from([(3,), (2, 3)]), seed=seeds)
def test_bce_with_logits(reduction, shape, seed, device):
    def reference(x, y):
        p = 1 / (1 + np.exp(-x))
        return REDUCE[reduction](-(y * np.log(p) + (1 - y) * np.log(1 - p)))
    check_op(lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction), reference,
             [values(shape, seed, -4, 4), values(shape, seed + 1, 0.05, 0.95)], device)


def test_bce_with_logits_is_stable():
    x = tinydl.tensor([1e4, -1e4], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, tinydl.tensor([0.0, 1.0]))
    assert loss.item() == pytest.approx(1e4)
    loss.backward()
    np.testing.assert_allclose(host(x.grad), [0.5, -0.5])


def test_mse_shape_mismatch_warns_and_broadcasts_as_pytorch():
    a, b = np.array([[1.0], [2.0]]), np.array([0.0, 4.0])
    with pytest.warns(UserWarning, match=r"target size \(2,\) that is different to the input size \(2, 1\)"):
        loss = F.mse_loss(tinydl.tensor(a), tinydl.tensor(b))
    assert loss.item() == pytest.approx(((a - b) ** 2).mean())  # (2, 2) differences, as PyTorch
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 2\) and target shape \(3,\) cannot be "):
        with pytest.warns(UserWarning):
            F.mse_loss(tinydl.zeros(4, 2), tinydl.zeros(3))


def test_dropout_with_fixed_mask_gradient():
    from tinydl.ops.nn import Dropout
    mask = np.array([[2.0, 0.0, 2.0], [0.0, 2.0, 2.0]])
    check_op(lambda x: Dropout.apply(x, mask), lambda a: a * mask, [values((2, 3), 1)], "cpu")


def test_dropout_statistics_and_eval():
    x = tinydl.ones(100_000)
    dropped = F.dropout(x, 0.3)
    kept = host(dropped) > 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(host(dropped)[kept], 1 / 0.7, rtol=1e-6)
    assert F.dropout(x, 0.3, training=False) is x
    assert dropped.dtype == tinydl.float32
    with pytest.raises(ValueError, match=r"dropout: probability p must be in \[0, 1\], got 1.5"):
        F.dropout(x, 1.5)


def test_loss_modules_match_functional():
    logits, labels = tinydl.randn(5, 3), tinydl.tensor([0, 2, 1, 1, 0])
    assert nn.CrossEntropyLoss()(logits, labels).item() == F.cross_entropy(logits, labels).item()
    assert nn.CrossEntropyLoss(reduction="sum")(logits, labels).item() == pytest.approx(
        F.cross_entropy(logits, labels, reduction="sum").item())
    a, b = tinydl.randn(4), tinydl.randn(4)
    assert nn.MSELoss()(a, b).item() == F.mse_loss(a, b).item()
    assert nn.BCEWithLogitsLoss()(a, b.sigmoid()).item() == F.binary_cross_entropy_with_logits(a, b.sigmoid()).item()
    assert nn.NLLLoss()(logits.log_softmax(1), labels).item() == pytest.approx(F.cross_entropy(logits, labels).item())


def test_nn_functional_is_the_same_functions():
    assert F.relu is tinydl.functional.relu and F.cross_entropy is tinydl.functional.cross_entropy
