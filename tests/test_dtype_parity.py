"""dtype and argument parity with PyTorch: NumPy scalars, tensor() inference, NumPy-int indexing,
where() with numbers, and the (values, indices) named tuples of max/min."""
from __future__ import annotations

import numpy as np
import pytest

import tinydl
import tinydl.functional as F
from helpers import host, leaf

# NumPy scalars a student meets: results of np.sqrt, loop variables over np.arange/permutation, ...
NUMPY_FLOATS = [np.sqrt(8.0), np.float64(0.5), np.float32(2.0), np.float16(1.5)]
NUMPY_INTS = [np.int64(2), np.int32(3), np.uint8(4)]


# ------------------------------------------------------------- NumPy scalars are weak
@pytest.mark.parametrize("scalar", NUMPY_FLOATS + NUMPY_INTS, ids=repr)
@pytest.mark.parametrize("op", [
    lambda t, s: t + s, lambda t, s: s + t, lambda t, s: t - s, lambda t, s: s - t,
    lambda t, s: t * s, lambda t, s: s * t, lambda t, s: t / s, lambda t, s: s / t,
    lambda t, s: t ** s, lambda t, s: s ** t,
    lambda t, s: F.maximum(t, s), lambda t, s: F.minimum(s, t),
    lambda t, s: F.where(t > 1, t, s), lambda t, s: t.clamp(max=s), lambda t, s: t.clamp(min=s),
    lambda t, s: F.leaky_relu(t - 3, s),
], ids=["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv", "pow", "rpow", "maximum",
        "minimum", "where", "clamp_max", "clamp_min", "leaky_relu"])
def test_numpy_scalars_act_like_python_numbers(op, scalar):
    """float32 stays float32, and the values are those of the same Python number."""
    t = tinydl.tensor([1.0, 2.0, 3.0])
    result = op(t, scalar)
    assert isinstance(result, tinydl.Tensor)
    assert result.dtype == tinydl.float32, f"{type(scalar).__name__} made {result.dtype}"
    np.testing.assert_array_equal(host(result), host(op(t, scalar.item())))


def test_the_issue_example_and_a_linear_layer_after_it():
    x = tinydl.ones(3) / np.sqrt(8)
    assert x.dtype == tinydl.float32
    layer = tinydl.nn.Linear(3, 2)
    assert layer(x.reshape(1, 3)).dtype == tinydl.float32  # float64 here used to crash Linear


@pytest.mark.parametrize("scalar, dtype", [
    (np.float64(0.5), tinydl.float32), (np.float32(0.5), tinydl.float32),
    (np.int64(2), tinydl.int64), (np.int32(2), tinydl.int64)])
def test_numpy_scalars_with_integer_tensors_follow_python_number_rules(scalar, dtype):
    # int64 tensor with a float number: the default float dtype; with an int number: int64
    assert (tinydl.tensor([1, 2]) * scalar).dtype == dtype
    assert (scalar * tinydl.tensor([1, 2])).dtype == dtype


def test_numpy_scalars_keep_float64_tensors_float64():
    t = tinydl.tensor([1.0, 2.0], dtype=tinydl.float64)
    assert (t * np.float32(2.0)).dtype == tinydl.float64
    assert (np.float32(2.0) + t).dtype == tinydl.float64


def test_gradients_through_numpy_scalar_ops_stay_float32():
    w = tinydl.ones(2, requires_grad=True)
    (w * np.float64(3.0) / np.sqrt(4.0)).sum().backward()
    assert w.grad.dtype == tinydl.float32
    assert w.grad.tolist() == [1.5, 1.5]


# ------------------------------------------------------------- tensor() inference
def test_tensor_with_dtype_float64_is_exact():
    # straight to float64: not through float32 (0.1 would lose digits, 1e40 would overflow)
    assert tinydl.tensor([0.1], dtype=tinydl.float64).tolist() == [0.1]
    assert tinydl.tensor([1e40, 0.1], dtype=tinydl.float64).tolist() == [1e40, 0.1]
    assert tinydl.tensor(0.1, dtype=tinydl.float64).item() == 0.1
    assert tinydl.tensor([[2**53 + 1]], dtype=tinydl.int64).item() == 2**53 + 1


