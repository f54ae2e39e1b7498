"""Loss options and new losses, against NumPy references written from PyTorch's documented formulas.

cross_entropy(weight=, ignore_index=, label_smoothing=, probability targets), nll_loss options,
BCEWithLogits(pos_weight=, weight=), binary_cross_entropy (clamped logs), l1, smooth_l1, huber,
reduction= everywhere, PyTorch's legacy size_average/reduce, loss modules and their buffers.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
import tinydl.nn as nn
import tinydl.nn.functional as F
from helpers import check_op, host, leaf, seeds, shapes, values

REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}
REDUCTIONS = ["mean", "sum", "none"]


def _log_softmax(a):
    shifted = a - a.max(1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(1, keepdims=True))


def reference_cross_entropy(logits, labels, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """PyTorch's formula, written out per row (docs of torch.nn.CrossEntropyLoss)."""
    n, classes = logits.shape
    log_p = _log_softmax(logits)
    w = np.ones(classes) if weight is None else weight
    losses, row_weights = np.zeros(n), np.zeros(n)
    for i in range(n):
        if labels[i] == ignore_index:
            continue
        row_weights[i] = w[labels[i]]
        nll = -w[labels[i]] * log_p[i, labels[i]]
        smooth = -(w * log_p[i]).sum()
        losses[i] = (1 - smoothing) * nll + smoothing / classes * smooth
    if reduction == "mean":
        return losses.sum() / row_weights.sum()
    return REDUCE[reduction](losses)


def _labels(seed, n, classes, ignore_some):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    if ignore_some:
        labels[rng.random(n) < 0.4] = -100
        labels[0] = 0  # at least one row kept
    return labels


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(n=st.integers(1, 5), classes=st.integers(2, 4), weighted=st.booleans(), ignore_some=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.1, 0.35]), seed=seeds)
def test_cross_entropy_options_match_pytorch_formula(reduction, n, classes, weighted, ignore_some, smoothing, seed):
    logits = values((n, classes), seed, -3, 3)
    labels = _labels(seed, n, classes, ignore_some)
    weight = values((classes,), seed + 1, 0.2, 2.0) if weighted else None
    weight_tensor = None if weight is None else tinydl.tensor(weight, dtype=tinydl.float64)
    target = tinydl.tensor(labels)
    check_op(lambda z: F.cross_entropy(z, target, weight_tensor, reduction=reduction, label_smoothing=smoothing),
             lambda z: reference_cross_entropy(z, labels, weight, -100, reduction, smoothing), [logits], "cpu")
    if smoothing == 0:
        check_op(lambda z: F.nll_loss(F.log_softmax(z, 1), target, weight_tensor, reduction=reduction),
                 lambda z: reference_cross_entropy(z, labels, weight, -100, reduction), [logits], "cpu")


def test_weighted_mean_divides_by_the_weights_of_the_kept_labels():
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    labels = np.array([0, 1, -100])
    weight = np.array([1.0, 3.0])
    log_p = _log_softmax(logits)
    expected = (-1 * log_p[0, 0] - 3 * log_p[1, 1]) / (1 + 3)  # not / 3 rows, not / 2
    loss = F.cross_entropy(tinydl.tensor(logits), tinydl.tensor(labels), tinydl.tensor(weight, dtype=tinydl.float64))
    assert loss.item() == pytest.approx(expected, rel=1e-12)


def test_ignored_rows_add_nothing_and_get_no_gradient():
    logits = leaf(values((4, 3), 0))
    labels = tinydl.tensor([2, -100, 0, -100])
    F.cross_entropy(logits, labels).backward()
    grad = host(logits.grad)
    assert (grad[[1, 3]] == 0).all() and (grad[[0, 2]] != 0).all()
    # the default ignore_index is -100 and a custom one works the same way
    kept = F.cross_entropy(tinydl.tensor(values((4, 3), 0)[[0, 2]]), tinydl.tensor([2, 0]))
    custom = F.cross_entropy(tinydl.tensor(values((4, 3), 0)), tinydl.tensor([2, 7, 0, 7]), ignore_index=7)
    assert custom.item() == pytest.approx(kept.item())
    everything = F.cross_entropy(tinydl.tensor(values((2, 3), 0)), tinydl.tensor([-100, -100]))
    assert np.isnan(everything.item())  # PyTorch: 0 / 0 = nan for "mean"


