"""Public tests of assignment 6: im2col/col2im, Conv2d and MaxPool2d against loops written out in NumPy."""
from __future__ import annotations

import numpy as np

import tinydl
from tinydl.coursework import task
from tinydl.coursework.checks import expect_close, expect_gradients, expect_shape

TITLE = "Convolution: Conv2d via im2col, MaxPool2d"
STUDENT_FILE = "convolution.py"

OUTPUT_SIZE = "out = (size + 2 * padding - kernel) // stride + 1 along each axis"


def example(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def distinct(*shape: int, seed: int = 0) -> np.ndarray:
    """Values all different and at least 0.1 apart: no ties, so max-pooling has one gradient."""
    return np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) / 10.0 - 1.0


def patches_by_loops(x: np.ndarray, kernel: tuple[int, int], stride: int, padding: int) -> np.ndarray:
    """im2col written as the loops of its definition: (N, C, H, W) -> (N, C*kh*kw, out_h*out_w)."""
    n, channels, height, width = x.shape
    kh, kw = kernel
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h, out_w = (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1
    cols = np.zeros((n, channels * kh * kw, out_h * out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = padded[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]   # (N, C, kh, kw)
            cols[:, :, i * out_w + j] = patch.reshape(n, -1)
    return cols


def conv_by_loops(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: int,
                  padding: int) -> np.ndarray:
    """y[n, o, i, j] = sum_{c,a,b} weight[o, c, a, b] * x_padded[n, c, i*s + a, j*s + b] + bias[o]."""
    n, _, height, width = x.shape
    out_channels, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h, out_w = (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1
    y = np.zeros((n, out_channels, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = padded[:, None, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = (patch * weight[None]).sum(axis=(2, 3, 4))
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)


def max_pool_by_loops(x: np.ndarray, kernel: tuple[int, int], stride: int) -> np.ndarray:
    n, channels, height, width = x.shape
    out_h, out_w = (height - kernel[0]) // stride + 1, (width - kernel[1]) // stride + 1
    y = np.zeros((n, channels, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, :, i * stride:i * stride + kernel[0], j * stride:j * stride + kernel[1]]
            y[:, :, i, j] = window.max(axis=(2, 3))
    return y


# ------------------------------------------------------------------ Task 6.1: im2col and col2im
CASES = [((2, 3, 5, 6), (2, 3), 2, 1), ((1, 2, 4, 4), (3, 3), 1, 0), ((1, 1, 5, 5), (3, 3), 1, 1)]


@task("6.1", points=3)
def test_im2col(student) -> None:
    """Each column is one patch, in PyTorch's unfold order; stride and padding as in the definition."""
    for shape, kernel, stride, padding in CASES:
        x = example(*shape)
        expected = patches_by_loops(x, kernel, stride, padding)
        what = f"im2col(x of {shape}, kernel {kernel}, stride {stride}, padding {padding})"
        cols = student.im2col(x, kernel, stride, padding)
        expect_shape(cols, expected.shape, f"{what} ((N, C*kh*kw, L) with L = out_h * out_w; {OUTPUT_SIZE})")
        expect_close(cols, expected,
                     f"{what} (row c*kh*kw + a*kw + b of column i*out_w + j holds x_padded[n, c, i*stride + "
                     "a, j*stride + b]; pad `padding` zeros on every side)")


@task("6.1")
def test_col2im_is_the_adjoint_of_im2col(student) -> None:
    """<im2col(x), c> = <x, col2im(c)> for all x and c: col2im adds up overlapping patches."""
    for shape, kernel, stride, padding in CASES:
        x = example(*shape)
        cols = example(*patches_by_loops(x, kernel, stride, padding).shape, seed=1)
        back = student.col2im(cols, shape, kernel, stride, padding)
        what = f"col2im(cols, {shape}, kernel {kernel}, stride {stride}, padding {padding})"
        expect_shape(back, shape,
                     f"{what} (col2im returns an array of x's shape (N, C, H, W), without the padding)")
        counts = student.col2im(np.ones_like(cols), shape, kernel, stride, padding)
        if stride < max(kernel) and counts.max() <= 1:
            raise AssertionError(f"{what}: where patches overlap, col2im must add their values (+=), "
                                 "not overwrite them: col2im(ones) must count how many patches cover "
                                 "each pixel")
        left = (patches_by_loops(x, kernel, stride, padding) * cols).sum()
        expect_close((x * back).sum(), left,
                     f"<x, {what}> (must equal <im2col(x), cols>: col2im is the adjoint, the transpose, of "
                     "im2col)")


# ------------------------------------------------------------------ Task 6.2: Conv2dFunction
@task("6.2", points=3)
def test_conv2d_forward(student) -> None:
    for shape, kernel, stride, padding in CASES:
        x, weight, bias = example(*shape), example(4, shape[1], *kernel, seed=1), example(4, seed=2)
        y = student.Conv2dFunction.apply(tinydl.tensor(x), tinydl.tensor(weight), tinydl.tensor(bias),
                                         stride, padding)
        expected = conv_by_loops(x, weight, bias, stride, padding)
        what = f"Conv2dFunction on x {shape}, weight {weight.shape}, stride {stride}, padding {padding}"
        expect_shape(y, expected.shape, f"{what} ((N, O, out_h, out_w) with {OUTPUT_SIZE})")
        expect_close(y, expected, f"{what} (y = weight.reshape(O, -1) @ im2col(x), reshaped, plus bias[o])")
    y = student.Conv2dFunction.apply(tinydl.tensor(x), tinydl.tensor(weight), None, 1, 1)
    expect_close(y, conv_by_loops(x, weight, None, 1, 1),
                 "Conv2dFunction with bias=None (bias may be None (Conv2d(..., bias=False)): then add "
                 "nothing)")


@task("6.2")
def test_conv2d_gradients(student) -> None:
    """Strict float64 gradcheck of dx, dweight, dbias, with and without overlap and padding."""
    for shape, kernel, stride, padding in [((2, 2, 5, 4), (3, 2), 2, 1), ((1, 2, 4, 4), (3, 3), 1, 0)]:
        inputs = [tinydl.tensor(a, requires_grad=True)
                  for a in (example(*shape), example(3, shape[1], *kernel, seed=1), example(3, seed=2))]
        conv = student.Conv2dFunction
        expect_gradients(lambda x, weight, bias: conv.apply(x, weight, bias, stride, padding), inputs,
                         f"Conv2dFunction.backward (x {shape}, kernel {kernel}, stride {stride}, "
                         f"padding {padding})")


# ------------------------------------------------------------------ Task 6.3: the Conv2d module
@task("6.3", points=1)
def test_conv2d_module(student) -> None:
    """Conv2d(3, 4, 3, stride=2, padding=1): PyTorch's parameter names, shapes and initialization."""
    layer = student.Conv2d(3, 4, 3, stride=2, padding=1)
    parameters = dict(layer.named_parameters())
    assert set(parameters) == {"weight", "bias"}, (
        f"Conv2d's parameters must be 'weight' and 'bias' (PyTorch's names), got {sorted(parameters)}")
    expect_shape(parameters["weight"], (4, 3, 3, 3), "Conv2d(3, 4, 3).weight ((out, in, kh, kw))")
    expect_shape(parameters["bias"], (4,), "Conv2d(3, 4, 3).bias")
    bound = 1 / np.sqrt(3 * 3 * 3)
    for name, p in parameters.items():
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound and np.abs(values).max() > bound / 2, (
            f"Conv2d(3, 4, 3).{name} must be drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), "
            f"fan_in = in_channels * kh * kw = 27, bound {bound:.4f}; its largest |value| is "
            f"{np.abs(values).max():.4f}")
    x = example(2, 3, 5, 5)
    y = layer(tinydl.tensor(x))
    weight, bias = (parameters[name].detach().numpy() for name in ("weight", "bias"))
    expected = conv_by_loops(x, weight, bias, 2, 1)
    expect_shape(y, expected.shape,
                 "Conv2d(3, 4, 3, stride=2, padding=1)(x of (2, 3, 5, 5)) (pass stride and padding on to "
                 f"Conv2dFunction; {OUTPUT_SIZE})")
    expect_close(y, expected, "Conv2d(3, 4, 3, stride=2, padding=1)(x)")
    assert student.Conv2d(3, 4, (2, 3), bias=False).bias is None, "Conv2d(..., bias=False) must set bias None"
    expect_shape(student.Conv2d(3, 4, (2, 3), bias=False).weight, (4, 3, 2, 3),
                 "Conv2d(3, 4, (2, 3)).weight (kernel_size may be an int or a pair (kh, kw))")


# ------------------------------------------------------------------ Task 6.4: MaxPool2d
@task("6.4", points=3)
def test_max_pool_forward(student) -> None:
    x = distinct(2, 3, 6, 5)
    for kernel, stride in [((2, 2), 2), ((3, 2), 1)]:
        y = student.MaxPool2dFunction.apply(tinydl.tensor(x), kernel, stride)
        expect_close(y, max_pool_by_loops(x, kernel, stride),
                     f"MaxPool2dFunction(kernel {kernel}, stride {stride}) (the max of each window, windows "
                     "every `stride` pixels, no padding)")
    layer = student.MaxPool2d(2)
    expect_close(layer(tinydl.tensor(x)), max_pool_by_loops(x, (2, 2), 2),
                 "MaxPool2d(2)(x) (MaxPool2d's stride defaults to kernel_size (PyTorch's default))")


@task("6.4")
def test_max_pool_gradient_goes_to_the_max_only(student) -> None:
    """A 4x4 example by hand: each 2x2 window passes its gradient to its max element, and only to it."""
    x = tinydl.tensor([[[[1.0, 5.0, 2.0, 0.0],
                         [3.0, 4.0, 8.0, 6.0],
                         [0.5, 0.2, 7.0, 1.5],
                         [9.0, 0.1, 2.5, 3.5]]]], requires_grad=True)
    student.MaxPool2dFunction.apply(x, (2, 2), 2).backward(tinydl.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = np.zeros((1, 1, 4, 4))
    for (row, column), gradient in [((0, 1), 1.0), ((1, 2), 2.0), ((3, 0), 3.0), ((2, 2), 4.0)]:
        expected[0, 0, row, column] = gradient    # the max of window (i, j) receives dL/dy[i, j]
    if x.grad is not None and np.count_nonzero(x.grad.numpy()) > 4:
        raise AssertionError("MaxPool2dFunction.backward gives a gradient to more than one element per "
                             "window: the gradient must go only to the max of each window (the others did "
                             "not change the output); remember the argmax in forward")
    expect_close(x.grad, expected,
                 "dL/dx of a 2x2 max pool on a 4x4 example (each window's gradient goes to the position of "
                 "its max)")


@task("6.4")
def test_max_pool_gradients(student) -> None:
    """Strict gradcheck, also with overlapping windows: a pixel that is the max of two windows gets both."""
    for kernel, stride in [((2, 2), 2), ((2, 3), 1)]:
        x = tinydl.tensor(distinct(2, 2, 5, 6, seed=3), requires_grad=True)
        expect_gradients(lambda x: student.MaxPool2dFunction.apply(x, kernel, stride), [x],
                         f"MaxPool2dFunction.backward (kernel {kernel}, stride {stride})")
