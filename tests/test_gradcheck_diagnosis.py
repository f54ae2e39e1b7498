"""gradcheck cannot be fooled and says what is wrong: one planted bug per diagnosis."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl
from helpers import leaf, nonscalar_shapes, seeds, values

Function = tinydl.Function  # tinydl's array-level Function: forward/backward on ndarrays


def planted(forward, backward):
    """A Function with the given forward/backward on raw arrays (ctx saves the inputs)."""
    class Planted(Function):
        @staticmethod
        def forward(ctx, *arrays):
            ctx.save_for_backward(*arrays)
            return forward(*arrays)

        @staticmethod
        def backward(ctx, grad_out):
            return backward(grad_out, *ctx.saved_tensors)
    return Planted.apply


def diagnosis_of(fn, inputs, **options) -> str:
    with pytest.raises(tinydl.GradcheckError) as failure:
        tinydl.gradcheck(fn, inputs, **options)
    return str(failure.value)


X = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.5]])


# ----------------------------------------------------------- independent randomness
class ScaleInvariantNorm(Function):
    """LayerNorm without affine over the last axis; backward wrongly returns 0 * grad."""

    @staticmethod
    def forward(ctx, x):
        centred = x - x.mean(axis=-1, keepdims=True)
        return centred / np.sqrt((centred ** 2).mean(axis=-1, keepdims=True))  # exactly scale-invariant

    @staticmethod
    def backward(ctx, grad_out):
        return 0 * grad_out


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_seed_collision_cannot_hide_a_zero_gradient(seed):
    # The old gradcheck drew its weights v from default_rng(0), the stream manual_seed(0) starts:
    # then v == x, J^T x == 0 for a scale-invariant layer, and a zero backward passed.
    tinydl.manual_seed(seed)
    x = tinydl.randn(4, 6, dtype=tinydl.float64, requires_grad=True)
    with pytest.raises(tinydl.GradcheckError, match="not flowing"):
        tinydl.gradcheck(ScaleInvariantNorm.apply, [x], seed=seed)


def test_gradcheck_leaves_global_random_state_alone():
    tinydl.manual_seed(3)
    expected = tinydl.randn(5).tolist()
    tinydl.manual_seed(3)
    tinydl.gradcheck(lambda t: t.exp(), [leaf(X)])
    assert tinydl.randn(5).tolist() == expected


# ------------------------------------------------------------------ vacuous checks
def test_vacuous_check_warns_and_can_fail():
    x = leaf(-np.abs(X) - 0.1)  # all negative: relu's gradient is 0 everywhere
    with pytest.warns(tinydl.autograd.GradcheckWarning, match="proves nothing.*Try another input"):
        assert tinydl.gradcheck(lambda t: t.relu(), [x])
    with pytest.raises(tinydl.GradcheckError, match="~0 everywhere"):
        tinydl.gradcheck(lambda t: t.relu(), [x], raise_on_vacuous=True)


def test_vacuous_check_of_a_large_input_warns_too():
    x = leaf(-np.linspace(1, 2, 2500))
    with pytest.warns(tinydl.autograd.GradcheckWarning, match="proves nothing"):
        assert tinydl.gradcheck(lambda t: t.relu(), [x], directions=3)


def test_an_informative_check_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tinydl.gradcheck(lambda t: t.relu(), [leaf(X)])


# ------------------------------------------------------------------ diagnoses
def test_sign_flipped():
    square = planted(lambda x: x * x, lambda g, x: -2 * x * g)
    assert "sign flipped" in diagnosis_of(square, [leaf(X)])


def test_constant_factor_is_given():
    square = planted(lambda x: x * x, lambda g, x: x * g)  # forgot the 2
    message = diagnosis_of(square, [leaf(X)])
    assert "constant factor: analytical = 0.5 x numerical" in message
    assert "a whole number 2" in message


class TransposedMatmul(Function):
    @staticmethod
    def forward(ctx, a, w):
        ctx.save_for_backward(a, w)
        return a @ w

    @staticmethod
    def backward(ctx, grad_out):
        a, w = ctx.saved_tensors
        return grad_out @ w.T, (a.T @ grad_out).T


def test_transposed():
    w = leaf(np.array([[1.0, 2.0], [-3.0, 0.5]]))
    message = diagnosis_of(TransposedMatmul.apply, [leaf(X[:, :2]), w])
    assert "gradient of w" in message and "transposed" in message


def test_transposed_shape_is_caught_by_shape():
    message = diagnosis_of(TransposedMatmul.apply, [leaf(X), leaf(np.ones((3, 4)))])
    assert "shape (4, 3) for w (argument 1), whose shape is (3, 4)" in message
    assert "transposed" in message


def test_not_flowing():
    dead = planted(lambda x, w: x * w, lambda g, x, w: (g * w, None))
    message = diagnosis_of(lambda x, w: dead(x, w), [leaf(X), leaf(X + 1)])
    assert "gradient of w" in message and "not flowing" in message


def test_wrong_only_at_a_kink():
    x = leaf(np.array([0.5, 0.0, -1.5]))
    message = diagnosis_of(lambda x: x.relu(), [x])
    assert "wrong only at kinks" in message and "x[1] = 0" in message
    assert "Move the input away" in message


def test_float32_precision():
    message = diagnosis_of(lambda x: (x.float() * 1.1).exp(), [leaf(X)])
    assert "float32 precision" in message and "float64" in message


def test_nan_in_backward():
    broken = planted(lambda x: x * x, lambda g, x: g * x / 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert "NaN or inf" in diagnosis_of(broken, [leaf(X)])


# ------------------------------------------------------------------ names
def test_inputs_are_named_by_the_functions_parameters():
    wrong = planted(lambda a, b: a * b, lambda g, a, b: (g * b, g * a * 3))
    assert "gradient of weight " in diagnosis_of(lambda inp, weight: wrong(inp, weight), [leaf(X), leaf(X)])
    # Function.apply takes *args: the names come from forward's signature
    class Named(Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x, scale)
            return x * scale

        @staticmethod
        def backward(ctx, grad_out):
            x, scale = ctx.saved_tensors
            return grad_out * scale, -grad_out * x
    assert "gradient of scale " in diagnosis_of(Named.apply, [leaf(X), leaf(X)])


def test_module_parameters_are_named_with_their_path():
    model = tinydl.nn.Sequential(tinydl.nn.Linear(3, 2)).double()
    bad = planted(lambda w: w, lambda g, w: 2 * g)
    model[0].forward = lambda x: tinydl.nn.functional.linear(x, bad(model[0].weight), model[0].bias)
    assert "gradient of parameter 0.weight" in diagnosis_of(model, [leaf(X)])


# ------------------------------------------------------------------ strict mode
class UnsummedBiasLinear(Function):
    """y = x W^T + b; backward forgets to sum the bias gradient over the batch."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        return grad_out @ weight, grad_out.T @ x, grad_out  # bias: should be grad_out.sum(axis=0)


