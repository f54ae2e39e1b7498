"""Autograd semantics: accumulation, reuse, diamonds, detach, no_grad, retain_graph, freeing."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tinydl
from helpers import host, leaf


def test_gradients_accumulate_across_backward_calls():
    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(host(x.grad), [3 + 2, 3 + 4])


def test_non_leaf_used_several_times():
    a = leaf(np.array([1.5, -2.0]))
    b = a + a           # b = 2a
    c = b * b           # c = 4a^2, dc/da = 8a
    c.sum().backward()
    np.testing.assert_allclose(host(a.grad), 8 * np.array([1.5, -2.0]))


def test_diamond_graph():
    x = leaf(np.array(0.7))
    left, right = x.exp(), x * x
    y = left * right   # y = e^x x^2, dy/dx = e^x x^2 + 2x e^x
    y.backward()
    expected = np.exp(0.7) * 0.49 + 2 * 0.7 * np.exp(0.7)
    assert host(x.grad) == pytest.approx(expected)


def test_broadcast_gradient_is_summed_to_input_shape():
    x = leaf(np.ones((3, 1)))
    bias = leaf(np.ones(4))
    (x * bias).sum().backward()
    assert x.grad.shape == (3, 1) and bias.grad.shape == (4,)
    np.testing.assert_allclose(host(x.grad), np.full((3, 1), 4.0))
    np.testing.assert_allclose(host(bias.grad), np.full(4, 3.0))


def test_detach_stops_gradient():
    x = leaf(np.array([2.0]))
    y = x * x.detach()      # only the first factor carries gradient
    y.sum().backward()
    np.testing.assert_allclose(host(x.grad), [2.0])
    assert x.detach().requires_grad is False and x.detach().grad_fn is None


def test_no_grad_records_nothing_and_restores():
    x = tinydl.ones(2, requires_grad=True)
    with tinydl.no_grad():
        assert not tinydl.is_grad_enabled()
        y = x * 2
        with tinydl.enable_grad():
            z = x * 2
    assert tinydl.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None and z.requires_grad


def test_no_grad_as_decorator():
    @tinydl.no_grad()
    def evaluate(t):
        return t * 2

    assert evaluate(tinydl.ones(2, requires_grad=True)).grad_fn is None
    assert tinydl.is_grad_enabled()

    @tinydl.no_grad  # without parentheses, as PyTorch also allows
    def evaluate_bare(t):
        return t * 2

    assert evaluate_bare(tinydl.ones(2, requires_grad=True)).grad_fn is None
    assert evaluate_bare.__name__ == "evaluate_bare"


def test_no_grad_saves_nothing():
    x = tinydl.ones(1000, requires_grad=True)
    with tinydl.no_grad():
        y = x.exp()
    assert y.grad_fn is None  # no context: nothing saved for a backward that can't happen


def test_retain_graph_allows_second_backward_and_freed_graph_raises():
    x = leaf(np.array([1.0, 2.0]))
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(host(x.grad), 2 * 2 * np.array([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        y.backward()


def test_backward_on_non_scalar_needs_gradient():
    x = tinydl.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"gradient can be left out only for one-element outputs.*shape \(3,\)"):
        y.backward()
    y.backward(tinydl.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(host(x.grad), [2.0, 0.0, -2.0])


def test_backward_gradient_shape_is_checked():
    y = tinydl.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\) but the tensor has shape \(3,\)"):
        y.backward(tinydl.ones(2))


def test_backward_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tinydl.ones(2).sum().backward()


def test_long_chain_has_no_recursion_limit():
    x = tinydl.tensor(1.0, dtype=tinydl.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    del y
    gc.collect()


def test_intermediate_values_are_freed_after_backward():
    x = tinydl.ones(1000, requires_grad=True)
    hidden = x * 2
    loss = (hidden * hidden).sum()
    ref = weakref.ref(hidden.array)
    del hidden
    gc.collect()
    assert ref() is not None          # saved for backward: the graph still needs the values
    loss.backward()
    gc.collect()
    assert ref() is None              # freed with the graph, though `loss` is still alive
    assert loss.grad_fn.next_functions[0][0].name() == "MulBackward"  # the structure stays


def test_unreferenced_graph_is_collected():
    x = tinydl.ones(10, requires_grad=True)
    y = (x.exp() * 3).sum()
    ref = weakref.ref(y)
    del y
    gc.collect()
    assert ref() is None


def test_leaf_and_requires_grad_flags():
    x = tinydl.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    assert (tinydl.ones(2) * x.detach()).requires_grad is False


def test_custom_function_extension_point():
    class Cube(tinydl.autograd.Function):
        """y = x^3, dy/dx = 3x^2."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad_out

    x = leaf(np.array([1.0, -2.0, 0.5]))
    y = Cube.apply(x)
    assert repr(y.grad_fn) == "<CubeBackward>"
    assert tinydl.gradcheck(Cube.apply, [x])


def test_custom_function_with_wrong_gradient_shape_is_reported():
    class Broken(tinydl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out[:1]

    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape \(1,\) for argument 0, whose shape is \(3,\)"):
        Broken.apply(tinydl.ones(3, requires_grad=True)).sum().backward()


def test_gradient_of_a_leaf_output_itself():
    x = tinydl.ones(2, requires_grad=True)
    x.backward(tinydl.tensor([1.0, 2.0]))
    np.testing.assert_allclose(host(x.grad), [1.0, 2.0])


def test_mixed_devices_error_names_op_and_devices(monkeypatch):
    # Simulate a second device type without a GPU: an ndarray subclass that reports "cuda:0".
    class FakeGpuArray(np.ndarray):
        pass

    monkeypatch.setattr(tinydl.backend, "device_of",
                        lambda a: "cuda:0" if isinstance(a, FakeGpuArray) else "cpu")
    on_cpu = tinydl.ones(2)
    on_gpu = tinydl.Tensor(np.ones(2).view(FakeGpuArray))
    with pytest.raises(tinydl.DeviceError, match="Add: expected all tensors on one device, got cpu and cuda:0"):
        on_cpu + on_gpu
