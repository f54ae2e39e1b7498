"""Reductions: sum/mean/max/min/var/std/logsumexp/softmax, with dim, keepdim and gradients."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
from helpers import check_op, host, leaf, nonscalar_shapes, seeds, shapes, values


@st.composite
def shape_and_dims(draw, shape_strategy=nonscalar_shapes):
    """A shape and a dim argument for it: None, an int (maybe negative), or a tuple."""
    shape = draw(shape_strategy)
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return shape, None
    if kind == "int":
        return shape, draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return shape, tuple(axes)


@pytest.mark.parametrize("name, reference", [("sum", np.sum), ("mean", np.mean)])
@given(case=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_sum_mean(name, reference, case, keepdim, seed, device):
    shape, dim = case
    check_op(lambda x: getattr(x, name)(dim=dim, keepdim=keepdim),
             lambda a: reference(a, axis=dim, keepdims=keepdim), [values(shape, seed)], device)


@given(shape=shapes, seed=seeds)
def test_sum_of_everything_including_0d(shape, seed, device):
    check_op(lambda x: x.sum(), np.sum, [values(shape, seed)], device)


def _distinct(shape, seed):
    """Values that are all different (a random permutation scaled): max has one winner."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.37 - n * 0.1).astype(np.float64)


@pytest.mark.parametrize("name", ["max", "min"])
@given(shape=nonscalar_shapes, data=st.data(), keepdim=st.booleans(), seed=seeds)
def test_max_min_along_dim_returns_values_and_indices(name, shape, data, keepdim, seed, device):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    array = _distinct(shape, seed)
    x = leaf(array, device)
    values_, indices = getattr(x, name)(dim, keepdim=keepdim)
    pick = np.argmax if name == "max" else np.argmin
    np.testing.assert_array_equal(host(indices), pick(array, axis=dim) if not keepdim
                                  else np.expand_dims(pick(array, axis=dim), dim))
    assert indices.dtype == tinydl.int64
    np.testing.assert_allclose(host(values_), getattr(np, name)(array, axis=dim, keepdims=keepdim))
    assert tinydl.gradcheck(lambda t: getattr(t, name)(dim, keepdim=keepdim)[0], [x])


@pytest.mark.parametrize("name", ["max", "min"])
@given(shape=shapes, seed=seeds)
def test_max_min_of_everything(name, shape, seed, device):
    check_op(lambda x: getattr(x, name)(), getattr(np, name), [_distinct(shape, seed)], device)


def test_max_of_everything_splits_ties_evenly():
    x = leaf(np.array([3.0, 1.0, 3.0]))
    x.max().backward()
    np.testing.assert_allclose(host(x.grad), [0.5, 0.0, 0.5])


def test_max_along_dim_gradient_goes_to_selected_element():
    x = leaf(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    values_, indices = x.max(dim=1)
    assert indices.tolist() == [1, 0]
    (values_ * tinydl.tensor([10.0, 100.0], dtype=tinydl.float64)).sum().backward()
    np.testing.assert_allclose(host(x.grad), [[0, 10, 0], [100, 0, 0]])


def test_argmax_argmin():
    array = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    x = tinydl.tensor(array)
    assert x.argmax().item() == 3 and x.argmin().item() == 4
    assert x.argmax(1).tolist() == [1, 0] and x.argmin(dim=0).tolist() == [0, 1, 0]
    assert x.argmax(1, keepdim=True).shape == (2, 1)
    assert x.argmax(1).dtype == tinydl.int64


@pytest.mark.parametrize("unbiased", [True, False])
@given(case=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_var_std(unbiased, case, keepdim, seed, device):
    shape, dim = case
    count = np.prod(shape) if dim is None else np.prod([shape[d] for d in np.atleast_1d(dim)])
    if count < 2:
        return  # one element: var is 0 (std's sqrt has a kink there) or nan with n-1 (tested below)
    ddof = 1 if unbiased else 0
    array = values(shape, seed)
    check_op(lambda x: x.var(dim, unbiased=unbiased, keepdim=keepdim),
             lambda a: np.var(a, axis=dim, ddof=ddof, keepdims=keepdim), [array], device)
    check_op(lambda x: x.std(dim, unbiased=unbiased, keepdim=keepdim),
             lambda a: np.std(a, axis=dim, ddof=ddof, keepdims=keepdim), [array], device)


def test_var_default_is_unbiased_and_single_element_is_nan():
    x = tinydl.tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var().item() == pytest.approx(np.var([1, 2, 3, 4], ddof=1))
    assert x.var(unbiased=False).item() == pytest.approx(1.25)
    assert x.var(correction=0).item() == pytest.approx(1.25)
    assert np.isnan(tinydl.tensor([1.0]).var().item())


@given(case=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_logsumexp(case, keepdim, seed, device):
    shape, dim = case
    reference = lambda a: np.log(np.exp(a).sum(axis=dim, keepdims=keepdim))  # noqa: E731
    check_op(lambda x: x.logsumexp(dim, keepdim=keepdim), reference, [values(shape, seed)], device)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_softmax_log_softmax(name, shape, data, seed, device):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))

    def reference(a):
        e = np.exp(a - a.max(axis=dim, keepdims=True))
        p = e / e.sum(axis=dim, keepdims=True)
        return p if name == "softmax" else np.log(p)
    if shape[dim] > 1:
        check_op(lambda x: getattr(x, name)(dim), reference, [values(shape, seed)], device)
    else:  # over one element: constant (1, or log 1 = 0), gradient exactly 0: gradcheck proves nothing
        x = leaf(values(shape, seed), device)
        out = getattr(x, name)(dim)
        np.testing.assert_array_equal(host(out), np.ones(shape) if name == "softmax" else np.zeros(shape))
        (out * tinydl.tensor(values(shape, seed + 1), device=device)).sum().backward()
        np.testing.assert_array_equal(host(x.grad), np.zeros(shape))


@pytest.mark.parametrize("fn", [lambda x: x.softmax(1), lambda x: x.log_softmax(1),
                                lambda x: x.logsumexp(1)])
def test_softmax_family_is_finite_for_huge_logits(fn):
    x = tinydl.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], requires_grad=True)
    out = fn(x)
    assert np.isfinite(host(out)).all()
    out.sum().backward()
    assert np.isfinite(host(x.grad)).all()
    np.testing.assert_allclose(host(tinydl.tensor([[1e4, -1e4, 0.0]]).softmax(1)), [[1, 0, 0]])


def test_reductions_keep_float32():
    x = tinydl.randn(3, 4)
    for out in (x.sum(), x.mean(1), x.max(), x.max(1)[0], x.var(0), x.std(), x.logsumexp(1),
                x.softmax(1), x.log_softmax(0)):
        assert out.dtype == tinydl.float32


def test_sum_of_bools_counts_as_int64():
    assert tinydl.tensor([True, False, True]).sum().item() == 2
    assert tinydl.tensor([True, False, True]).sum().dtype == tinydl.int64


def test_reduction_errors_name_the_op():
    x = tinydl.ones(2, 3)
    with pytest.raises(IndexError, match=r"sum: dim 2 is out of range for a tensor with 2 dimension"):
        x.sum(2)
    with pytest.raises(TypeError, match=r"mean: input dtype must be floating point, got tinydl.int64"):
        tinydl.tensor([1, 2]).mean()
    with pytest.raises(TypeError, match="softmax: dim must be given"):
        x.softmax()
