"""Public tests of assignment 2. Run them with: python -m tinydl.coursework grade DIR"""
import numpy

import tinydl
from tinydl.coursework import task
from tinydl.coursework.checks import as_numpy, expect_close, expect_dtype, expect_gradients, expect_shape

TITLE = "Linear from scratch"
STUDENT_FILE = "linear.py"

N, IN, OUT = 4, 3, 5  # in != out: a transposed weight gradient has the wrong shape


def random(*shape, requires_grad=False):
    return tinydl.randn(*shape, dtype=tinydl.float64, requires_grad=requires_grad)


def constant(tensor):
    return tensor.detach()


@task("2.1", points=2)
def test_forward_values_with_and_without_bias(student):
    x, weight, bias = random(N, IN), random(OUT, IN), random(OUT)
    expected = as_numpy(x) @ as_numpy(weight).T
    expect_close(student.linear_forward(x, weight, bias), expected + as_numpy(bias), "linear_forward(x, W, b)")
    expect_close(student.linear_forward(x, weight, None), expected, "linear_forward(x, W, None)")
    x32, weight32 = x.float(), weight.float()
    expect_dtype(student.linear_forward(x32, weight32, bias.float()), tinydl.float32, "linear_forward of float32")


def check_gradient_function(result, expected, what, transposed_hint=None, unsummed_hint=None):
    """Shape first (with the usual mistakes named), then values."""
    got = tuple(as_numpy(result).shape)
    if transposed_hint and got == expected.shape[::-1] and got != expected.shape:
        raise AssertionError(f"{what} has shape {got}, the transpose of the correct {expected.shape}: "
                             f"{transposed_hint}")
    if unsummed_hint and len(got) == 2 and got[0] > 1 and got[1:] == expected.shape:  # (N, out), not (out,)
        raise AssertionError(f"{what} has shape {got}, expected {expected.shape}: {unsummed_hint}")
    expect_close(result, expected, what)


@task("2.2", points=2)
def test_grad_input(student):
    grad_out, weight = random(N, OUT), random(OUT, IN)
    result = student.grad_input(grad_out, weight)
    expect_shape(result, (N, IN), "grad_input(grad_out, W): dL/dx")
    x = random(N, IN, requires_grad=True)
    expect_gradients(lambda x: student.LinearFunction.apply(x, constant(weight), None), [x], "dL/dx")
    check_gradient_function(result, as_numpy(grad_out) @ as_numpy(weight), "grad_input(grad_out, W)")


@task("2.3", points=2)
def test_grad_weight(student):
    grad_out, x = random(N, OUT), random(N, IN)
    check_gradient_function(student.grad_weight(grad_out, x), as_numpy(grad_out).T @ as_numpy(x),
                            "grad_weight(grad_out, x)",
                            transposed_hint="dW is the transpose of the correct gradient (dL/dW = dY^T X, "
                                            "not X^T dY)")
    weight = random(OUT, IN, requires_grad=True)
    expect_gradients(lambda weight: student.LinearFunction.apply(constant(x), weight, None), [weight], "dL/dW")
    square = random(IN, IN, requires_grad=True)  # a square weight: gradcheck itself sees a transpose
    expect_gradients(lambda weight: student.LinearFunction.apply(constant(x), weight, None), [square], "dL/dW")


@task("2.4", points=2)
def test_grad_bias(student):
    grad_out = random(N, OUT)
    check_gradient_function(student.grad_bias(grad_out), as_numpy(grad_out).sum(axis=0), "grad_bias(grad_out)",
                            unsummed_hint="bias gradient not summed over the batch (b is added to every "
                                          "row of y, so dL/db = sum over n of dY[n])")
    x, weight, bias = random(N, IN), random(OUT, IN), random(OUT, requires_grad=True)
    expect_gradients(lambda bias: student.LinearFunction.apply(x, weight, bias), [bias], "dL/db")


@task("2.5", points=2)
def test_linear_module_parameters_and_initialisation(student):
    layer = student.Linear(16, 8)
    parameters = dict(layer.named_parameters())
    if sorted(parameters) != ["bias", "weight"]:
        raise AssertionError(f"Linear(16, 8) has parameters {sorted(parameters)}, expected ['bias', 'weight'] "
                             "(assign nn.Parameter objects to self.weight and self.bias)")
    expect_shape(parameters["weight"], (8, 16), "Linear(16, 8).weight")
    expect_shape(parameters["bias"], (8,), "Linear(16, 8).bias")
    bound = 1 / numpy.sqrt(16)
    for name, parameter in parameters.items():
        values = as_numpy(parameter)
        if not (numpy.abs(values) <= bound).all() or numpy.abs(values).max() < bound / 2:
            raise AssertionError(f"Linear(16, 8).{name} is not uniform in [-k, k], k = 1/sqrt(16) = {bound}: "
                                 f"its values range over [{values.min():.3g}, {values.max():.3g}]")
        expect_dtype(parameter, tinydl.float32, f"Linear(16, 8).{name}")
    if list(dict(student.Linear(16, 8, bias=False).named_parameters())) != ["weight"]:
        raise AssertionError("Linear(16, 8, bias=False) must have a weight and no bias parameter")


@task("2.5")
def test_linear_module_forward_goes_through_linear_function(student):
    for bias in (True, False):
        layer = student.Linear(IN, OUT, bias=bias)
        x = tinydl.randn(N, IN)
        y = layer(x)
        weight = as_numpy(layer.weight)
        expected = as_numpy(x) @ weight.T + (as_numpy(layer.bias) if bias else 0)
        expect_close(y, expected, f"Linear(bias={bias})(x)")
        if y.grad_fn is None or getattr(y.grad_fn, "function", None) is not student.LinearFunction:
            raise AssertionError("Linear.forward must compute y with LinearFunction.apply(x, self.weight, "
                                 "self.bias), so that backward is yours")
