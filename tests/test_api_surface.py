"""PyTorch's everyday API surface: Size, dtype, printing, operators on 0-d tensors, aliases, errors."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given

import tinydl
import tinydl.nn as nn
from helpers import leaf, nonscalar_shapes, seeds, values


# ------------------------------------------------------------ Size
def test_shape_and_size_are_sizes():
    x = tinydl.zeros(2, 3)
    assert isinstance(x.shape, tinydl.Size) and isinstance(x.shape, tuple)
    assert x.shape == (2, 3) and x.size() == tinydl.Size([2, 3]) and x.size(1) == 3 and x.size(-2) == 2
    assert repr(x.shape) == "tinydl.Size([2, 3])" and str(x.size()) == "tinydl.Size([2, 3])"
    assert repr(tinydl.tensor(1.0).shape) == "tinydl.Size([])"
    rows, cols = x.shape
    assert (rows, cols) == (2, 3)


def test_size_slices_and_sums_stay_sizes():
    size = tinydl.zeros(2, 3, 4).shape
    assert isinstance(size[1:], tinydl.Size) and size[1:] == (3, 4)
    assert isinstance(size[0], int) and size[-1] == 4
    assert isinstance(size + (5,), tinydl.Size) and size + (5,) == (2, 3, 4, 5)
    assert isinstance((1,) + size, tinydl.Size) and (1,) + size == (1, 2, 3, 4)
    assert size.numel() == 24 and tinydl.Size([]).numel() == 1


# ------------------------------------------------------------ dtype
def test_dtype_prints_like_pytorch_and_compares_with_numpy():
    x = tinydl.tensor([1.0, 2.0])
    assert repr(x.dtype) == "tinydl.float32" and str(tinydl.int64) == "tinydl.int64"
    assert repr(tinydl.bool) == "tinydl.bool"
    assert x.dtype == tinydl.float32 and x.dtype == np.float32 and np.float32 == x.dtype
    assert x.dtype == np.dtype("float32") and np.dtype("float32") == x.dtype and x.dtype == "float32"
    assert x.dtype != tinydl.float64 and x.dtype != np.float64 and x.dtype != "int64"
    assert x.dtype is tinydl.float32  # one object per dtype
    assert tinydl.float is tinydl.float32 and tinydl.long is tinydl.int64 and tinydl.double is tinydl.float64
    assert isinstance(x.dtype, tinydl.dtype)
    assert {np.dtype("float32"): "found"}[x.dtype] == "found" and {x.dtype: 1}[np.dtype("float32")] == 1
    assert x.dtype.is_floating_point and not tinydl.int64.is_floating_point and tinydl.int8.is_signed
    assert tinydl.float64.itemsize == 8


def test_dtype_objects_work_wherever_a_dtype_is_taken():
    assert tinydl.zeros(2, dtype=tinydl.float64).dtype == tinydl.float64
    assert tinydl.tensor([1, 2], dtype=tinydl.float16).dtype == tinydl.float16
    assert tinydl.tensor([1.5]).to(tinydl.int32).dtype == tinydl.int32
    assert np.zeros(2, dtype=tinydl.float64).dtype == np.float64  # NumPy takes them too
    assert np.ones(2).astype(tinydl.int8).dtype == np.int8
    assert pickle.loads(pickle.dumps(tinydl.float32)) is tinydl.float32
    assert repr(tinydl.tensor([1.0], dtype=tinydl.float64)) == "tensor([1.], dtype=tinydl.float64)"


# ------------------------------------------------------------ printing
@pytest.mark.parametrize("make, text", [
    (lambda: tinydl.tensor([2]), "tensor([2])"),
    (lambda: tinydl.tensor(2.5), "tensor(2.5000)"),
    (lambda: tinydl.tensor(3.0), "tensor(3.)"),
    (lambda: tinydl.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: tinydl.tensor([1.5, -2.0]), "tensor([ 1.5000, -2.0000])"),
    (lambda: tinydl.tensor([True]), "tensor([True])"),
    (lambda: tinydl.tensor([1.5], requires_grad=True), "tensor([1.5000], requires_grad=True)"),
])
def test_repr_matches_pytorch(make, text):
    assert repr(make()) == text
    assert str(make()) == text and f"{make()}" == text if make().ndim else True


def test_format_spec_formats_the_number_of_a_0d_tensor():
    loss = tinydl.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235" and f"{tinydl.tensor(7):>3d}" == "  7"
    assert f"{tinydl.tensor([2])}" == "tensor([2])"
    with pytest.raises(TypeError, match="0-d tensors"):
        f"{tinydl.tensor([2.0]):.2f}"  # noqa: B018  (as PyTorch: number formats are for 0-d tensors)


def test_set_printoptions():
    x = tinydl.tensor([1.23456, 2.5])
    try:
        tinydl.set_printoptions(precision=2)
        assert repr(x) == "tensor([1.23, 2.50])"
        tinydl.set_printoptions(sci_mode=True)
        assert repr(x) == "tensor([1.23e+00, 2.50e+00])"
        tinydl.set_printoptions(precision=4, sci_mode=False)
        assert repr(tinydl.tensor([1e-6, 1.0])) == "tensor([0.0000, 1.0000])"
        tinydl.set_printoptions(threshold=5, edgeitems=2)
        assert repr(tinydl.arange(10)) == "tensor([0, 1, ..., 8, 9])"
        tinydl.set_printoptions(profile="full")
        assert "..." not in repr(tinydl.arange(2000))
        tinydl.set_printoptions(linewidth=20)
        assert max(len(line) for line in repr(tinydl.arange(12)).splitlines()) <= 20
        with pytest.raises(ValueError, match="profile"):
            tinydl.set_printoptions(profile="long")
    finally:
        tinydl.set_printoptions(profile="default")
    assert repr(x) == "tensor([1.2346, 2.5000])" and "..." in repr(tinydl.arange(2000))


# ------------------------------------------------------------ operators on 0-d tensors
def test_comparisons_with_0d_tensors_and_numbers():
    t = tinydl.tensor(3.0)
    for result in (t < 1000, 1000 > t, t <= 3, t == 3.0, t != 2, t > np.float64(2), np.float32(2) < t,
                   t >= np.int64(3), t < tinydl.tensor(4.0)):
        assert isinstance(result, tinydl.Tensor) and result.dtype == tinydl.bool and result.ndim == 0
        assert bool(result)
    assert not bool(t > 5)
    assert (t == None) is False  # noqa: E711


def test_while_loss_above_tolerance_loop():
    loss, steps = tinydl.tensor(1.0), 0
    while loss > 1e-3:
        loss, steps = loss * 0.5, steps + 1
    assert steps == 10


def test_builtin_max_and_min_with_tensors():
    a, b = tinydl.tensor(2.0), tinydl.tensor(5.0)
    assert max(a, b) is b and min(a, b) is a
    assert max(0.5, a) is a and min(a, 7) is a and max(a, 7) == 7


def test_index_for_integer_one_element_tensors():
    classes = ["cat", "dog", "bird"]
    scores = tinydl.tensor([[0.1, 0.7, 0.2]])
    assert classes[scores.argmax()] == "dog" and classes[scores.argmax(dim=1)] == "dog"
    assert classes[tinydl.tensor(2)] == "bird" and list(range(tinydl.tensor(3))) == [0, 1, 2]
    for bad in (tinydl.tensor(1.0), tinydl.tensor([0, 1]), tinydl.tensor(True)):
        with pytest.raises(TypeError, match="only integer tensors of a single element"):
            classes[bad]


# ------------------------------------------------------------ aliases and small functions
@pytest.mark.parametrize("name", ["sum", "mean", "argmax", "argmin", "std", "var", "logsumexp"])
def test_reductions_accept_numpy_axis_and_keepdims(name):
    x = tinydl.tensor(values((3, 4), 0))
    expected = getattr(tinydl, name)(x, dim=1, keepdim=True)
    for got in (getattr(x, name)(axis=1, keepdims=True), getattr(tinydl, name)(x, axis=1, keepdim=True),
                getattr(x, name)(dim=1, keepdims=True)):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
        assert got.shape == (3, 1)
    with pytest.raises(TypeError, match="both dim= and its alias axis="):
        getattr(x, name)(dim=1, axis=1)


def test_max_min_accept_axis():
    x = tinydl.tensor([[1.0, 5.0], [3.0, 2.0]])
    values_, indices = x.max(axis=1)
    assert values_.tolist() == [5.0, 3.0] and indices.tolist() == [1, 0]
    assert tinydl.min(x, axis=0, keepdims=True)[0].tolist() == [[1.0, 2.0]]


@given(shape=nonscalar_shapes, seed=seeds)
def test_clone_is_a_differentiable_copy(shape, seed):
    x = leaf(values(shape, seed))
    y = x.clone()
    assert y.grad_fn is not None and y.array is not x.array and not np.shares_memory(y.array, x.array)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    assert tinydl.gradcheck(lambda t: tinydl.clone(t) * t, [x])
    with tinydl.no_grad():
        y.array[...] = 0
    assert not (x.detach().numpy() == 0).all()


def test_is_tensor_numel_T_and_mT():
    x = tinydl.zeros(2, 3, 4)
    assert tinydl.is_tensor(x) and not tinydl.is_tensor([1.0]) and not tinydl.is_tensor(np.zeros(2))
    assert tinydl.numel(x) == 24 and x.numel() == 24 and tinydl.numel(tinydl.tensor(1.0)) == 1
    assert x.mT.shape == (2, 4, 3)
    np.testing.assert_array_equal(x.mT.numpy(), np.swapaxes(x.numpy(), -1, -2))
    m = tinydl.tensor([[1.0, 2.0]])
    assert m.T.tolist() == [[1.0], [2.0]] and m.mT.tolist() == [[1.0], [2.0]]
    with pytest.raises(ValueError, match="mT is only supported on matrices"):
        tinydl.zeros(3).mT


# ------------------------------------------------------------ a list where a tensor is expected
@pytest.mark.parametrize("call, name", [
    (lambda: tinydl.relu([1.0, -2.0]), "relu"),
    (lambda: tinydl.sigmoid([1.0]), "sigmoid"),
    (lambda: tinydl.exp(np.array([1.0])), "exp"),
    (lambda: tinydl.softmax([1.0, 2.0], dim=0), "softmax"),
    (lambda: tinydl.matmul([[1.0]], tinydl.ones(1, 1)), "matmul"),
    (lambda: tinydl.linear([1.0, 2.0], tinydl.ones(3, 2)), "linear"),
    (lambda: nn.Linear(2, 3)([1.0, 2.0]), "linear"),
    (lambda: nn.ReLU()([1.0]), "relu"),
    (lambda: tinydl.cross_entropy([[1.0, 2.0]], tinydl.tensor([0])), "cross_entropy"),
    (lambda: tinydl.clone([1.0]), "clone"),
])
def test_non_tensor_argument_is_a_type_error_like_pytorch(call, name):
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'input' \(position 1\) must be Tensor, not "):
        call()


def test_type_error_names_the_type():
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        tinydl.relu([1.0])
    with pytest.raises(TypeError, match="must be Tensor, not numpy.ndarray"):
        tinydl.relu(np.ones(2))
    with pytest.raises(TypeError, match=r"matmul\(\): argument 'other' \(position 2\) must be Tensor, not list"):
        tinydl.ones(2) @ [1.0, 2.0]


def test_empty_and_empty_like_allocate_like_pytorch_and_fill_with_zeros():
    """torch.empty's contract (shape, dtype, device, requires_grad); tinydl's memory is zeros."""
    x = tinydl.empty(2, 3)
    assert tuple(x.shape) == (2, 3) and x.dtype == tinydl.float32 and x.device == "cpu"
    assert not x.array.any()
    y = tinydl.empty((4,), dtype=tinydl.float64, requires_grad=True)
    assert tuple(y.shape) == (4,) and y.dtype == tinydl.float64 and y.requires_grad and y.is_leaf
    z = tinydl.empty_like(tinydl.ones(2, 2, dtype=tinydl.int64))
    assert z.dtype == tinydl.int64 and tuple(z.shape) == (2, 2) and not z.array.any()
    z[0] = tinydl.tensor([3, 4])  # allocate, then fill: what code written with empty does
    assert z.tolist() == [[3, 4], [0, 0]]
