"""Public tests of assignment 1. Run them with: python -m tinydl.coursework grade DIR"""
import math

import numpy

import tinydl
from tinydl.coursework import task
from tinydl.coursework.checks import expect_close, expect_dtype, expect_gradients

TITLE = "Activations as Functions"
STUDENT_FILE = "activations.py"

# Away from 0 (GELU's curvature) and spread over both signs; float64 for gradcheck.
X_VALUES = [[-3.0, -1.5, -0.4, 0.3], [0.8, 1.7, 2.5, -2.2]]


def inputs(dtype=tinydl.float64, requires_grad=False):
    return tinydl.tensor(X_VALUES, dtype=dtype, requires_grad=requires_grad)


def reference_gelu(x):
    erf = numpy.vectorize(math.erf)
    return x * 0.5 * (1.0 + erf(x / math.sqrt(2.0)))


def check_forward(function, reference, name):
    x = numpy.array(X_VALUES)
    expect_close(function.apply(inputs()), reference(x), f"{name}.forward(x)")
    expect_dtype(function.apply(inputs(tinydl.float32)), tinydl.float32, f"{name}.forward of a float32 x")


def check_backward(function, name):
    expect_gradients(function.apply, [inputs(requires_grad=True)], f"{name}.backward")
    x = inputs(tinydl.float32, requires_grad=True)
    function.apply(x).sum().backward()
    expect_dtype(x.grad, tinydl.float32, f"{name}: the gradient of a float32 x")


@task("1.1", points=2)
def test_sigmoid_forward(student):
    check_forward(student.Sigmoid, lambda x: 1.0 / (1.0 + numpy.exp(-x)), "Sigmoid")


@task("1.1")
def test_sigmoid_backward(student):
    check_backward(student.Sigmoid, "Sigmoid")


@task("1.2", points=2)
def test_tanh_forward(student):
    check_forward(student.Tanh, numpy.tanh, "Tanh")


@task("1.2")
def test_tanh_backward(student):
    check_backward(student.Tanh, "Tanh")


@task("1.3", points=3)
def test_gelu_forward(student):
    check_forward(student.GELU, reference_gelu, "GELU")


@task("1.3")
def test_gelu_backward(student):
    check_backward(student.GELU, "GELU")