def test_strict_mode_catches_the_unsummed_bias_gradient():
    inputs = [leaf(X), leaf(np.ones((4, 3)) * 0.5), leaf(np.arange(4.0))]
    assert tinydl.gradcheck(UnsummedBiasLinear.apply, inputs)  # the engine sums it silently
    message = diagnosis_of(UnsummedBiasLinear.apply, inputs, strict=True)
    assert "strict" in message and "shape (2, 4) for bias (argument 2), whose shape is (4,)" in message
    assert "missing sum over a broadcast axis" in message and "grad.sum(axis=0)" in message


def test_strict_mode_checks_pytorch_style_functions_too():
    class TensorUnsummedBias(tinydl.autograd.Function):  # forward/backward see Tensors
        @staticmethod
        def forward(ctx, x, bias):
            return x + bias

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out, grad_out

    inputs = [leaf(X), leaf(np.arange(3.0))]
    assert tinydl.gradcheck(TensorUnsummedBias.apply, inputs)
    assert "grad.sum(axis=0)" in diagnosis_of(TensorUnsummedBias.apply, inputs, strict=True)


def test_strict_mode_checks_dtypes_and_passes_correct_functions():
    class WrongDtype(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return (grad_out * 2).astype(np.float32)

    assert tinydl.gradcheck(WrongDtype.apply, [leaf(X)], atol=1e-4, rtol=1e-3)
    assert "dtype float32 for x" in diagnosis_of(WrongDtype.apply, [leaf(X)], strict=True)
    # tinydl's own ops rely on un-broadcasting by design; strict leaves them alone
    assert tinydl.gradcheck(lambda a, b: a * b, [leaf(X), leaf(X[0])], strict=True)


# ------------------------------------------------------------------ large inputs
def test_large_inputs_report_the_failing_directions_and_suggest_a_smaller_input():
    square = planted(lambda x: x * x, lambda g, x: -2 * x * g)
    message = diagnosis_of(square, [leaf(np.linspace(1, 2, 2500))], directions=5)
    assert "wrong along 5 of them: directions [0, 1, 2, 3, 4]" in message
    assert "sign flipped" in message and "check a smaller input (at most 2000 elements" in message


# ------------------------------------------------------------------ any shape
@settings(max_examples=15)
@given(shape=nonscalar_shapes, seed=seeds, factor=st.sampled_from([-1.0, 0.5, 3.0]))
def test_planted_factor_is_recognised_for_any_shape(shape, seed, factor):
    square = planted(lambda x: x * x, lambda g, x: factor * 2 * x * g)
    x = leaf(values(shape, seed, away_from_zero=0.2))
    message = diagnosis_of(square, [x])
    if factor == -1.0:
        assert "sign flipped" in message
    else:
        assert f"constant factor: analytical = {factor:g} x numerical" in message


def test_a_backward_that_returns_nan_everywhere_is_diagnosed_not_a_crash():
    class NanBackward(tinydl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * float("nan")

    x = tinydl.tensor([0.5, -1.0, 2.0], dtype=tinydl.float64, requires_grad=True)
    with pytest.raises(tinydl.autograd.GradcheckError, match="backward produced NaN or inf"):
        tinydl.gradcheck(NanBackward.apply, (x,))
