"""gradcheck catches wrong gradients and says where; it refuses float32."""
from __future__ import annotations

import numpy as np
import pytest

import tinydl
from helpers import leaf


class WrongSquare(tinydl.autograd.Function):
    """y = x^2 with a deliberately wrong backward at element 1."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        mistake = tinydl.zeros(x.shape, dtype=x.dtype, device=x.device)
        mistake.view(-1)[1] = 0.5  # a view: writes into mistake
        return 2 * x * grad_out + mistake


def test_correct_gradient_passes():
    assert tinydl.gradcheck(lambda x, y: (x * y).tanh(), [leaf(np.ones((2, 3))), leaf(np.arange(3.0))])


def test_wrong_gradient_is_reported_with_input_and_element():
    x = leaf(np.array([[1.0, 2.0], [3.0, 4.0]]))
    with pytest.raises(tinydl.GradcheckError, match=r"gradient of x \(shape \(2, 2\)\) is wrong at element \(0, 1\): analytical .* numerical"):
        tinydl.gradcheck(WrongSquare.apply, [x])


def test_second_input_is_named():
    a, b = leaf(np.ones(2)), leaf(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(tinydl.GradcheckError, match="gradient of q "):
        tinydl.gradcheck(lambda p, q: p.sum() + WrongSquare.apply(q), [a, b])


def test_large_inputs_are_checked_along_random_directions():
    x = leaf(np.linspace(1, 2, 3000))
    assert tinydl.gradcheck(lambda t: (t * t).sum(), [x])
    with pytest.raises(tinydl.GradcheckError, match="random directions"):
        tinydl.gradcheck(WrongSquare.apply, [x])


def test_float32_inputs_are_refused():
    with pytest.raises(TypeError, match="gradcheck: t has dtype tinydl.float32; use float64"):
        tinydl.gradcheck(lambda t: t * 2, [tinydl.ones(2, requires_grad=True)])


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        tinydl.gradcheck(lambda t: t * 2, [tinydl.ones(2, dtype=tinydl.float64)])


def test_tuple_outputs_and_non_float_outputs():
    x = leaf(np.array([[1.0, 5.0], [3.0, 2.0]]))
    assert tinydl.gradcheck(lambda t: t.max(1), [x])           # (values, int64 indices)
    assert tinydl.gradcheck(lambda t: (t.exp(), t * 3), [x])


def test_an_output_that_is_a_view_of_the_input_cannot_fool_it():
    class ViewOfInput(tinydl.autograd.Function):
        """Returns x itself (a view); claims a gradient of zero, which is wrong (it should be 1)."""

        @staticmethod
        def forward(ctx, x):
            return x[...]

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 0

    with pytest.raises(tinydl.GradcheckError):
        tinydl.gradcheck(ViewOfInput.apply, [leaf(np.ones(3))])


def test_gradcheck_does_not_change_inputs():
    array = np.array([1.0, 2.0])
    x = leaf(array.copy())
    tinydl.gradcheck(lambda t: t.exp(), [x])
    np.testing.assert_array_equal(x.detach().numpy(), array)
    assert x.grad is None


def test_module_parameters_are_checked_and_named():
    class Scale(tinydl.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = tinydl.nn.Parameter(tinydl.tensor([1.0, 2.0], dtype=tinydl.float64))

        def forward(self, x):
            return WrongSquare.apply(self.weight) * x

    x = leaf(np.array([0.5, -1.5]))
    assert tinydl.gradcheck(tinydl.nn.Linear(2, 3).double(), [x])
    with pytest.raises(tinydl.GradcheckError, match="gradient of parameter weight"):
        tinydl.gradcheck(Scale(), [x])


def test_input_made_by_an_op_is_checked():
    x = tinydl.tensor([[1.0, -2.0]], requires_grad=True)
    assert tinydl.gradcheck(lambda t: t.exp(), [x.double()])
    with pytest.raises(tinydl.GradcheckError):
        tinydl.gradcheck(WrongSquare.apply, [x.double()])


# ------------------------------------------------- gradcheck on cuda (a GPU, or the CuPy stand-in in CI)
def test_gradcheck_on_cuda_passes_and_reports_like_on_cpu(cuda):
    x = leaf(np.array([[1.0, 2.0], [3.0, 4.0]]), device=cuda)
    assert tinydl.gradcheck(lambda t: (t.tanh() * t).sum(1), [x])
    assert tinydl.gradcheck(tinydl.nn.Linear(2, 3).double().to(cuda), [x])
    wrong_at_0_1 = r"gradient of x \(shape \(2, 2\)\) is wrong at element \(0, 1\)"
    with pytest.raises(tinydl.GradcheckError, match=wrong_at_0_1):
        tinydl.gradcheck(WrongSquare.apply, [x])
    big = leaf(np.linspace(1, 2, 3000), device=cuda)
    assert tinydl.gradcheck(lambda t: (t * t).sum(), [big])
    with pytest.raises(tinydl.GradcheckError, match="random directions"):
        tinydl.gradcheck(WrongSquare.apply, [big])
    assert x.device.type == "cuda" and x.grad is None  # inputs left as they were
