"""PyTorch's values at the 0/0 and inf*0 points students meet: no nan where PyTorch gives a number.

Every expected value is PyTorch's, worked out by hand from its backward formulas
(torch/csrc/autograd/FunctionsManual.cpp, derivatives.yaml). setup.cfg turns
RuntimeWarning into an error, so each test also checks that no NumPy warning
escapes from an op where PyTorch is silent (overflow, log(0), 0/0).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
import tinydl.functional as F
from helpers import host, leaf, seeds, values

inf, nan = math.inf, math.nan


def grad_of(fn, array, device="cpu"):
    """d fn(x).sum() / dx at x = array (float64)."""
    x = leaf(np.asarray(array, dtype=np.float64), device)
    fn(x).sum().backward()
    return host(x.grad)


# ------------------------------------------------------------- std and var
def test_std_of_a_constant_row_has_gradient_zero(device):
    # row 0 is constant: std 0, gradient 0 (not 0/0); row 1: d std/dx = (x - mean) / ((n-1) std)
    x = leaf(np.array([[3.0, 3.0, 3.0], [1.0, 2.0, 3.0]]), device)
    out = x.std(dim=1)
    np.testing.assert_allclose(host(out), [0.0, 1.0])
    out.sum().backward()
    np.testing.assert_allclose(host(x.grad), [[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]])


@pytest.mark.parametrize("keepdim", [False, True])
def test_std_constant_everywhere_all_dims(keepdim):
    assert np.array_equal(grad_of(lambda x: x.std(keepdim=keepdim), np.full((2, 3), 7.0)), np.zeros((2, 3)))
    assert np.array_equal(grad_of(lambda x: x.std(dim=(0, 1), unbiased=False), np.zeros((2, 2))),
                          np.zeros((2, 2)))


@given(rows=st.integers(1, 4), cols=st.integers(2, 5), seed=seeds)
def test_std_with_some_constant_rows_matches_gradcheck_elsewhere(rows, cols, seed):
    array = values((rows, cols), seed)
    array[0] = array[0, 0]  # one constant row among random ones
    x = leaf(array)
    x.std(dim=1).sum().backward()
    assert np.array_equal(host(x.grad)[0], np.zeros(cols))
    if rows > 1:
        assert tinydl.gradcheck(lambda t: t.std(dim=1), [leaf(array[1:])])


def test_var_and_std_of_one_element_are_nan_without_crash_or_warning():
    # n - correction = 0: PyTorch gives nan and a nan gradient (2/0 * 0), not ZeroDivisionError
    for name in ("var", "std"):
        x = leaf(np.array([4.0]))
        out = getattr(x, name)()
        assert np.isnan(out.item())
        out.backward()
        assert np.isnan(host(x.grad)).all()
    x = leaf(np.array([[1.0], [2.0]]))
    x.var(dim=1).sum().backward()
    assert np.isnan(host(x.grad)).all()


def test_var_of_a_constant_row_has_gradient_zero():
    np.testing.assert_array_equal(grad_of(lambda x: x.var(dim=1), np.ones((2, 3))), np.zeros((2, 3)))


# ------------------------------------------------------------- pow at 0
@pytest.mark.parametrize("exponent, expected", [
    (0, 0.0),      # x^0 is the constant 1: PyTorch returns zeros, not 0 * 0^-1 = nan
    (0.0, 0.0),
    (0.5, inf),    # 0.5 * 0^-0.5
    (1, 1.0),      # 1 * 0^0
    (2, 0.0),      # 2 * 0^1
    (3, 0.0),
    (-1, -inf),    # -1 * 0^-2
    (-0.5, -inf),
])
def test_pow_gradient_at_zero(exponent, expected, device):
    grad = grad_of(lambda x: x ** exponent, [0.0, 2.0], device)
    assert grad[0] == expected
    assert grad[1] == pytest.approx(exponent * 2.0 ** (exponent - 1))


def test_pow_with_tensor_exponent_at_zero():
    # d/da where b = 0 is 0; d/db at a = 0 is 0 for b >= 0 and -inf for b < 0 (PyTorch's caveat)
    a = leaf(np.array([0.0, 0.0, 0.0, 2.0]))
    b = leaf(np.array([0.0, 2.0, -1.0, 3.0]))
    (a ** b).sum().backward()
    np.testing.assert_array_equal(host(a.grad), [0.0, 0.0, -inf, 12.0])
    np.testing.assert_allclose(host(b.grad), [0.0, 0.0, -inf, 8.0 * math.log(2.0)])


def test_scalar_base_to_a_tensor_power():
    # d/dx 0^x = 0 for x >= 0 (PyTorch), d/dx 2^x = 2^x ln 2 in the tensor's dtype
    np.testing.assert_array_equal(grad_of(lambda x: 0.0 ** x, [0.0, 1.5]), [0.0, 0.0])
    x = tinydl.tensor([0.0, 1.0], requires_grad=True)
    (2 ** x).sum().backward()
    assert x.grad.dtype == tinydl.float32
    np.testing.assert_allclose(x.grad.numpy(), [math.log(2), 2 * math.log(2)], rtol=1e-6)


def test_x_to_the_zero_in_float32_training_code():
    x = tinydl.zeros(3, requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------- sqrt, log, exp, abs, div
def test_sqrt_at_zero_is_inf_silently(device):
    np.testing.assert_array_equal(grad_of(F.sqrt, [0.0, 4.0], device), [inf, 0.25])
    assert np.isnan(F.sqrt(tinydl.tensor([-1.0])).item())  # nan, no warning, as in PyTorch


def test_log_at_zero_is_minus_inf_and_its_slope_inf(device):
    x = leaf(np.array([0.0, 2.0]), device)
    out = F.log(x)
    np.testing.assert_array_equal(host(out), [-inf, math.log(2.0)])
    out.sum().backward()
    np.testing.assert_array_equal(host(x.grad), [inf, 0.5])
    assert np.isnan(F.log(tinydl.tensor([-1.0])).item())


def test_exp_overflow_is_inf_silently():
    x = tinydl.tensor([100.0, 0.0], requires_grad=True)  # e^100 overflows float32
    out = x.exp()
    assert out.tolist()[0] == inf
    out.sum().backward()
    assert x.grad.tolist() == [inf, 1.0]


def test_abs_relu_leaky_relu_at_zero(device):
    assert grad_of(F.abs, [0.0, -2.0, 3.0], device).tolist() == [0.0, -1.0, 1.0]
    assert grad_of(F.relu, [0.0, -2.0, 3.0], device).tolist() == [0.0, 0.0, 1.0]
    # leaky_relu: x > 0 ? 1 : slope, so the slope at 0
    assert grad_of(lambda x: F.leaky_relu(x, 0.1), [0.0, 3.0], device).tolist() == [0.1, 1.0]


def test_division_by_zero_is_silent():
    a = leaf(np.array([1.0, 0.0]))
    b = leaf(np.array([0.0, 2.0]))
    out = a / b
    assert host(out).tolist() == [inf, 0.0]
    out.sum().backward()
    assert host(a.grad).tolist() == [inf, 0.5]
    assert host(b.grad).tolist() == [-inf, -0.0]


# ------------------------------------------------------------- clamp, maximum, max ties
def test_clamp_at_its_bounds_passes_the_gradient(device):
    # PyTorch: 1[min <= x <= max], bounds included
    assert grad_of(lambda x: x.clamp(0.0, 1.0), [0.0, 1.0, 0.5, -0.1, 1.1], device).tolist() == \
        [1.0, 1.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("op", [F.maximum, F.minimum])
def test_maximum_minimum_ties_split_the_gradient(op, device):
    a = leaf(np.array([0.0, 1.0, 2.0]), device)
    b = leaf(np.array([0.0, 1.0, 0.0]), device)
    op(a, b).sum().backward()
    picked_a = [1.0, 1.0, 0.0] if op is F.minimum else [0.0, 0.0, 1.0]
    np.testing.assert_array_equal(host(a.grad), [0.5, 0.5, picked_a[2]])
    np.testing.assert_array_equal(host(b.grad), [0.5, 0.5, 1.0 - picked_a[2]])


def test_max_of_all_shares_ties_and_max_along_dim_picks_the_returned_index():
    np.testing.assert_array_equal(grad_of(lambda x: x.max(), [0.0, 3.0, 3.0]), [0.0, 0.5, 0.5])
    x = leaf(np.array([[0.0, 0.0, -1.0]]))
    values_, indices = x.max(dim=1)
    values_.sum().backward()
    assert indices.tolist() == [0]
    np.testing.assert_array_equal(host(x.grad), [[1.0, 0.0, 0.0]])


# ------------------------------------------------------------- -inf: masks in softmax & co.
MASKED = np.array([[0.0, -inf, 1.0], [-inf, 2.0, -inf]])  # each row has a finite entry


def test_logsumexp_ignores_minus_inf_entries():
    x = leaf(np.array([[0.0, -inf, 0.0]]))
    out = x.logsumexp(dim=1)
    assert host(out).tolist() == pytest.approx([math.log(2.0)])
    out.sum().backward()
    np.testing.assert_allclose(host(x.grad), [[0.5, 0.0, 0.5]])


def test_logsumexp_of_an_all_minus_inf_row_is_minus_inf_with_nan_gradient():
    # PyTorch: forward -inf (the max is masked to 0), backward exp(-inf - -inf) = nan; no warning
    x = leaf(np.array([[-inf, -inf], [0.0, 0.0]]))
    out = x.logsumexp(dim=1)
    np.testing.assert_allclose(host(out), [-inf, math.log(2.0)])
    out.sum().backward()
    assert np.isnan(host(x.grad)[0]).all()
    np.testing.assert_allclose(host(x.grad)[1], [0.5, 0.5])


def test_softmax_gives_masked_entries_probability_zero_and_gradient_zero(device):
    x = leaf(MASKED, device)
    probs = x.softmax(dim=1)
    e = math.e
    np.testing.assert_allclose(host(probs), [[1 / (1 + e), 0.0, e / (1 + e)], [0.0, 1.0, 0.0]])
    weights = tinydl.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=tinydl.float64, device=device)
    probs.backward(weights)
    grad = host(x.grad)
    assert np.isfinite(grad).all()
    assert grad[0, 1] == 0.0 and grad[1].tolist() == [0.0, 0.0, 0.0]
    p = 1 / (1 + e)  # d/dx0 of sum w p: p0 (w0 - sum w p)
    assert grad[0, 0] == pytest.approx(p * (1.0 - (p * 1.0 + (1 - p) * 3.0)))


def test_log_softmax_of_masked_rows(device):
    x = leaf(MASKED, device)
    out = x.log_softmax(dim=1)
    assert host(out)[0, 1] == -inf and host(out)[1, 1] == 0.0
    picked = out[tinydl.tensor([0, 1]), tinydl.tensor([2, 1])]  # the finite log-probabilities
    picked.sum().backward()
    grad = host(x.grad)
    assert np.isfinite(grad).all()
    assert grad[0, 1] == 0.0 and grad[1].tolist() == [0.0, 0.0, 0.0]


def test_softmax_and_log_softmax_of_an_all_minus_inf_row_are_nan_silently():
    # PyTorch: exp(-inf - (-inf)) = nan for every entry of a fully masked row
    x = tinydl.tensor([[-inf, -inf], [0.0, 0.0]])
    assert np.isnan(x.softmax(dim=1).numpy()[0]).all()
    assert np.isnan(x.log_softmax(dim=1).numpy()[0]).all()
    np.testing.assert_allclose(x.softmax(dim=1).numpy()[1], [0.5, 0.5])


def test_cross_entropy_with_minus_inf_logits(device):
    # Masked classes that are not the target: finite loss, zero gradient on them.
    logits = leaf(np.array([[0.0, -inf, 0.0], [1.0, -inf, -inf]]), device)
    target = tinydl.tensor([0, 0], device=device)
    loss = F.cross_entropy(logits, target)
    assert loss.item() == pytest.approx((math.log(2.0) + 0.0) / 2)
    loss.backward()
    np.testing.assert_allclose(host(logits.grad), [[-0.25, 0.0, 0.25], [0.0, 0.0, 0.0]])
    # The target itself masked: the loss is inf (PyTorch), the gradient still finite
    logits = leaf(np.array([[-inf, 1.0]]), device)
    loss = F.cross_entropy(logits, tinydl.tensor([0], device=device))
    assert loss.item() == inf
    loss.backward()
    np.testing.assert_allclose(host(logits.grad), [[-1.0, 1.0]])


def test_fully_masked_rows_give_nan_silently_in_losses_and_log_of_softmax():
    # cross_entropy of an all -inf row: log_softmax is nan there, so is the loss (PyTorch)
    logits = leaf(np.array([[-inf, -inf], [0.0, 0.0]]))
    loss = F.cross_entropy(logits, tinydl.tensor([0, 1]), reduction="none")
    assert np.isnan(host(loss)[0]) and host(loss)[1] == pytest.approx(math.log(2.0))
    loss[1].backward()  # even unused, the nan row's gradient is nan * 0 = nan, as in PyTorch
    assert np.isnan(host(logits.grad)[0]).all()
    np.testing.assert_allclose(host(logits.grad)[1], [0.5, -0.5])
    # log(softmax) at a masked entry: log 0 = -inf, slope 1/0 = inf, nan through softmax's backward
    x = leaf(np.array([[0.0, -inf]]))
    out = x.softmax(dim=1).log()
    assert host(out).tolist() == [[0.0, -inf]]
    out.sum().backward()
    assert np.isnan(host(x.grad)).all()


# ------------------------------------------------------------- the sweep
# Every public differentiable op at inputs that contain 0 (a zero row, zeros
# among other values) and, where a mask makes sense, -inf entries: no warning
# escapes (setup.cfg makes RuntimeWarning an error) and no gradient is nan.
ZEROS = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 0.0]])
POSITIVE = np.array([[0.5, 1.5, 2.0], [1.0, 3.0, 0.25]])
LABELS = [2, 0]


def _labels(device):
    return tinydl.tensor(LABELS, device=device)


def _const(array, device):
    return tinydl.tensor(array, dtype=tinydl.float64, device=device)


def _where(x, device):
    return F.where(_const(ZEROS, device) > 0, x, 0.0)


SWEEP = {
    # name: (function of the input leaf and the device, input values)
    "abs": (lambda x, d: F.abs(x), ZEROS),
    "add": (lambda x, d: F.add(x, x), ZEROS),
    "sub": (lambda x, d: F.sub(x, 1.0), ZEROS),
    "mul": (lambda x, d: F.mul(x, x), ZEROS),
    "div": (lambda x, d: F.div(x, _const(POSITIVE, d)) + F.div(1.0, x), ZEROS),  # 1/0: slope -inf
    "pow": (lambda x, d: F.pow(x, 0) + F.pow(x, 1) + F.pow(x, 2) + F.pow(x, 3), ZEROS),
    "neg": (lambda x, d: F.neg(x), ZEROS),
    "exp": (lambda x, d: F.exp(x), MASKED),
    "log": (lambda x, d: F.log(x), abs(ZEROS)),    # log 0 = -inf, slope inf: a number, not nan
    "sqrt": (lambda x, d: F.sqrt(x), abs(ZEROS)),  # slope inf at 0
    "relu": (lambda x, d: F.relu(x), MASKED),
    "leaky_relu": (lambda x, d: F.leaky_relu(x), ZEROS),
    "sigmoid": (lambda x, d: F.sigmoid(x), MASKED),
    "tanh": (lambda x, d: F.tanh(x), MASKED),
    "clamp": (lambda x, d: F.clamp(x, 0.0, 1.5), ZEROS),
    "clip": (lambda x, d: F.clip(x, min=0.0), MASKED),
    "maximum": (lambda x, d: F.maximum(x, _const(np.zeros(3), d)), ZEROS),
    "minimum": (lambda x, d: F.minimum(x, _const(np.zeros(3), d)), ZEROS),
    "where": (_where, MASKED),
    "sum": (lambda x, d: F.sum(x, 1), MASKED),
    "mean": (lambda x, d: F.mean(x, 0), ZEROS),
    "max": (lambda x, d: F.max(x, 1).values, MASKED),
    "min": (lambda x, d: F.min(x), ZEROS),
    "var": (lambda x, d: F.var(x, 1), ZEROS),
    "std": (lambda x, d: F.std(x, 1), ZEROS),
    "logsumexp": (lambda x, d: F.logsumexp(x, 1), MASKED),
    "softmax": (lambda x, d: F.softmax(x, 1), MASKED),
    "log_softmax": (lambda x, d: F.log_softmax(x, 1)[tinydl.tensor([0, 1]), tinydl.tensor([2, 1])], MASKED),
    "cross_entropy": (lambda x, d: F.cross_entropy(x, tinydl.tensor([2, 1], device=d)), MASKED),
    "nll_loss": (lambda x, d: F.nll_loss(x, _labels(d)), ZEROS),
    "mse_loss": (lambda x, d: F.mse_loss(x, _const(np.zeros((2, 3)), d)), ZEROS),
    "binary_cross_entropy_with_logits":
        (lambda x, d: F.binary_cross_entropy_with_logits(x, _const(np.zeros((2, 3)), d)), ZEROS),
    "linear": (lambda x, d: F.linear(x, x, x[0, :2]), ZEROS),
    "matmul": (lambda x, d: F.matmul(x, x.t()), ZEROS),
    "dropout": (lambda x, d: F.dropout(x, 0.5), ZEROS),
    "cast": (lambda x, d: F.cast(x, tinydl.float32), MASKED),
    "to": (lambda x, d: F.to(x, tinydl.float32), ZEROS),
    "to_device": (lambda x, d: F.to_device(x, d), MASKED),
    "cat": (lambda x, d: F.cat([x, x], 0), MASKED),
    "stack": (lambda x, d: F.stack([x, x], 1), MASKED),
    "expand": (lambda x, d: F.expand(x, 2, 2, 3), MASKED),
    "flatten": (lambda x, d: F.flatten(x), MASKED),
    "getitem": (lambda x, d: F.getitem(x, (slice(None), 0)), MASKED),
    "permute": (lambda x, d: F.permute(x, 1, 0), MASKED),
    "reshape": (lambda x, d: F.reshape(x, 3, 2), MASKED),
    "view": (lambda x, d: F.view(x, -1), MASKED),
    "squeeze": (lambda x, d: F.squeeze(F.unsqueeze(x, 0), 0), MASKED),
    "unsqueeze": (lambda x, d: F.unsqueeze(x, 1), MASKED),
    "t": (lambda x, d: F.t(x), MASKED),
    "transpose": (lambda x, d: F.transpose(x, 0, 1), MASKED),
    "sort": (lambda x, d: F.sort(x, 1).values, MASKED),
    "topk": (lambda x, d: F.topk(x, 2).values, MASKED),
    # elementwise math and products (issue 10)
    **{name: ((lambda name: lambda x, d: getattr(F, name)(x))(name), ZEROS)
       for name in ["sin", "cos", "tan", "atan", "arctan", "sinh", "cosh",
                    "log1p", "expm1", "erf", "square", "sign", "floor", "ceil", "round", "trunc", "fix",
                    "clone"]},
    **{name: ((lambda name: lambda x, d: getattr(F, name)(x))(name), abs(ZEROS))
       for name in ["log2", "log10", "reciprocal", "rsqrt"]},  # inf at 0, slope -+inf: numbers, not nan
    **{name: ((lambda name: lambda x, d: getattr(F, name)(x))(name), ZEROS / 4)  # inside (-1, 1)
       for name in ["asin", "acos", "arcsin", "arccos"]},
    # losses, norm and splitting (issues 9 and 10)
    "binary_cross_entropy":  # probabilities 0 and 1: logs clamped at -100, slopes finite, as PyTorch
        (lambda x, d: F.binary_cross_entropy(x, _const(np.zeros((2, 3)), d)), abs(ZEROS) / 2),
    "l1_loss": (lambda x, d: F.l1_loss(x, _const(np.zeros((2, 3)), d)), ZEROS),
    "smooth_l1_loss": (lambda x, d: F.smooth_l1_loss(x, _const(np.zeros((2, 3)), d)), ZEROS),
    "huber_loss": (lambda x, d: F.huber_loss(x, _const(np.zeros((2, 3)), d)), ZEROS),
    "norm": (lambda x, d: F.norm(x, dim=1), ZEROS),  # a zero row: gradient 0
    "chunk": (lambda x, d: F.chunk(x, 3, 1)[0], MASKED),
    "split": (lambda x, d: F.split(x, 1, 0)[1], MASKED),
    "narrow": (lambda x, d: F.narrow(x, 1, 0, 2), MASKED),
    # convolution, pooling, normalization, embedding, smooth activations (issue 13)
    "conv1d": (lambda x, d: F.conv1d(x.unsqueeze(0), x[:, :2].unsqueeze(0)), ZEROS),
    "conv2d": (lambda x, d: F.conv2d(x.reshape(1, 1, 2, 3), x[:, :2].reshape(1, 1, 2, 2)), ZEROS),
    "max_pool1d": (lambda x, d: F.max_pool1d(x.unsqueeze(0), 2), ZEROS),
    "max_pool2d": (lambda x, d: F.max_pool2d(x.reshape(1, 1, 2, 3), 2), ZEROS),
    "avg_pool1d": (lambda x, d: F.avg_pool1d(x.unsqueeze(0), 2), ZEROS),
    "avg_pool2d": (lambda x, d: F.avg_pool2d(x.reshape(1, 1, 2, 3), 2), ZEROS),
    "adaptive_avg_pool1d": (lambda x, d: F.adaptive_avg_pool1d(x.unsqueeze(0), 1), ZEROS),
    "adaptive_avg_pool2d": (lambda x, d: F.adaptive_avg_pool2d(x.reshape(1, 1, 2, 3), 1), ZEROS),
    "batch_norm": (lambda x, d: F.batch_norm(x, None, None, training=True), ZEROS),  # a constant column
    "layer_norm": (lambda x, d: F.layer_norm(x, (3,)), ZEROS),                     # a zero row: var 0
    "embedding": (lambda x, d: F.embedding(tinydl.tensor([1, 0], device=d), x), ZEROS),
    **{name: ((lambda name: lambda x, d: getattr(F, name)(x))(name), MASKED)  # -> 0 and -alpha at -inf
       for name in ["softplus", "elu"]},
    # gelu(-inf) and silu(-inf) are -inf * 0 = nan in PyTorch too: test them at 0 only
    **{name: ((lambda name: lambda x, d: getattr(F, name)(x))(name), ZEROS) for name in ["gelu", "silu"]},
    "mm": (lambda x, d: F.mm(x, x.t()), ZEROS),
    "bmm": (lambda x, d: F.bmm(x.unsqueeze(0), x.t().unsqueeze(0)), ZEROS),
    "mv": (lambda x, d: F.mv(x, x[0]), ZEROS),
    "dot": (lambda x, d: F.dot(x[0], x[1]), ZEROS),
    "outer": (lambda x, d: F.outer(x[0], x[1]), ZEROS),
    "addmm": (lambda x, d: F.addmm(x[:, :2], x, x.t()), ZEROS),
    # ported programs (branch ported2)
    "meshgrid": (lambda x, d: F.mul(*F.meshgrid(x[0], x[1], indexing="xy")), ZEROS),
}

# Public names that are not differentiable ops (comparisons, logic, indices).
NOT_DIFFERENTIABLE = {"argmax", "argmin", "argsort", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
                      "logical_or", "logical_xor", "logical_not", "is_tensor", "numel"}


def test_the_sweep_covers_every_public_op():
    """A new op in tinydl.functional needs a line in SWEEP (or NOT_DIFFERENTIABLE) above."""
    missing = set(F.__all__) - SWEEP.keys() - NOT_DIFFERENTIABLE
    assert not missing, f"add these ops to the sweep in {__file__}: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(SWEEP))
def test_no_warning_and_no_nan_gradient_at_zero_and_minus_inf(name, device):
    function, array = SWEEP[name]
    x = leaf(array, device)
    out = function(x, device)
    out.backward(tinydl.ones_like(out))  # RuntimeWarning is an error here (setup.cfg)
    grad = host(x.grad)
    assert not np.isnan(grad).any(), f"{name}: nan gradient {grad}"
