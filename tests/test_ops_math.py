"""The elementwise math table (tinydl/ops/math.py, rounding.py, special.py): values, dtypes, gradients."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

import tinydl
from helpers import check_op, leaf, seeds, shapes, values

# name, the tinydl function, the NumPy reference, and a domain away from poles and kinks
DIFFERENTIABLE = [
    ("sin", tinydl.sin, np.sin, -3, 3),
    ("cos", tinydl.cos, np.cos, -3, 3),
    ("tan", tinydl.tan, np.tan, -1.2, 1.2),
    ("asin", tinydl.asin, np.arcsin, -0.9, 0.9),
    ("acos", tinydl.acos, np.arccos, -0.9, 0.9),
    ("atan", tinydl.atan, np.arctan, -3, 3),
    ("sinh", tinydl.sinh, np.sinh, -2, 2),
    ("cosh", tinydl.cosh, np.cosh, -2, 2),
    ("log1p", tinydl.log1p, np.log1p, -0.8, 3),
    ("expm1", tinydl.expm1, np.expm1, -2, 2),
    ("log2", tinydl.log2, np.log2, 0.1, 4),
    ("log10", tinydl.log10, np.log10, 0.1, 4),
    ("erf", tinydl.erf, np.vectorize(math.erf), -3, 3),
    ("reciprocal", tinydl.reciprocal, np.reciprocal, 0.2, 3),
    ("rsqrt", tinydl.rsqrt, lambda x: 1 / np.sqrt(x), 0.2, 3),
    ("square", tinydl.square, np.square, -2, 2),
]


@pytest.mark.parametrize("name, fn, reference, low, high", DIFFERENTIABLE)
@given(shape=shapes, seed=seeds)
def test_values_and_gradients(name, fn, reference, low, high, shape, seed, device):
    check_op(fn, reference, [values(shape, seed, low, high)], device)


@pytest.mark.parametrize("name, fn, reference, low, high", DIFFERENTIABLE)
def test_method_is_the_function(name, fn, reference, low, high):
    x = tinydl.tensor(values((2, 3), 0, low, high), dtype=tinydl.float32)
    np.testing.assert_array_equal(getattr(x, name)().numpy(), fn(x).numpy())
    assert fn(x).dtype == tinydl.float32


def test_numpy_style_aliases():
    x = tinydl.tensor([-0.5, 0.25])
    for alias, name in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("fix", "trunc")):
        np.testing.assert_array_equal(getattr(tinydl, alias)(x).numpy(), getattr(tinydl, name)(x).numpy())
        np.testing.assert_array_equal(getattr(x, alias)().numpy(), getattr(tinydl, name)(x).numpy())


def test_erf_matches_math_erf_to_float64_precision():
    x = np.concatenate([np.linspace(-8, 8, 4001), np.geomspace(1e-300, 30, 2000), [0.46875, 4.0, 40.0]])
    x = np.concatenate([x, -x])
    expected = np.array([math.erf(v) for v in x])
    got = tinydl.erf(tinydl.tensor(x, dtype=tinydl.float64)).numpy()
    np.testing.assert_allclose(got, expected, rtol=2e-15, atol=0)
    assert np.signbit(tinydl.erf(tinydl.tensor([-0.0], dtype=tinydl.float64)).numpy()[0])


def test_erf_edge_values_and_float32():
    x = tinydl.tensor([-np.inf, np.inf, np.nan, 0.0, 3.0])
    out = x.erf().numpy()
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[:2], [-1.0, 1.0])
    assert np.isnan(out[2]) and out[3] == 0.0
    np.testing.assert_allclose(out[4], math.erf(3.0), rtol=1e-6)


@pytest.mark.parametrize("name", ["sin", "cos", "tan", "atan", "sinh", "cosh", "log1p", "expm1",
                                  "log2", "log10", "erf", "reciprocal", "rsqrt", "asin", "acos"])
def test_integer_and_bool_inputs_give_float32(name):
    fn = getattr(tinydl, name)
    ints = tinydl.tensor([1, 2])
    out = fn(ints)
    assert out.dtype == tinydl.float32
    expected = {"asin": np.arcsin, "acos": np.arccos}.get(name)
    reference = fn(tinydl.tensor([1.0, 2.0])).numpy()
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(out.numpy(), reference if expected is None else
                                      expected(np.array([1.0, 2.0], dtype=np.float32)))
    assert fn(tinydl.tensor([True, False])).dtype == tinydl.float32


def test_integer_results_keep_integer_dtypes():
    ints = tinydl.tensor([-3, 0, 2])
    assert tinydl.sign(ints).tolist() == [-1, 0, 1] and tinydl.sign(ints).dtype == tinydl.int64
    assert tinydl.square(ints).tolist() == [9, 0, 4] and tinydl.square(ints).dtype == tinydl.int64
    assert tinydl.square(tinydl.tensor([True, False])).dtype == tinydl.int64
    flags = tinydl.tensor([True, False])
    assert tinydl.sign(flags).dtype == tinydl.bool and tinydl.sign(flags).tolist() == [True, False]
    for name in ("floor", "ceil", "round", "trunc"):
        out = getattr(tinydl, name)(ints)
        assert out.dtype == tinydl.int64 and out.tolist() == [-3, 0, 2]
        out.array[0] = 7  # a copy, not a view
        assert ints.tolist() == [-3, 0, 2]


def test_rounding_values():
    x = tinydl.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.7, -1.7])
    assert x.floor().tolist() == [-3, -2, -1, 0, 1, 2, 1, -2]
    assert x.ceil().tolist() == [-2, -1, -0.0, 1, 2, 3, 2, -1]
    assert x.trunc().tolist() == [-2, -1, -0.0, 0, 1, 2, 1, -1]
    assert x.round().tolist() == [-2, -2, -0.0, 0, 2, 2, 2, -2]  # halves to even, as PyTorch
    np.testing.assert_allclose(tinydl.round(tinydl.tensor([1.2345, -0.0551]), decimals=2).numpy(),
                               [1.23, -0.06], rtol=1e-6)
    assert tinydl.sign(tinydl.tensor([-2.0, 0.0, 3.0])).tolist() == [-1, 0, 1]


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign"])
def test_flat_ops_give_zero_gradient_like_pytorch(name):
    x = tinydl.tensor([-1.3, 0.4, 2.6], requires_grad=True)
    y = getattr(x, name)()
    assert y.requires_grad and y.grad_fn is not None
    (y * x).sum().backward()  # d/dx (f(x) x) = f(x) when f' = 0
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_round_with_decimals_has_zero_gradient():
    x = tinydl.tensor([1.234, 5.678], requires_grad=True)
    tinydl.round(x, decimals=1).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


@given(shape=shapes, seed=seeds)
def test_pow_as_a_function(shape, seed, device):
    base = values(shape, seed, 0.5, 2.0)
    check_op(lambda x: tinydl.pow(x, 3), lambda x: x ** 3, [base], device)
    check_op(lambda x: tinydl.pow(2.0, x), lambda x: 2.0 ** x, [base], device)
    check_op(lambda x: tinydl.pow(x, exponent=0.5), np.sqrt, [base], device)


def test_float32_stays_float32():
    x = tinydl.tensor([0.5, 1.5])
    for name, *_ in DIFFERENTIABLE:
        assert getattr(tinydl, name)(x).dtype == tinydl.float32, name


@pytest.mark.parametrize("name", ["sin", "erf", "floor", "round", "sign", "square", "rsqrt"])
@pytest.mark.parametrize("bad", [[1.0, 2.0], np.array([1.0])])
def test_non_tensor_input_is_a_type_error_naming_the_op(name, bad):
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input' \(position 1\) must be Tensor, not "):
        getattr(tinydl, name)(bad)


def test_domain_errors_give_nan_like_pytorch():
    with np.errstate(invalid="ignore"):
        out = tinydl.asin(tinydl.tensor([2.0])).numpy()
    assert np.isnan(out[0])


def test_gradients_of_a_composition_match_by_hand():
    x = leaf(np.array([0.3, -0.7]))
    (x.sin() * x.cos()).sum().backward()  # d/dx sin x cos x = cos 2x
    np.testing.assert_allclose(x.grad.numpy(), np.cos(2 * np.array([0.3, -0.7])), rtol=1e-12)