def test_label_smoothing_mixes_with_uniform_by_hand():
    # two classes, logits 0: p = (1/2, 1/2), every row's loss is log 2 whatever the smoothing
    loss = F.cross_entropy(tinydl.zeros(3, 2), tinydl.tensor([0, 1, 1]), label_smoothing=0.3)
    assert loss.item() == pytest.approx(np.log(2), rel=1e-6)
    # one row, p = softmax([ln 3, 0]) = (3/4, 1/4), label 0, eps = 0.2: 0.9 * -ln(3/4) + 0.1 * -ln(1/4)
    loss = F.cross_entropy(tinydl.tensor(np.array([[np.log(3), 0.0]])), tinydl.tensor([0]),
                           label_smoothing=0.2)
    assert loss.item() == pytest.approx(-0.9 * np.log(0.75) - 0.1 * np.log(0.25), rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(n=st.integers(1, 4), classes=st.integers(2, 4), smoothing=st.sampled_from([0.0, 0.2]), seed=seeds)
def test_cross_entropy_with_class_probabilities(reduction, n, classes, smoothing, seed):
    probabilities = np.random.default_rng(seed).dirichlet(np.ones(classes), n)
    smoothed = probabilities * (1 - smoothing) + smoothing / classes

    def reference(z, y):
        return REDUCE[reduction](-(_log_softmax(z) * (y * (1 - smoothing) + smoothing / classes)).sum(1))
    check_op(lambda z, y: F.cross_entropy(z, y, reduction=reduction, label_smoothing=smoothing), reference,
             [values((n, classes), seed), probabilities], "cpu")
    assert smoothed.sum(1) == pytest.approx(np.ones(n))


def test_cross_entropy_option_errors():
    logits = tinydl.zeros(3, 4)
    with pytest.raises(ValueError, match=r"target contains class -1, .*only ignore_index=-100 may lie outside"):
        F.cross_entropy(logits, tinydl.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"weight must be a tinydl.float32 tensor of shape \(4,\)"):
        F.cross_entropy(logits, tinydl.tensor([0, 1, 1]), tinydl.ones(3))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(logits, tinydl.tensor([0, 1, 1]), label_smoothing=1.5)


def test_default_cross_entropy_keeps_the_fused_op():
    logits = tinydl.randn(4, 3, requires_grad=True)
    assert F.cross_entropy(logits, tinydl.tensor([0, 1, 2, 0])).grad_fn.name() == "CrossEntropyBackward"
    assert nn.CrossEntropyLoss()(logits, tinydl.tensor([0, 1, 2, 0])).grad_fn.name() == "CrossEntropyBackward"


# ------------------------------------------------------------------ binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=st.sampled_from([(3,), (2, 3), (4, 2)]), weighted=st.booleans(), seed=seeds)
def test_bce_with_logits_pos_weight(reduction, shape, weighted, seed):
    columns = shape[-1]

    def reference(x, y, q, w=1.0):
        s = 1 / (1 + np.exp(-x))
        return REDUCE[reduction](-w * (q * y * np.log(s) + (1 - y) * np.log(1 - s)))
    x, y, q = values(shape, seed, -4, 4), values(shape, seed + 1, 0.05, 0.95), values((columns,), seed + 2, 0.5, 3)
    if weighted:
        w = values(shape, seed + 3, 0.5, 2)
        check_op(lambda x, y, q, w: F.binary_cross_entropy_with_logits(x, y, w, reduction=reduction, pos_weight=q),
                 reference, [x, y, q, w], "cpu")
    else:
        check_op(lambda x, y, q: F.binary_cross_entropy_with_logits(x, y, reduction=reduction, pos_weight=q),
                 reference, [x, y, q], "cpu")


def test_bce_with_logits_pos_weight_is_stable_and_module_keeps_buffers():
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=tinydl.tensor([3.0]))
    x = tinydl.tensor([[1e4], [-1e4]], requires_grad=True)
    loss = loss_fn(x, tinydl.tensor([[0.0], [1.0]]))
    assert loss.item() == pytest.approx((1e4 + 3 * 1e4) / 2)
    loss.backward()
    np.testing.assert_allclose(host(x.grad), [[0.5], [-1.5]])  # (1 - y) - l (1 - s), halved by the mean
    assert list(loss_fn.state_dict()) == ["pos_weight"] and list(loss_fn.parameters()) == []


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=shapes, weighted=st.booleans(), seed=seeds)
def test_binary_cross_entropy_on_probabilities(reduction, shape, weighted, seed):
    def reference(p, y, w=1.0):
        return REDUCE[reduction](-w * (y * np.log(p) + (1 - y) * np.log(1 - p)))
    arrays = [values(shape, seed, 0.05, 0.95), values(shape, seed + 1, 0.0, 1.0)]
    if weighted:
        check_op(lambda p, y, w: F.binary_cross_entropy(p, y, w, reduction=reduction), reference,
                 arrays + [values(shape, seed + 2, 0.5, 2)], "cpu")
    else:
        check_op(lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction), reference, arrays, "cpu")