@pytest.mark.parametrize("data, dtype", [
    ([1.0, 2.0], tinydl.float32),                      # Python floats: the default dtype
    ([np.float64(1.0), np.float64(2.0)], tinydl.float64),  # NumPy scalars keep theirs
    ([np.float64(1.0), 2.0], tinydl.float64),          # promoted as PyTorch's promoteTypes
    ([[1.0], [np.float64(2.0)]], tinydl.float64),      # nested
    ([np.float32(1.0), 2.0], tinydl.float32),
    ([np.float16(1.0), 2], tinydl.float16),            # float beats int, whatever the width
    ([1, 2.5], tinydl.float32),
    ([1, 2], tinydl.int64),
    ([np.int32(1), np.int32(2)], tinydl.int32),
    ([np.int32(1), 2], tinydl.int64),
    ([True, False], tinydl.bool),
    ([True, 2], tinydl.int64),
    ([], tinydl.float32),
    (np.float64(3.0), tinydl.float64),
    (np.int32(3), tinydl.int32),
    (3.0, tinydl.float32),
    (np.array([1.0]), tinydl.float64),                 # torch.tensor(np.array([1.0])) is float64
    (np.array([1.0], dtype=np.float32), tinydl.float32),
    ([np.array([1.0, 2.0]), np.array([3.0, 4.0])], tinydl.float64),
], ids=repr)
def test_tensor_infers_dtypes_as_pytorch(data, dtype):
    result = tinydl.tensor(data)
    assert result.dtype == dtype
    np.testing.assert_array_equal(host(result), np.asarray(data, dtype=dtype))


def test_as_tensor_infers_the_same_way():
    assert tinydl.as_tensor([np.float64(0.1)]).dtype == tinydl.float64
    assert tinydl.as_tensor([0.1]).dtype == tinydl.float32
    assert tinydl.as_tensor([0.1], dtype=tinydl.float64).tolist() == [0.1]


def test_tensor_rejects_non_numbers_naming_the_dtype():
    with pytest.raises(TypeError, match="tensor\\(\\): cannot make a tensor from data of dtype"):
        tinydl.tensor(["a", "b"])


# ------------------------------------------------------------- indexing with NumPy ints and tensors
def _matrix():
    return leaf(np.arange(12.0).reshape(4, 3))


@pytest.mark.parametrize("index", [np.int64(2), np.int32(2), np.uint8(2), tinydl.tensor(2),
                                   tinydl.tensor(2, dtype=tinydl.int32), np.array(2)], ids=repr)
def test_numpy_integers_and_0d_int_tensors_index_like_ints(index):
    x = _matrix()
    row = x[index]
    assert tuple(row.shape) == (3,)
    np.testing.assert_array_equal(host(row), [6.0, 7.0, 8.0])
    row.sum().backward()
    np.testing.assert_array_equal(host(x.grad), np.eye(4)[2][:, None] * np.ones(3))


def test_looping_over_a_numpy_permutation():
    x = _matrix()
    total = 0
    for i in np.random.default_rng(0).permutation(4):
        total = total + x[i].sum()
    total.backward()
    np.testing.assert_array_equal(host(x.grad), np.ones((4, 3)))
    assert total.item() == 66.0


def test_mixed_numpy_int_tuple_and_slices():
    x = _matrix()
    assert x[np.int64(1), np.int64(2)].item() == 5.0
    assert x[np.int64(1):np.int64(3), 0].tolist() == [3.0, 6.0]
    assert x[tinydl.tensor(3), np.int32(0)].item() == 9.0


def test_integer_and_bool_tensor_indices():
    x = _matrix()
    picked = x[tinydl.tensor([0, 0, 3])]
    assert picked[:, 0].tolist() == [0.0, 0.0, 9.0]
    picked.sum().backward()
    np.testing.assert_array_equal(host(x.grad)[:, 0], [2.0, 0.0, 0.0, 1.0])
    mask = x[:, 0] > 4
    assert x[mask].tolist() == [[6.0, 7.0, 8.0], [9.0, 10.0, 11.0]]


@pytest.mark.parametrize("index", [np.int64(2), tinydl.tensor(2), tinydl.tensor([2]),
                                   tinydl.tensor([False, False, True, False])], ids=repr)
def test_setitem_with_numpy_ints_and_tensors(index):
    buffer = tinydl.zeros(4, 3)
    buffer[index] = 5.0
    np.testing.assert_array_equal(host(buffer), np.eye(4)[2][:, None] * np.full(3, 5.0))


