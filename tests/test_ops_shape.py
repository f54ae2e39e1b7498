"""Shape ops and indexing: forward against NumPy, gradients (including scatter-add)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
from helpers import check_op, host, leaf, nonscalar_shapes, seeds, shapes, values


@given(shape=shapes, data=st.data(), seed=seeds)
def test_reshape_and_view(shape, data, seed, device):
    size = int(np.prod(shape))
    target = data.draw(st.sampled_from([(size,), (1, size), (size, 1), (-1,)]))
    check_op(lambda x: x.reshape(target), lambda a: a.reshape(target), [values(shape, seed)], device)
    check_op(lambda x: x.view(*target), lambda a: a.reshape(target), [values(shape, seed)], device)


@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_permute_and_transpose(shape, data, seed, device):
    order = tuple(data.draw(st.permutations(range(len(shape)))))
    d0, d1 = data.draw(st.integers(0, len(shape) - 1)), data.draw(st.integers(-len(shape), -1))
    check_op(lambda x: x.permute(*order), lambda a: a.transpose(order), [values(shape, seed)], device)
    check_op(lambda x: x.transpose(d0, d1), lambda a: np.swapaxes(a, d0, d1), [values(shape, seed)], device)


def test_T_of_matrix():
    x = leaf(np.arange(6.0).reshape(2, 3))
    assert x.T.shape == (3, 2)
    assert tinydl.gradcheck(lambda t: t.T, [x])


@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_unsqueeze_squeeze_flatten(shape, data, seed, device):
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    array = values(shape, seed)
    check_op(lambda x: x.unsqueeze(dim), lambda a: np.expand_dims(a, dim), [array], device)
    check_op(lambda x: x.squeeze(), lambda a: np.squeeze(a), [array], device)
    start = data.draw(st.integers(0, len(shape) - 1))
    end = data.draw(st.integers(start, len(shape) - 1))
    expected_shape = shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]
    check_op(lambda x: x.flatten(start, end), lambda a: a.reshape(expected_shape), [array], device)


def test_squeeze_of_a_dim_that_is_not_1_is_a_no_op():
    assert tinydl.ones(2, 1, 3).squeeze(0).shape == (2, 1, 3)
    assert tinydl.ones(2, 1, 3).squeeze(1).shape == (2, 3)
    assert tinydl.ones(2, 1, 3).flatten().shape == (6,)
    assert tinydl.ones(2, 1, 3).flatten(1).shape == (2, 3)


@given(shape=nonscalar_shapes, seed=seeds)
def test_expand(shape, seed, device):
    small = tuple(1 if i % 2 == 0 else n for i, n in enumerate(shape))
    target = (2,) + shape
    check_op(lambda x: x.expand(*target), lambda a: np.broadcast_to(a, target), [values(small, seed)], device)
    minus_ones = [-1 if i % 2 else n for i, n in enumerate(shape)]  # -1 keeps a size
    check_op(lambda x: x.expand(2, *minus_ones),
             lambda a: np.broadcast_to(a, target), [values(small, seed)], device)


@given(shape=nonscalar_shapes, data=st.data(), seed=seeds)
def test_cat_and_stack(shape, data, seed, device):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    other = list(shape)
    other[dim] = data.draw(st.integers(1, 3))
    a, b = values(shape, seed), values(tuple(other), seed + 1)
    check_op(lambda x, y: tinydl.cat([x, y], dim=dim), lambda p, q: np.concatenate([p, q], axis=dim),
             [a, b], device)
    c = values(shape, seed + 2)
    new_dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_op(lambda x, y: tinydl.stack([x, y], new_dim), lambda p, q: np.stack([p, q], axis=new_dim),
             [a, c], device)


INDEXES = [
    (1,), (-1,), (slice(1, None),), (slice(None, None, 2),), (Ellipsis, 0), (None, 1),
    (1, slice(0, 2)), (slice(None), None, 1),
]


@pytest.mark.parametrize("index", INDEXES, ids=repr)
@given(seed=seeds)
def test_basic_indexing(index, seed, device):
    array = values((3, 4), seed)
    check_op(lambda x: x[index], lambda a: a[index], [array], device)


@given(seed=seeds, data=st.data())
def test_integer_array_indexing_accumulates_repeats(seed, data, device):
    rows = data.draw(st.lists(st.integers(-3, 2), min_size=1, max_size=6))
    array = values((3, 4), seed)
    index = tinydl.tensor(rows, device=device)  # a LongTensor index, possibly with repeats
    check_op(lambda x: x[index], lambda a: a[np.array(rows)], [array], device)
    check_op(lambda x: x[index, 1:3], lambda a: a[np.array(rows), 1:3], [array], device)
    check_op(lambda x: x[rows, [0] * len(rows)], lambda a: a[rows, [0] * len(rows)], [array], device)


def test_repeated_index_gradient_is_a_scatter_add(device):
    x = leaf(np.zeros(3), device)
    x[tinydl.tensor([0, 0, 2, 0], device=device)].sum().backward()
    np.testing.assert_allclose(host(x.grad), [3.0, 0.0, 1.0])


@given(seed=seeds)
def test_bool_mask_indexing(seed, device):
    array = values((3, 4), seed)
    mask = array > 0
    mask_tensor = tinydl.tensor(mask, device=device)
    check_op(lambda x: x[mask_tensor], lambda a: a[mask], [array], device)
    row_mask = tinydl.tensor([True, False, True], device=device)
    check_op(lambda x: x[row_mask], lambda a: a[[True, False, True]], [array], device)


def test_iteration_and_len():
    x = tinydl.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(x) == 2
    assert [row.tolist() for row in x] == [[1.0, 2.0], [3.0, 4.0]]


def test_shape_errors_name_op_and_shapes():
    x = tinydl.ones(2, 3)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4,\)"):
        x.reshape(4)
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of range for a tensor of shape \(2, 3\)"):
        x[5]
    with pytest.raises(IndexError, match=r"out of range for a tensor of shape \(2, 3\)"):
        x[tinydl.tensor([0, 7])]
    with pytest.raises(IndexError, match="indices must be integer or bool, got float32"):
        x[tinydl.tensor([0.0])]
    with pytest.raises(ValueError, match=r"cat: sizes must match except in dimension 0, got shapes \[\(2, 3\), \(2, 4\)\]"):
        tinydl.cat([x, tinydl.ones(2, 4)])
    with pytest.raises(ValueError, match=r"stack: all tensors must have the same shape"):
        tinydl.stack([x, tinydl.ones(3, 2)])
    with pytest.raises(ValueError, match=r"expand: cannot expand dimension 1 of size 3 to 4"):
        x.expand(2, 4)
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not a reordering"):
        x.permute(0, 0)