def test_binary_cross_entropy_clamps_logs_at_minus_100_and_checks_range():
    p = tinydl.tensor([0.0, 1.0, 0.5], requires_grad=True)
    y = tinydl.tensor([1.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning from log(0)
        loss = nn.BCELoss(reduction="none")(p, y)
        loss.sum().backward()
    np.testing.assert_allclose(host(loss), [100.0, 100.0, np.log(2)], rtol=1e-6)
    # PyTorch: (p - y) / max(p (1 - p), 1e-12)
    np.testing.assert_allclose(host(p.grad), [-1e12, 1e12, -2.0], rtol=1e-6)
    with pytest.raises(ValueError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(tinydl.tensor([1.5]), tinydl.tensor([1.0]))
    with pytest.raises(ValueError, match=r"target size \(2,\) must be the same as input size \(1,\)"):
        F.binary_cross_entropy(tinydl.tensor([0.5]), tinydl.tensor([1.0, 0.0]))


# ------------------------------------------------------------------ l1, smooth l1, huber
def _smooth_l1(d, beta):
    return np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta) if beta else np.abs(d)


def _huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["l1", "smooth_l1", "huber"])
@given(shape=shapes, parameter=st.sampled_from([0.0, 0.5, 1.0, 2.0]), seed=seeds)
def test_difference_losses(reduction, name, shape, parameter, seed):
    a = values(shape, seed, -3, 3)
    # keep |a - b| away from the kinks (0, and beta/delta where the pieces join)
    offsets = values(shape, seed + 1, 0.1, 0.4) * np.random.default_rng(seed).choice([-1, 1], shape)
    b = np.asarray(a + offsets + np.random.default_rng(seed + 2).choice([0.0, 2.5], shape))
    if name == "l1":
        function, reference = (lambda x, y: F.l1_loss(x, y, reduction=reduction)), (lambda x, y: np.abs(x - y))
    elif name == "smooth_l1":
        function = lambda x, y: F.smooth_l1_loss(x, y, reduction=reduction, beta=parameter)  # noqa: E731
        reference = lambda x, y: _smooth_l1(x - y, parameter)  # noqa: E731
    else:
        delta = parameter or 1.0
        function = lambda x, y: F.huber_loss(x, y, reduction=reduction, delta=delta)  # noqa: E731
        reference = lambda x, y: _huber(x - y, delta)  # noqa: E731
    check_op(function, lambda x, y: REDUCE[reduction](reference(x, y)), [a, b], "cpu")


def test_difference_losses_by_hand():
    x, y = tinydl.tensor([0.0, 0.0, 0.0]), tinydl.tensor([0.5, 2.0, -3.0])
    assert nn.L1Loss(reduction="sum")(x, y).item() == pytest.approx(5.5)
    assert nn.SmoothL1Loss(reduction="sum")(x, y).item() == pytest.approx(0.125 + 1.5 + 2.5)
    assert nn.HuberLoss(reduction="sum", delta=2.0)(x, y).item() == pytest.approx(0.125 + 2 * 1.0 + 2 * 2.0)
    assert nn.SmoothL1Loss(beta=0.0)(x, y).item() == pytest.approx(nn.L1Loss()(x, y).item())
    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    F.l1_loss(x, tinydl.tensor([1.0, 0.0])).backward()
    np.testing.assert_allclose(host(x.grad), [0.0, 0.5])  # sign(0) = 0, as PyTorch


def test_regression_losses_warn_and_broadcast_like_mse():
    with pytest.warns(UserWarning, match=r"l1_loss: Using a target size \(3,\) that is different to the input "
                                         r"size \(3, 1\)\. This will likely lead to incorrect results"):
        loss = F.l1_loss(tinydl.zeros(3, 1), tinydl.ones(3), reduction="none")
    assert loss.shape == (3, 3)


def test_reduction_is_checked_everywhere_and_legacy_arguments_map_as_pytorch():
    for make in (nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.MSELoss,
                 nn.CrossEntropyLoss, nn.NLLLoss):
        with pytest.raises(ValueError, match="reduction must be one of"):
            make(reduction="avg")
    with pytest.warns(UserWarning, match="size_average and reduce args are deprecated"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert nn.MSELoss(reduce=False).reduction == "none"


def test_loss_modules_print_like_pytorch():
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss()"
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss()"


def test_class_weight_is_a_buffer_moved_and_saved():
    loss_fn = nn.CrossEntropyLoss(weight=tinydl.tensor([1.0, 2.0]))
    assert list(loss_fn.state_dict()) == ["weight"]
    loss_fn.double()
    assert loss_fn.weight.dtype == tinydl.float64
    logits = tinydl.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=tinydl.float64)
    assert loss_fn(logits, tinydl.tensor([0, 1])).item() == pytest.approx(np.log(2))