# ------------------------------------------------------------- where with numbers
@pytest.mark.parametrize("a, b, dtype", [
    (1.0, 0.0, tinydl.float32), (1, 0, tinydl.int64), (True, False, tinydl.bool),
    (1, 0.5, tinydl.float32), (np.float64(1.0), 0.0, tinydl.float32),
    (np.int64(1), np.int64(0), tinydl.int64),
])
def test_where_with_numbers_in_both_branches(a, b, dtype):
    condition = tinydl.tensor([True, False, True])
    result = F.where(condition, a, b)
    assert result.dtype == dtype
    np.testing.assert_array_equal(host(result), np.where([True, False, True], a, b).astype(dtype))


def test_where_with_a_tensor_and_a_number_keeps_the_gradient():
    x = tinydl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    result = F.where(x > 0, x, 0.0)
    assert result.dtype == tinydl.float32
    result.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]
    assert F.where(x > 0, 0, x).tolist() == [0.0, -2.0, 0.0]
    assert F.where(tinydl.tensor([True, False]), tinydl.tensor([1, 2]), 0.5).dtype == tinydl.float32


def test_where_with_a_non_number_names_the_op():
    with pytest.raises(TypeError, match="where: expected tensors or numbers"):
        F.where(tinydl.tensor([True]), "yes", 0.0)


# ------------------------------------------------------------- max/min named tuples
@pytest.mark.parametrize("name, values_, indices_", [("max", [5.0, 7.0], [1, 0]),
                                                     ("min", [1.0, 0.0], [0, 1])])
def test_max_min_along_dim_return_a_named_tuple(name, values_, indices_):
    x = tinydl.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    result = getattr(x, name)(dim=1)
    assert isinstance(result, tuple) and len(result) == 2
    assert result.values.tolist() == values_ and result.indices.tolist() == indices_
    values, indices = result  # still unpacks
    assert values.tolist() == values_ and indices.tolist() == indices_
    assert result[0] is result.values and result[1] is result.indices
    assert type(result).__name__ == name
    assert repr(result) == (f"tinydl.return_types.{name}(\nvalues={result.values!r},\n"
                            f"indices={result.indices!r})")
    assert getattr(F, name)(x, 1, keepdim=True).indices.tolist() == [[i] for i in indices_]


def test_max_of_a_0d_tensor_along_dim_is_a_named_tuple():
    result = tinydl.tensor(3.0).max(0)
    assert result.values.item() == 3.0 and result.indices.item() == 0


# ------------------------------------------------------------- NumPy ints as sizes, dims and k
def test_numpy_integers_as_sizes_and_dims():
    x = tinydl.arange(24.0).reshape(2, 3, 4)
    assert tuple(x.view(-1, np.prod(x.shape[1:])).shape) == (2, 12)
    assert tuple(x.reshape(np.int64(6), 4).shape) == (6, 4)
    assert tuple(x.permute(np.int64(2), 0, 1).shape) == (4, 2, 3)
    assert tuple(x.sum(np.int64(1)).shape) == (2, 4)
    assert tuple(x.sum((np.int64(0), 2)).shape) == (3,)
    assert x.max(np.int64(2)).indices.tolist() == [[3, 3, 3], [3, 3, 3]]
    assert tuple(F.softmax(x, np.int32(-1)).shape) == (2, 3, 4)
    assert tuple(F.cat([x, x], np.int64(1)).shape) == (2, 6, 4)
    assert x.topk(np.int64(1), np.int64(1)).values.tolist() == [[[8.0, 9.0, 10.0, 11.0]],
                                                               [[20.0, 21.0, 22.0, 23.0]]]


def test_a_float_dim_is_still_a_clear_error():
    with pytest.raises(TypeError, match="sum: dim must be an int or a tuple of ints, got 1.0"):
        tinydl.ones(2, 2).sum(1.0)


# ------------------------------------------------------------- gaps in files this branch does not own
def test_comparisons_with_numpy_scalars():
    t = tinydl.tensor([1, 2, 3])
    assert (t == np.int64(2)).tolist() == [False, True, False]
    assert (t > np.float32(1.5)).tolist() == [False, True, True]


def test_factories_with_numpy_int_sizes():
    assert tuple(tinydl.zeros(np.int64(3)).shape) == (3,)
    assert tinydl.arange(np.int64(3)).dtype == tinydl.int64


def test_a_0d_int_tensor_as_a_python_index():
    assert list(range(tinydl.tensor(3))) == [0, 1, 2]
