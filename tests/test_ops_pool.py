"""Pooling: max/avg/adaptive-avg, 2-d and 1-d, against direct loops; gradients by gradcheck."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
import tinydl.nn.functional as F
from helpers import host, leaf, seeds, values


def distinct_values(shape, seed):
    """Well-separated values (steps of 0.1, shuffled): no ties, so max is differentiable everywhere."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(math.prod(shape)) * 0.1 - 1.0).reshape(shape)


def pool_loop(x, reduce, kernel, stride, padding, dilation=(1, 1), fill=0.0):
    """reduce(window) for every window of the padded image, one output pixel at a time."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    h_out = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    w_out = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros(x.shape[:2] + (h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, :, i * sh: i * sh + dh * (kh - 1) + 1: dh, j * sw: j * sw + dw * (kw - 1) + 1: dw]
            out[:, :, i, j] = reduce(window.reshape(x.shape[0], x.shape[1], -1))
    return out


@st.composite
def pool_cases(draw, dilate=True):
    height, width = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilate else (1, 1)
    kernel = tuple(draw(st.integers(1, (size - 1) // d + 1)) for size, d in zip((height, width), dilation))
    padding = tuple(draw(st.integers(0, (d * (k - 1) + 1) // 2)) for k, d in zip(kernel, dilation))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 2)), height, width), kernel, stride, padding, dilation


@given(case=pool_cases(), seed=seeds)
def test_max_pool2d(case, seed, device):
    shape, kernel, stride, padding, dilation = case
    x = distinct_values(shape, seed)
    pool = lambda t: F.max_pool2d(t, kernel, stride, padding, dilation)  # noqa: E731
    expected = pool_loop(x, lambda w: w.max(-1), kernel, stride, padding, dilation, fill=-np.inf)
    np.testing.assert_allclose(host(pool(leaf(x, device))), expected)
    assert tinydl.gradcheck(pool, [leaf(x, device)])


@given(case=pool_cases(dilate=False), count_include_pad=st.booleans(), seed=seeds)
def test_avg_pool2d(case, count_include_pad, seed, device):
    shape, kernel, stride, padding, _ = case
    x = values(shape, seed)
    pool = lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad=count_include_pad)  # noqa: E731
    if count_include_pad:
        expected = pool_loop(x, lambda w: w.mean(-1), kernel, stride, padding)
    else:  # divide by the real pixels only: pool the image and a mask of ones the same way
        sums = pool_loop(x, lambda w: w.sum(-1), kernel, stride, padding)
        expected = sums / pool_loop(np.ones_like(x), lambda w: w.sum(-1), kernel, stride, padding)
    np.testing.assert_allclose(host(pool(leaf(x, device))), expected, rtol=1e-12)
    assert tinydl.gradcheck(pool, [leaf(x, device)])


def test_avg_pool2d_divisor_override_and_default_stride():
    x = values((1, 2, 4, 6), 0)
    out = F.avg_pool2d(leaf(x), (2, 3), divisor_override=2)        # stride defaults to the kernel
    np.testing.assert_allclose(host(out), pool_loop(x, lambda w: w.sum(-1) / 2, (2, 3), (2, 3), (0, 0)))
    assert tinydl.gradcheck(lambda t: F.avg_pool2d(t, 2, 1, 1, divisor_override=3), [leaf(x)])


def test_max_pool2d_sends_the_gradient_to_the_winner_once_per_window():
    x = leaf(np.array([[[[1.0, 2.0, 0.0], [0.0, 9.0, 3.0], [4.0, 0.0, 5.0]]]]))
    F.max_pool2d(x, 2, stride=1).sum().backward()   # 9 wins all four overlapping windows
    np.testing.assert_allclose(host(x.grad)[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_max_pool2d_ties_go_to_the_first_element_as_in_pytorch():
    x = leaf(np.ones((1, 1, 2, 2)))
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_allclose(host(x.grad)[0, 0], [[1, 0], [0, 0]])


def adaptive_loop(x, out_h, out_w):
    """PyTorch's bins: [floor(i S / s_out), ceil((i + 1) S / s_out))."""
    height, width = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * height // out_h, math.ceil((i + 1) * height / out_h))
            columns = slice(j * width // out_w, math.ceil((j + 1) * width / out_w))
            out[..., i, j] = x[..., rows, columns].mean(axis=(-2, -1))
    return out


@given(height=st.integers(1, 7), width=st.integers(1, 7), out_h=st.integers(1, 8), out_w=st.integers(1, 8),
       seed=seeds)
def test_adaptive_avg_pool2d(height, width, out_h, out_w, seed, device):
    x = values((2, 3, height, width), seed)
    pool = lambda t: F.adaptive_avg_pool2d(t, (out_h, out_w))  # noqa: E731
    np.testing.assert_allclose(host(pool(leaf(x, device))), adaptive_loop(x, out_h, out_w), rtol=1e-12)
    assert tinydl.gradcheck(pool, [leaf(x, device)])


def test_adaptive_avg_pool2d_one_is_the_global_mean_and_none_keeps_a_size():
    x = values((2, 3, 5, 4), 0)
    np.testing.assert_allclose(host(F.adaptive_avg_pool2d(leaf(x), 1)), x.mean(axis=(2, 3), keepdims=True))
    assert F.adaptive_avg_pool2d(leaf(x), (None, 2)).shape == (2, 3, 5, 2)
    assert F.adaptive_avg_pool2d(leaf(x[0]), 2).shape == (3, 2, 2)   # unbatched


@given(length=st.integers(1, 9), kernel=st.integers(1, 4), stride=st.integers(1, 3), seed=seeds)
def test_1d_pools_are_the_2d_pools_on_height_one(length, kernel, stride, seed):
    kernel = min(kernel, length)
    padding = kernel // 2
    x = distinct_values((2, 3, length), seed)
    image = x[:, :, None]
    cases = [
        (lambda t: F.max_pool1d(t, kernel, stride, padding),
         pool_loop(image, lambda w: w.max(-1), (1, kernel), (1, stride), (0, padding), fill=-np.inf)),
        (lambda t: F.avg_pool1d(t, kernel, stride, padding),
         pool_loop(image, lambda w: w.mean(-1), (1, kernel), (1, stride), (0, padding))),
        (lambda t: F.adaptive_avg_pool1d(t, 3), adaptive_loop(image, 1, 3)),
    ]
    for pool, expected in cases:
        np.testing.assert_allclose(host(pool(leaf(x))), expected[:, :, 0], rtol=1e-12, atol=1e-14)
        assert tinydl.gradcheck(pool, [leaf(x)])


def test_float32_stays_float32(device):
    x = tinydl.randn(2, 3, 6, 6, device=device, requires_grad=True)
    outs = [F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 1, 1, count_include_pad=False), F.adaptive_avg_pool2d(x, 4),
            F.max_pool1d(x[:, :, 0], 2), F.avg_pool1d(x[:, :, 0], 2), F.adaptive_avg_pool1d(x[:, :, 0], 1)]
    assert {out.dtype for out in outs} == {tinydl.float32}
    sum(out.sum() for out in outs).backward()
    assert x.grad.dtype == tinydl.float32


def test_pool_errors():
    x = tinydl.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r"max_pool2d: pad should be at most half of effective kernel size"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: input of shape \(1, 1, 4, 4\) is too small for kernel_size=5"):
        F.max_pool2d(x, 5)
    with pytest.raises(NotImplementedError, match=r"max_pool2d: ceil_mode=True is not supported by tinydl"):
        F.max_pool2d(x, 3, ceil_mode=True)
    with pytest.raises(ValueError, match=r"avg_pool2d: expected input \(N, C, H, W\) or unbatched \(C, H, W\), got \(4, 4\)"):
        F.avg_pool2d(x[0, 0], 2)
    with pytest.raises(TypeError, match=r"max_pool2d: kernel_size must be an int or a pair of ints"):
        F.max_pool2d(x, (2, 2, 2))
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: output_size must hold positive ints"):
        F.adaptive_avg_pool2d(x, 0)
    with pytest.raises(ValueError, match=r"max_pool1d: expected input \(N, C, L\) or unbatched \(C, L\)"):
        F.max_pool1d(x, 2)
