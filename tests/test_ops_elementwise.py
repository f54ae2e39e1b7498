"""Elementwise ops: forward against NumPy, gradients against finite differences."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import tinydl
from helpers import both_signs, broadcast_pairs, check_op, check_routed_op, host, leaf, seeds, shapes, values


@pytest.mark.parametrize("name, fn, reference", [
    ("add", lambda a, b: a + b, np.add),
    ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply),
    ("div", lambda a, b: a / b, np.divide),
    ("pow", lambda a, b: a ** b, np.power),
])
@given(pair=broadcast_pairs, seed=seeds)
def test_binary_ops_broadcast(name, fn, reference, pair, seed, device):
    shape_a, shape_b = pair.input_shapes
    a = values(shape_a, seed, 0.5, 2.0)          # positive: pow's d/db needs log(a)
    b = values(shape_b, seed + 1, 0.5, 2.0)      # away from 0: div
    check_op(fn, reference, [a, b], device)


@pytest.mark.parametrize("name, fn, reference, low, high, away", [
    ("neg", lambda x: -x, np.negative, -2, 2, 0),
    ("exp", tinydl.exp, np.exp, -2, 2, 0),
    ("log", tinydl.log, np.log, 0.1, 3, 0),
    ("sqrt", tinydl.sqrt, np.sqrt, 0.1, 3, 0),
    ("abs", tinydl.abs, np.abs, -2, 2, 0.1),
    ("relu", tinydl.relu, lambda x: np.maximum(x, 0), -2, 2, 0.1),
    ("leaky_relu", lambda x: tinydl.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), -2, 2, 0.1),
    ("sigmoid", tinydl.sigmoid, lambda x: 1 / (1 + np.exp(-x)), -4, 4, 0),
    ("tanh", tinydl.tanh, np.tanh, -2, 2, 0),
    ("square", lambda x: x ** 2, np.square, -2, 2, 0),
    ("cube_root", lambda x: x ** (1 / 3), np.cbrt, 0.2, 2, 0),
    ("rsub", lambda x: 2 - x, lambda x: 2 - x, -2, 2, 0),
    ("rdiv", lambda x: 1 / x, lambda x: 1 / x, -2, 2, 0.2),
    ("rpow", lambda x: 2 ** x, lambda x: 2.0 ** x, -2, 2, 0),
    ("radd_rmul", lambda x: 3 + 0.5 * x, lambda x: 3 + 0.5 * x, -2, 2, 0),
])
@given(shape=shapes, seed=seeds)
def test_unary_ops(name, fn, reference, low, high, away, shape, seed, device):
    x = values(shape, seed, low, high, away)
    if away:  # a kink at 0: both of its sides (relu's flat side alone would make gradcheck vacuous)
        x = both_signs(x)
    check_op(fn, reference, [x], device)


def test_relu_gradient_is_zero_on_the_flat_side():
    x = leaf(np.array([-1.5, -0.3, -2.0]))
    tinydl.relu(x).sum().backward()
    np.testing.assert_array_equal(host(x.grad), [0.0, 0.0, 0.0])


@given(shape=shapes, seed=seeds)
def test_clamp_away_from_bounds(shape, seed, device):
    x = values(shape, seed, -2, 2)
    x = np.where(np.abs(np.abs(x) - 1) < 0.1, x * 0.5, x)  # keep clear of the bounds -1 and 1
    # one element inside (-1, 1), one outside: both the slope-1 and the flat parts are checked
    x.flat[0] *= 0.45
    if x.size > 1:
        x.flat[1] = np.copysign(1.1 + 0.45 * abs(x.flat[1]), x.flat[1])
    check_op(lambda t: t.clamp(-1, 1), lambda a: np.clip(a, -1, 1), [x], device)
    check_op(lambda t: t.clamp(min=-1), lambda a: np.maximum(a, -1), [x], device)


@pytest.mark.parametrize("fn, reference", [(tinydl.maximum, np.maximum), (tinydl.minimum, np.minimum)])
@given(pair=broadcast_pairs, seed=seeds)
def test_maximum_minimum(fn, reference, pair, seed, device):
    shape_a, shape_b = pair.input_shapes
    rng = np.random.default_rng(seed)
    # a in [2k, 2k+1), b in [2k+1.2, 2k+1.8): never within 0.2 of each other (no ties)
    block_a = np.array(rng.integers(-1, 2, shape_a), dtype=np.float64)
    block_b = np.array(rng.integers(-1, 2, shape_b), dtype=np.float64)
    # Each input must win somewhere, or gradcheck proves nothing about it. The result's
    # first element pairs a.flat[0] with b.flat[0], its last a.flat[-1] with b.flat[-1]:
    # b wins the first, a the last (a one-element input sits in the middle block, 0).
    block_a.flat[0], block_a.flat[-1] = (-1, 1) if block_a.size > 1 else (0, 0)
    block_b.flat[0], block_b.flat[-1] = (1, -1) if block_b.size > 1 else (0, 0)
    a = rng.uniform(0, 1, shape_a) + 2 * block_a
    b = rng.uniform(1.2, 1.8, shape_b) + 2 * block_b
    if np.prod(pair.result_shape) == 1:  # one element: only one input can win it
        check_routed_op(fn, reference, [a, b], device, receives=1 if fn is tinydl.maximum else 0)
    else:
        check_op(fn, reference, [a, b], device)


def test_maximum_tie_splits_gradient():
    a, b = leaf(np.array([1.0, 2.0])), leaf(np.array([1.0, 3.0]))
    tinydl.maximum(a, b).sum().backward()
    np.testing.assert_allclose(host(a.grad), [0.5, 0.0])
    np.testing.assert_allclose(host(b.grad), [0.5, 1.0])


@given(pair=broadcast_pairs, seed=seeds)
def test_where(pair, seed, device):
    shape_a, shape_b = pair.input_shapes
    a, b = values(shape_a, seed), values(shape_b, seed + 1)
    chosen = np.array(values(pair.result_shape, seed + 2) > 0)  # an array even for shape ()
    chosen.flat[0] = True               # a is chosen somewhere and, with two elements or more,
    if chosen.size > 1:                 # b too: neither gradient is 0 everywhere
        chosen.flat[-1] = False
    condition = tinydl.tensor(chosen, device=device)

    def select(x, y):
        return tinydl.where(condition, x, y)

    def reference(x, y):
        return np.where(chosen, x, y)
    if chosen.size == 1:
        check_routed_op(select, reference, [a, b], device, receives=0)
    else:
        check_op(select, reference, [a, b], device)


def test_sigmoid_is_stable_for_huge_inputs():
    x = tinydl.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], requires_grad=True)
    y = x.sigmoid()
    np.testing.assert_allclose(host(y), [0, 1.9287e-22, 0.5, 1, 1], rtol=1e-3, atol=0)
    y.sum().backward()
    assert np.isfinite(host(x.grad)).all()


@pytest.mark.parametrize("op, reference", [
    (lambda a, b: a == b, np.equal), (lambda a, b: a != b, np.not_equal),
    (lambda a, b: a < b, np.less), (lambda a, b: a <= b, np.less_equal),
    (lambda a, b: a > b, np.greater), (lambda a, b: a >= b, np.greater_equal),
])
def test_comparisons_give_bool_tensors_without_grad(op, reference, device):
    a_np = np.array([[1.0, 2.0, 3.0]])
    b_np = np.array([[2.0], [2.0]])
    a = tinydl.tensor(a_np, device=device, requires_grad=True)
    result = op(a, tinydl.tensor(b_np, device=device))
    assert result.dtype == tinydl.bool and not result.requires_grad and result.grad_fn is None
    np.testing.assert_array_equal(host(result), reference(a_np, b_np))
    np.testing.assert_array_equal(host(op(a, 2.0)), reference(a_np, 2.0))


def test_logical_operators():
    a = tinydl.tensor([True, True, False])
    b = tinydl.tensor([True, False, False])
    assert (a & b).tolist() == [True, False, False]
    assert (a | b).tolist() == [True, True, False]
    assert (~a).tolist() == [False, False, True]


def test_binary_op_shape_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        tinydl.ones(2, 3) + tinydl.ones(4)
    with pytest.raises(ValueError, match=r"mul: shapes \(2,\) and \(3,\)"):
        tinydl.ones(2) * tinydl.ones(3)


def test_operand_of_wrong_type_is_a_clear_error():
    with pytest.raises(TypeError, match="add: expected a tensor or a Python number, got str"):
        tinydl.ones(2) + "1"
