"""tinydl/ops/common.py: the helpers every family of ops shares, and the errors they word."""
from __future__ import annotations

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
from tinydl.ops import common, indexing


# ------------------------------------------------------------ index plumbing
def test_scatter_add_accumulates_repeats(device):
    target = tinydl.zeros(3, dtype=tinydl.float64, device=device).array
    index = (tinydl.tensor([0, 0, 2], device=device).array,)
    values = tinydl.tensor([1.0, 2.0, 5.0], dtype=tinydl.float64, device=device).array
    indexing.scatter_add(target, index, values)
    assert tinydl.tensor(target).tolist() == [3.0, 0.0, 5.0]


def test_bounds_check_names_the_first_bad_index_on_a_gpu_array(cuda):
    array = tinydl.zeros(2, 3, device=cuda).array
    indexing.check_indices_in_bounds(array, (slice(None), tinydl.tensor([0, 2], device=cuda).array))
    with pytest.raises(IndexError, match="index 7 is out of bounds for axis 1 with size 3"):
        indexing.check_indices_in_bounds(array, (Ellipsis, tinydl.tensor([1, 7, 9], device=cuda).array))
    with pytest.raises(IndexError, match="index -3 is out of bounds for axis 0 with size 2"):
        indexing.check_indices_in_bounds(array, (None, np.int64(-3)))


# ------------------------------------------------------------ broadcast errors
@pytest.mark.parametrize("call, words", [
    (lambda: tinydl.ones(2, 3) + tinydl.ones(4), "add: shapes (2, 3) and (4,)"),
    (lambda: tinydl.maximum(tinydl.ones(2), tinydl.ones(3)), "maximum: shapes (2,) and (3,)"),
    (lambda: tinydl.ones(2) < tinydl.ones(3), "lt: shapes (2,) and (3,)"),
    (lambda: tinydl.where(tinydl.ones(2) > 0, tinydl.ones(3), 0.0), "where: shapes (2,), (3,) and ()"),
    (lambda: tinydl.nn.functional.l1_loss(tinydl.ones(2, 3), tinydl.ones(4)),
     "l1_loss: input shape (2, 3) and target shape (4,)"),
])
def test_broadcast_errors_name_the_op_and_every_shape(call, words):
    with pytest.warns(UserWarning) if "loss" in words else _no_warning():
        with pytest.raises(ValueError) as caught:
            call()
    assert str(caught.value) == (f"{words} cannot be broadcast together (sizes must match or be 1, "
                                 "comparing from the last dimension)")


class _no_warning:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_other_value_errors_pass_unchanged():
    error = ValueError("something else")
    assert common.broadcast_error("add", error, tinydl.ones(2)) is error


# ------------------------------------------------------------ dtypes, sizes, stable formulas
def test_as_float_casts_integers_and_keeps_floats():
    x = tinydl.tensor([1.0], dtype=tinydl.float64)
    assert common.as_float("exp", x) is x
    assert common.as_float("exp", tinydl.tensor([1, 2])).dtype == tinydl.float32
    with pytest.raises(TypeError, match=r"exp\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        common.as_float("exp", [1.0])


def test_unpack_sizes_takes_both_spellings_and_numpy_integers():
    assert common.unpack_sizes((2, 3)) == common.unpack_sizes(((2, 3),)) == (2, 3)
    assert common.unpack_sizes(([2, 3],)) == (2, 3)
    sizes = common.unpack_sizes((np.int64(-1), np.int32(4)))
    assert sizes == (-1, 4) and all(type(n) is int for n in sizes)
    assert tinydl.zeros(np.int64(2), 3).shape == (2, 3)  # creation's sizes go through it too
    with pytest.raises(ValueError, match="non-negative integers"):
        tinydl.zeros(2, -1)


def test_stable_sigmoid_neither_overflows_nor_loses_the_tails():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=np.float32)
    with np.errstate(over="raise"):  # e^1000 would overflow (underflow to 0 is fine)
        out = common.stable_sigmoid(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.0, np.exp(-30.0), 0.5, 1.0, 1.0], rtol=1e-6)
    assert out[1] > 0  # 1 / (1 + e^30) is tiny, not 0


def test_stable_logsumexp_of_huge_and_masked_values():
    x = np.array([[1e4, 1e4], [-np.inf, 0.0]])
    np.testing.assert_allclose(common.stable_logsumexp(x, 1), [[1e4 + np.log(2)], [0.0]])


# ------------------------------------------------------------ to(): one reader for Tensor and Module
@pytest.mark.parametrize("args, kwargs, expected", [
    (("cpu",), {}, ("cpu", None)),
    ((tinydl.float64,), {}, (None, tinydl.float64)),
    (("cpu", tinydl.float64), {}, ("cpu", tinydl.float64)),
    ((), {"device": "cpu", "dtype": np.float64}, ("cpu", np.float64)),
    ((tinydl.device("cpu"),), {}, ("cpu", None)),
    ((0,), {}, (0, None)),  # a GPU's index, as PyTorch reads it (Module.to read it so before)
])
def test_to_arguments_reads_device_and_dtype(args, kwargs, expected):
    from tinydl.ops.convert import to_arguments
    assert to_arguments(args, dict(kwargs)) == expected


def test_tensor_to_other_takes_its_device_and_dtype():
    from tinydl.ops.convert import to_arguments
    other = tinydl.zeros(1, dtype=tinydl.float64)
    assert to_arguments((other,), {}) == (other.device, tinydl.float64)


def test_module_to_accepts_every_dtype_spelling_tensor_to_accepts():
    for dtype in (tinydl.float64, np.float64, np.dtype("float64")):
        layer = nn.Linear(2, 2)
        assert layer.to(dtype).weight.dtype == tinydl.float64  # tinydl.float64 was read as a device before
        assert tinydl.ones(2).to(dtype).dtype == tinydl.float64
    with pytest.raises(TypeError, match="unexpected arguments"):
        nn.Linear(2, 2).to(non_blocking=True)
    with pytest.raises(TypeError, match="only floating dtypes"):
        nn.Linear(2, 2).to(tinydl.int64)


def test_a_gpu_index_moves_a_tensor_and_a_module_alike(cuda):
    assert tinydl.ones(2).to(0).device == "cuda:0"
    assert nn.Linear(2, 2).to(0).weight.device == "cuda:0"
