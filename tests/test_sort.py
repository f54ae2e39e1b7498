"""sort, argsort, topk: values and indices as torch.sort/torch.topk, gradients back to the sources."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
from helpers import host, leaf, nonscalar_shapes, seeds, values


def _dim(data, shape):
    return data.draw(st.integers(-len(shape), len(shape) - 1))


@given(shape=nonscalar_shapes, data=st.data(), descending=st.booleans(), seed=seeds)
def test_sort_matches_numpy_and_passes_gradcheck(shape, data, descending, seed, device):
    dim = _dim(data, shape)
    array = values(shape, seed)
    x = leaf(array, device)
    result = x.sort(dim=dim, descending=descending)
    expected = np.sort(array, axis=dim)
    if descending:
        expected = np.flip(expected, axis=dim)
    np.testing.assert_array_equal(host(result.values), expected)
    np.testing.assert_array_equal(np.take_along_axis(array, host(result.indices), axis=dim), expected)
    assert result.indices.dtype == tinydl.int64
    np.testing.assert_array_equal(host(x.argsort(dim, descending=descending)), host(result.indices))
    assert tinydl.gradcheck(lambda t: t.sort(dim, descending)[0], [x])


def test_sort_keeps_ties_in_order_both_ways():
    x = tinydl.tensor([2.0, 1.0, 2.0, 1.0])
    assert x.sort().indices.tolist() == [1, 3, 0, 2]
    assert x.sort(descending=True).indices.tolist() == [0, 2, 1, 3]
    assert tinydl.tensor([True, False, True]).argsort(descending=True).tolist() == [0, 2, 1]
    assert tinydl.tensor([3, 1, 2], dtype=tinydl.uint8).sort(descending=True).values.tolist() == [3, 2, 1]


def test_sort_puts_nan_last_ascending_and_first_descending():
    # PyTorch treats nan as larger than every number when sorting
    x = tinydl.tensor([1.0, float("nan"), 2.0])
    assert x.sort().indices.tolist() == [0, 2, 1]
    assert x.sort(descending=True).indices.tolist() == [1, 2, 0]


def test_sort_gradient_goes_back_to_the_source_positions():
    x = tinydl.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    sorted_values, _ = x.sort(dim=1)
    (sorted_values * tinydl.tensor([[1.0, 10.0, 100.0]])).sum().backward()
    assert x.grad.tolist() == [[100.0, 1.0, 10.0]]


@given(shape=nonscalar_shapes, data=st.data(), largest=st.booleans(), seed=seeds)
def test_topk_matches_sorting_and_passes_gradcheck(shape, data, largest, seed, device):
    dim = _dim(data, shape)
    k = data.draw(st.integers(0, shape[dim]))
    array = values(shape, seed)
    x = leaf(array, device)
    result = x.topk(k, dim=dim, largest=largest)
    order = np.argsort(-array if largest else array, axis=dim, kind="stable")
    expected_indices = np.take(order, np.arange(k), axis=dim)
    np.testing.assert_array_equal(host(result.indices), expected_indices)
    np.testing.assert_array_equal(host(result.values), np.take_along_axis(array, expected_indices, axis=dim))
    if k:
        assert tinydl.gradcheck(lambda t: t.topk(k, dim, largest)[0], [x])


def test_topk_returns_a_named_tuple_like_pytorch():
    x = tinydl.tensor([[1.0, 5.0, 3.0], [4.0, 0.0, 6.0]])
    result = tinydl.topk(x, 2)
    values_, indices = result
    assert values_.tolist() == [[5.0, 3.0], [6.0, 4.0]] and indices.tolist() == [[1, 2], [2, 0]]
    assert result.values is values_ and result.indices is indices
    assert repr(result).startswith("tinydl.return_types.topk(\nvalues=tensor(")
    assert repr(x.sort()).startswith("tinydl.return_types.sort(\nvalues=tensor(")


def test_topk_and_sort_of_a_0d_tensor():
    x = tinydl.tensor(3.0, requires_grad=True)
    values_, indices = x.topk(1)
    assert values_.item() == 3.0 and indices.item() == 0 and values_.ndim == 0
    values_.backward()
    assert x.grad.item() == 1.0
    assert tinydl.tensor(3.0).sort().indices.item() == 0


def test_topk_k_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match=r"topk: k=4 is out of range for dimension -1 of size 3"):
        tinydl.ones(2, 3).topk(4)
    with pytest.raises(IndexError, match="sort: dim 2 is out of range"):
        tinydl.ones(2, 3).sort(dim=2)
