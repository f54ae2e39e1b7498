"""mm, bmm, mv, dot, outer, addmm; keyword arguments, alpha= and out= on add/sub/mul/div/pow/matmul."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
from helpers import check_op, leaf, seeds, values

sizes = st.integers(1, 4)


@given(n=sizes, m=sizes, p=sizes, seed=seeds)
def test_mm(n, m, p, seed, device):
    check_op(tinydl.mm, np.matmul, [values((n, m), seed), values((m, p), seed + 1)], device)
    check_op(lambda a, b: a.mm(b), np.matmul, [values((n, m), seed), values((m, p), seed + 1)], device)


@given(b=sizes, n=sizes, m=sizes, p=sizes, seed=seeds)
def test_bmm(b, n, m, p, seed, device):
    check_op(tinydl.bmm, np.matmul, [values((b, n, m), seed), values((b, m, p), seed + 1)], device)


@given(n=sizes, m=sizes, seed=seeds)
def test_mv_dot_outer(n, m, seed, device):
    check_op(tinydl.mv, np.matmul, [values((n, m), seed), values((m,), seed + 1)], device)
    check_op(tinydl.dot, np.dot, [values((m,), seed), values((m,), seed + 1)], device)
    check_op(tinydl.outer, np.outer, [values((n,), seed), values((m,), seed + 1)], device)
    check_op(lambda a, b: a.outer(b), np.outer, [values((n,), seed), values((m,), seed + 1)], device)


@pytest.mark.parametrize("input_shape", [(2, 3), (3,), (1, 3), (2, 1), ()])
@given(seed=seeds)
def test_addmm(input_shape, seed, device):
    arrays = [values(input_shape, seed), values((2, 4), seed + 1), values((4, 3), seed + 2)]
    check_op(lambda c, a, b: tinydl.addmm(c, a, b), lambda c, a, b: c + a @ b, arrays, device)
    check_op(lambda c, a, b: tinydl.addmm(c, a, b, beta=0.5, alpha=-2.0),
             lambda c, a, b: 0.5 * c - 2.0 * (a @ b), arrays, device)
    check_op(lambda c, a, b: c.addmm(a, b, alpha=3), lambda c, a, b: c + 3 * (a @ b), arrays, device)


def test_addmm_with_beta_zero_ignores_nan_in_input():
    out = tinydl.addmm(tinydl.tensor([[np.nan]]), tinydl.ones(1, 2), tinydl.ones(2, 1), beta=0)
    assert out.tolist() == [[2.0]]


def test_dot_and_mv_shapes():
    assert tinydl.dot(tinydl.tensor([1.0, 2.0]), tinydl.tensor([3.0, 4.0])).shape == ()
    assert tinydl.dot(tinydl.tensor([1.0, 2.0]), tinydl.tensor([3.0, 4.0])).item() == 11.0
    assert tinydl.mv(tinydl.ones(3, 2), tinydl.ones(2)).shape == (3,)


@pytest.mark.parametrize("call, message", [
    (lambda: tinydl.mm(tinydl.ones(2, 3), tinydl.ones(4, 5)), r"mm\(\): mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda: tinydl.mm(tinydl.ones(2, 3, 1), tinydl.ones(1, 5)), r"mm\(\): input must be a matrix \(2-D\), got shape \(2, 3, 1\)"),
    (lambda: tinydl.mm(tinydl.ones(3), tinydl.ones(3, 2)), r"mm\(\): input must be a matrix"),
    (lambda: tinydl.bmm(tinydl.ones(2, 3), tinydl.ones(3, 2)), r"bmm\(\): input must be a batch of matrices \(3-D\)"),
    (lambda: tinydl.bmm(tinydl.ones(2, 3, 4), tinydl.ones(3, 4, 5)), r"bmm\(\): expected mat2 of shape \(2, 4, p\)"),
    (lambda: tinydl.bmm(tinydl.ones(2, 3, 4), tinydl.ones(2, 3, 5)), r"bmm\(\): expected mat2 of shape \(2, 4, p\)"),
    (lambda: tinydl.mv(tinydl.ones(2, 3), tinydl.ones(2)), r"mv\(\): input of shape \(2, 3\) and vec of size 2"),
    (lambda: tinydl.mv(tinydl.ones(2, 3), tinydl.ones(3, 1)), r"mv\(\): vec must be a vector \(1-D\)"),
    (lambda: tinydl.dot(tinydl.ones(2), tinydl.ones(3)), r"dot\(\): inconsistent sizes: input has 2 elements and tensor has 3"),
    (lambda: tinydl.dot(tinydl.ones(2, 1), tinydl.ones(2)), r"dot\(\): input must be a vector \(1-D\)"),
    (lambda: tinydl.outer(tinydl.ones(2, 2), tinydl.ones(2)), r"outer\(\): input must be a vector"),
    (lambda: tinydl.addmm(tinydl.ones(3, 3), tinydl.ones(2, 2), tinydl.ones(2, 2)),
     r"addmm\(\): input of shape \(3, 3\) cannot be broadcast to the product's shape \(2, 2\)"),
])
def test_shape_errors_name_the_op_and_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_dtype_and_type_errors():
    with pytest.raises(TypeError, match=r"mm\(\): expected both operands to have the same dtype"):
        tinydl.mm(tinydl.ones(2, 2), tinydl.ones(2, 2, dtype=tinydl.float64))
    with pytest.raises(TypeError, match=r"mm\(\): argument 'mat2' \(position 2\) must be Tensor, not list"):
        tinydl.mm(tinydl.ones(2, 2), [[1.0, 2.0], [3.0, 4.0]])


# ------------------------------------------------------------ keyword arguments
def test_keyword_arguments_as_pytorch_names_them():
    a, b = tinydl.tensor([1.0, 2.0]), tinydl.tensor([3.0, 5.0])
    assert tinydl.add(input=a, other=b).tolist() == [4.0, 7.0]
    assert tinydl.sub(a, other=b).tolist() == [-2.0, -3.0]
    assert tinydl.mul(input=a, other=b).tolist() == [3.0, 10.0]
    assert tinydl.div(a, other=tinydl.tensor([2.0, 4.0])).tolist() == [0.5, 0.5]
    assert tinydl.pow(a, exponent=2).tolist() == [1.0, 4.0]
    assert tinydl.matmul(input=a, other=b).item() == 13.0
    assert a.add(b, alpha=2).tolist() == [7.0, 12.0]


@given(seed=seeds)
def test_alpha_is_differentiable(seed):
    a, b = leaf(values((3,), seed)), leaf(values((2, 3), seed + 1))
    assert tinydl.gradcheck(lambda x, y: tinydl.add(x, y, alpha=-1.5), [a, b])
    assert tinydl.gradcheck(lambda x, y: tinydl.sub(x, y, alpha=0.5), [a, b])
    np.testing.assert_allclose(tinydl.sub(a, b, alpha=0.5).detach().numpy(),
                               a.detach().numpy() - 0.5 * b.detach().numpy())
    assert tinydl.add(a, 2.0, alpha=3).detach().numpy().tolist() == (a.detach().numpy() + 6.0).tolist()


# ------------------------------------------------------------ out=
@pytest.mark.parametrize("name, reference", [
    ("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.divide), ("pow", np.power),
    ("matmul", np.matmul), ("mm", np.matmul),
])
def test_out_writes_into_the_given_tensor(name, reference):
    a, b = tinydl.tensor([[1.0, 2.0], [3.0, 4.0]]), tinydl.tensor([[0.5, 1.0], [2.0, 1.5]])
    out = tinydl.zeros(2, 2)
    storage, version = out.array, out._version
    result = getattr(tinydl, name)(a, b, out=out)
    assert result is out and out.array is storage and out._version == version + 1
    np.testing.assert_allclose(out.numpy(), reference(a.numpy(), b.numpy()), rtol=1e-6)


def test_out_of_other_kinds():
    out = tinydl.tensor([])
    tinydl.add(tinydl.ones(2), 1.0, out=out)  # an empty out takes the result's shape
    assert out.tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match=r"add\(\): out= has shape \(3,\) but the result has shape \(2,\)"):
        tinydl.add(tinydl.ones(2), 1.0, out=tinydl.zeros(3))
    with pytest.raises(TypeError, match=r"add\(\): the result has dtype float32, which can't be stored in out= of dtype int64"):
        tinydl.add(tinydl.ones(2), 1.0, out=tinydl.zeros(2, dtype=tinydl.int64))
    with pytest.raises(TypeError, match=r"mul\(\): argument 'out' must be Tensor, not ndarray"):
        tinydl.mul(tinydl.ones(2), 1.0, out=np.zeros(2))
    f64 = tinydl.float64
    out = tinydl.zeros(2, 1, dtype=f64)
    tinydl.addmm(tinydl.ones(1, dtype=f64), tinydl.eye(2, dtype=f64), tinydl.ones(2, 1, dtype=f64), out=out)
    assert out.tolist() == [[2.0], [2.0]]
    assert tinydl.dot(tinydl.ones(2, dtype=f64), tinydl.ones(2, dtype=f64),
                      out=tinydl.zeros((), dtype=f64)).item() == 2.0


def test_out_refuses_when_autograd_would_lose_track():
    w = tinydl.ones(2, requires_grad=True)
    out = tinydl.zeros(2)
    with pytest.raises(RuntimeError, match=r"add\(\): functions with out=... arguments don't support automatic differentiation"):
        tinydl.add(w, 1.0, out=out)
    assert out.tolist() == [0.0, 0.0] and out._version == 0
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tinydl.mul(tinydl.ones(2), 2.0, out=tinydl.zeros(2, requires_grad=True))
    with tinydl.no_grad():
        tinydl.add(w, 1.0, out=out)
    assert out.tolist() == [2.0, 2.0]
