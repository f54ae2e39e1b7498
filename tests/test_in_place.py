"""In-place updates: the manual SGD step under no_grad, +=, add_, fill_, zero_, copy_, x[i] = v."""
from __future__ import annotations

import numpy as np
import pytest

import tinydl
from helpers import host


def test_manual_sgd_step_under_no_grad_keeps_the_leaf():
    w = tinydl.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        w.grad = None
        (w * w).sum().backward()          # d/dw = 2w
        with tinydl.no_grad():
            w -= 0.25 * w.grad            # w <- w - 0.5 w = 0.5 w
    np.testing.assert_allclose(host(w), [0.125, -0.25])
    assert w.requires_grad and w.is_leaf


def test_in_place_on_a_leaf_that_requires_grad_is_refused_with_grad_on():
    w = tinydl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_ \(\+=\): in-place change of a leaf tensor that requires grad"):
        w += 1
    with pytest.raises(RuntimeError, match="setitem: in-place change of a leaf tensor that requires grad"):
        w[0] = 3.0
    for name, call in [("fill_", lambda: w.fill_(0)), ("zero_", w.zero_), ("copy_", lambda: w.copy_(w * 2))]:
        with pytest.raises(RuntimeError, match=f"{name}: in-place change of a leaf"):
            call()
    assert host(w).tolist() == [1.0, 1.0] and w.is_leaf


def test_in_place_methods_and_operators():
    x = tinydl.tensor([1.0, 2.0, 3.0])
    array = x.array
    x += 1
    x *= tinydl.tensor([2.0, 2.0, 2.0])
    x -= 1.0
    x /= 2
    assert x.array is array and host(x).tolist() == [1.5, 2.5, 3.5]
    assert x.add_(1).sub_(0.5).mul_(2).div_(4) is x and host(x).tolist() == [1.0, 1.5, 2.0]
    assert host(x.clamp_(1.2, 1.8)).tolist() == pytest.approx([1.2, 1.5, 1.8])
    assert host(tinydl.tensor([np.nan, 1.0]).fill_(3)).tolist() == [3.0, 3.0]
    assert host(x.zero_()).tolist() == [0.0, 0.0, 0.0]
    assert host(x.copy_(tinydl.tensor([1, 2, 3]))).tolist() == [1.0, 2.0, 3.0]
    assert x.dtype == tinydl.float32


def test_in_place_errors():
    counts = tinydl.tensor([1, 2])
    with pytest.raises(TypeError, match=r"add_ \(\+=\): the result has dtype float32, which cannot be stored in place in a int64"):
        counts += 0.5
    x = tinydl.zeros(2)
    with pytest.raises(ValueError, match=r"add_: a value of shape \(3, 2\) does not fit in the tensor of shape \(2,\)"):
        x.add_(tinydl.ones(3, 2))


def test_setitem():
    x = tinydl.zeros(5)
    x[tinydl.tensor([0, 3])] = 2.0
    x[x == 0] = -1.0
    x[1:3] = tinydl.tensor([7.0, 8.0])
    assert host(x).tolist() == [2.0, 7.0, 8.0, 2.0, -1.0]
