"""Tensor.norm / tinydl.norm (PyTorch's vector norms and their gradients, 0 at the zero vector),
and split / chunk / narrow (pieces as views whose gradients land in their own part)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
from helpers import check_op, host, leaf, nonscalar_shapes, seeds, values


def reference_norm(a, p, axis, keepdim):
    size = np.abs(a)
    if p == math.inf:
        return size.max(axis=axis, keepdims=keepdim)
    if p == -math.inf:
        return size.min(axis=axis, keepdims=keepdim)
    return (size ** p).sum(axis=axis, keepdims=keepdim) ** (1 / p)


@given(shape=nonscalar_shapes, p=st.sampled_from([2, 1, 3, 1.5, math.inf, -math.inf, "fro"]),
       use_dim=st.booleans(), keepdim=st.booleans(), seed=seeds)
def test_norm_values_and_gradients(shape, p, use_dim, keepdim, seed):
    a = values(shape, seed, away_from_zero=0.1)
    if p in (math.inf, -math.inf):  # distinct sizes: away from ties, a kink
        a = np.sign(a) * (np.abs(a) + np.arange(a.size).reshape(shape) * 0.05)
    dim = len(shape) - 1 if use_dim else None
    numeric_p = 2 if p == "fro" else p
    check_op(lambda x: x.norm(p, dim=dim, keepdim=keepdim),
             lambda x: reference_norm(x, numeric_p, dim, keepdim), [a], "cpu")


def test_norm_by_hand_and_defaults():
    x = tinydl.tensor([[3.0, -4.0], [0.0, 0.0]])
    assert x.norm().item() == pytest.approx(5.0)
    assert tinydl.norm(x, 1).item() == 7.0 and x.norm(math.inf).item() == 4.0
    assert x.norm(0).item() == 2.0  # number of non-zero elements
    assert x.norm(dim=1).tolist() == [5.0, 0.0] and x.norm(dim=1, keepdim=True).shape == (2, 1)
    assert x.norm(p=2, dim=(0, 1)).item() == pytest.approx(5.0)
    assert x.norm().dtype == tinydl.float32
    with pytest.raises(NotImplementedError, match="p='nuc' is not implemented"):
        x.norm("nuc")
    with pytest.raises(TypeError, match="norm: input dtype should be floating point, got tinydl.int64"):
        tinydl.tensor([1, 2]).norm()
    with pytest.raises(ValueError, match="p='fro' takes at most 2 dims"):
        tinydl.zeros(2, 2, 2).norm("fro", dim=(0, 1, 2))


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, math.inf, 0])
def test_norm_gradient_at_zero_is_zero_not_nan(p):
    x = tinydl.zeros(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no NumPy RuntimeWarning
        x.norm(p).backward()
    assert host(x.grad).tolist() == [0.0, 0.0, 0.0]
    rows = tinydl.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    rows.norm(dim=1).sum().backward()
    np.testing.assert_allclose(host(rows.grad), [[0, 0], [0.6, 0.8]])


def test_inf_norm_gradient_is_shared_among_ties_as_pytorch():
    x = tinydl.tensor([2.0, -2.0, 1.0], requires_grad=True)
    x.norm(math.inf).backward()
    assert host(x.grad).tolist() == [0.5, -0.5, 0.0]


@given(size=st.integers(1, 7), pieces=st.integers(1, 4), seed=seeds)
def test_split_and_chunk_pieces_and_gradients(size, pieces, seed):
    a = values((2, size), seed)
    x = leaf(a)
    chunks = x.chunk(pieces, dim=1)
    step = math.ceil(size / pieces)
    assert [c.shape[1] for c in chunks] == [min(step, size - s) for s in range(0, size, step)]
    assert len(chunks) <= pieces
    np.testing.assert_array_equal(np.concatenate([host(c) for c in chunks], axis=1), a)
    weights = [i + 1.0 for i in range(len(chunks))]
    assert tinydl.gradcheck(lambda t: sum((c * w).sum() for c, w in zip(t.chunk(pieces, 1), weights)), [x])
    split = tinydl.split(x, pieces, dim=-1)
    assert [s.shape[1] for s in split] == [min(pieces, size - s) for s in range(0, size, pieces)]


def test_split_by_sections_and_narrow():
    x = tinydl.arange(10.0).reshape(5, 2)
    first, rest = x.split([1, 4])
    assert first.tolist() == [[0.0, 1.0]] and rest.shape == (4, 2)
    assert x.narrow(0, 1, 2).tolist() == [[2.0, 3.0], [4.0, 5.0]]
    assert x.narrow(1, -1, 1).tolist() == [[1.0], [3.0], [5.0], [7.0], [9.0]]
    assert [t.shape for t in tinydl.zeros(0, 2).chunk(3)] == [(0, 2)] * 3  # PyTorch: `chunks` empty pieces
    assert len(tinydl.arange(6.0).chunk(4)) == 3  # ceil(6/4) = 2 per piece: only 3 pieces, as in PyTorch
    with pytest.raises(ValueError, match=r"split: sections \[1, 2\] must be >= 0 and sum to the size 5"):
        x.split([1, 2])
    with pytest.raises(ValueError, match="chunk: chunks must be a positive integer"):
        x.chunk(0)
    with pytest.raises(IndexError, match="narrow: start 4 and length 2 do not fit in dimension 0 of size 5"):
        x.narrow(0, 4, 2)
    with pytest.raises(IndexError, match="split: dim 2 is out of range"):
        x.split(2, dim=2)


def test_split_pieces_are_views():
    x = tinydl.zeros(4)
    first, second = x.split(2)
    with tinydl.no_grad():
        first += 1
    assert x.tolist() == [1.0, 1.0, 0.0, 0.0]
