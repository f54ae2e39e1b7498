"""embedding: values, the scatter-add gradient, padding_idx, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
import tinydl.nn.functional as F
from helpers import check_op, host, leaf, nonscalar_shapes, seeds, values


@given(index_shape=nonscalar_shapes, rows=st.integers(1, 6), dim=st.integers(1, 4), seed=seeds)
def test_embedding_values_and_gradcheck(index_shape, rows, dim, seed, device):
    rng = np.random.default_rng(seed)
    indices = tinydl.tensor(rng.integers(0, rows, index_shape), device=device)
    table = values((rows, dim), seed)
    check_op(lambda w: F.embedding(indices, w), lambda w: w[host(indices)], [table], device)


def test_embedding_gradient_scatter_adds_repeated_indices_and_skips_padding_idx():
    weight = leaf(np.arange(12.0).reshape(4, 3))
    indices = tinydl.tensor([[1, 3, 1], [0, 1, 3]])
    out = F.embedding(indices, weight, padding_idx=3)
    np.testing.assert_array_equal(host(out)[0, 0], [3.0, 4.0, 5.0])
    grad = np.arange(18.0).reshape(2, 3, 3)
    out.backward(tinydl.tensor(grad, dtype=tinydl.float64))
    expected = np.zeros((4, 3))
    expected[0] = grad[1, 0]
    expected[1] = grad[0, 0] + grad[0, 2] + grad[1, 1]   # index 1 used three times: the three add up
    np.testing.assert_array_equal(host(weight.grad), expected)   # row 3 (padding_idx) gets nothing


def test_embedding_negative_padding_idx_counts_from_the_end():
    weight = leaf(np.ones((4, 2)))
    F.embedding(tinydl.tensor([3, 2]), weight, padding_idx=-1).sum().backward()
    np.testing.assert_array_equal(host(weight.grad), [[0, 0], [0, 0], [1, 1], [0, 0]])


def test_embedding_errors():
    weight = tinydl.randn(5, 2)
    with pytest.raises(IndexError, match=r"embedding: index 5 is out of range for a table of 5 rows .* \[0, 5\)"):
        F.embedding(tinydl.tensor([0, 5]), weight)
    with pytest.raises(IndexError, match=r"embedding: index -1 is out of range"):
        F.embedding(tinydl.tensor([-1, 2]), weight)
    with pytest.raises(TypeError, match=r"embedding: input must be a tensor of integer indices .* got tinydl.float32"):
        F.embedding(tinydl.tensor([0.0, 1.0]), weight)
    with pytest.raises(ValueError, match=r"embedding: padding_idx must be within the table of 5 rows"):
        F.embedding(tinydl.tensor([0]), weight, padding_idx=5)
    with pytest.raises(NotImplementedError, match=r"embedding: max_norm is not supported by tinydl"):
        F.embedding(tinydl.tensor([0]), weight, max_norm=1.0)
    assert F.embedding(tinydl.tensor([[1]]), weight).dtype == tinydl.float32
