"""conv2d and conv1d: values against a direct loop, gradients by gradcheck, dtypes, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
import tinydl.nn.functional as F
from helpers import host, leaf, seeds, values


def conv2d_loop(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """The definition, one output pixel at a time: a window of the padded input times the kernel."""
    n, channels, height, width = x.shape
    out_channels, group_channels, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    h_out = (height + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    w_out = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, out_channels, h_out, w_out))
    per_group = out_channels // groups
    for o in range(out_channels):
        first = (o // per_group) * group_channels
        for i in range(h_out):
            for j in range(w_out):
                window = x[:, first:first + group_channels,
                           i * sh: i * sh + dh * (kh - 1) + 1: dh, j * sw: j * sw + dw * (kw - 1) + 1: dw]
                out[:, o, i, j] = (window * w[o]).sum(axis=(1, 2, 3)) + (0 if b is None else b[o])
    return out


@st.composite
def conv_cases(draw, max_side=7):
    """Shapes and hyper-parameters of a conv2d whose windows fit (odd sizes, stride > kernel, kernel = input)."""
    groups = draw(st.sampled_from([1, 1, 2]))
    channels = groups * draw(st.integers(1, 2))
    out_channels = groups * draw(st.integers(1, 2))
    height, width = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    kernel = tuple(draw(st.integers(1, (size + 2 * p - 1) // d + 1))  # the dilated kernel fits the padded input
                   for size, p, d in zip((height, width), padding, dilation))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    n = draw(st.integers(1, 2))
    return (n, channels, height, width), (out_channels, channels // groups) + kernel, stride, padding, dilation, groups


def check_conv_gradients(conv, inputs, reads_input: bool) -> None:
    """gradcheck; or, when every window lies in the padding (stride and padding can skip the
    whole input), the exact gradients of the sum: 0 for x and w (gradcheck would prove nothing),
    and for b the number of outputs each bias feeds."""
    if reads_input:
        assert tinydl.gradcheck(conv, inputs)
        return
    conv(*inputs).sum().backward()
    for tensor in inputs[:2]:
        np.testing.assert_array_equal(host(tensor.grad), np.zeros(tensor.shape))
    if len(inputs) == 3:
        out_pixels = conv(*inputs).numel() // inputs[1].shape[0]   # each bias feeds N * L outputs
        np.testing.assert_array_equal(host(inputs[2].grad), np.full(inputs[2].shape, out_pixels))


@given(case=conv_cases(), bias=st.booleans(), seed=seeds)
def test_conv2d_matches_the_loop_and_gradcheck(case, bias, seed, device):
    x_shape, w_shape, stride, padding, dilation, groups = case
    x, w, b = values(x_shape, seed), values(w_shape, seed + 1), values(w_shape[:1], seed + 2)
    inputs = [leaf(x, device), leaf(w, device)] + ([leaf(b, device)] if bias else [])

    def conv(x, w, b=None):
        return F.conv2d(x, w, b, stride, padding, dilation, groups)

    out = conv(*inputs)
    np.testing.assert_allclose(host(out), conv2d_loop(x, w, b if bias else None, stride, padding, dilation, groups),
                               rtol=1e-10, atol=1e-12)
    assert out.dtype == tinydl.float64
    reads_input = conv2d_loop(np.ones(x_shape), np.ones(w_shape), None, stride, padding, dilation,
                              groups).any()  # some window covers a real pixel
    check_conv_gradients(conv, inputs, reads_input)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", [
    ((1, 2, 5, 5), (3, 2, 5, 5), (1, 1), (0, 0), (1, 1)),   # kernel = input: one output pixel
    ((2, 1, 7, 6), (2, 1, 2, 2), (3, 4), (0, 0), (1, 1)),   # stride > kernel: pixels no window reads
    ((1, 1, 6, 6), (1, 1, 3, 3), (1, 1), (1, 1), (2, 2)),   # dilation with padding
    ((1, 2, 4, 4), (2, 2, 3, 3), (1, 1), (2, 2), (1, 1)),   # windows of padding only at the corners
])
def test_conv2d_edge_cases(x_shape, w_shape, stride, padding, dilation):
    x, w, b = values(x_shape, 1), values(w_shape, 2), values(w_shape[:1], 3)
    inputs = [leaf(x), leaf(w), leaf(b)]

    def conv(x, w, b):
        return F.conv2d(x, w, b, stride, padding, dilation)

    np.testing.assert_allclose(host(conv(*inputs)), conv2d_loop(x, w, b, stride, padding, dilation), rtol=1e-10)
    assert tinydl.gradcheck(conv, inputs)


def test_conv2d_gradient_of_pixels_no_window_reads_is_zero():
    x = leaf(values((1, 1, 5, 5), 0))
    w = leaf(values((1, 1, 1, 1), 1))
    F.conv2d(x, w, stride=3).sum().backward()   # reads rows/columns 0 and 3 only
    expected = np.zeros((5, 5))
    expected[np.ix_([0, 3], [0, 3])] = w.array[0, 0, 0, 0]
    np.testing.assert_allclose(host(x.grad)[0, 0], expected)


def test_conv2d_overlapping_windows_accumulate_into_the_input_gradient():
    # A 3x3 kernel of ones with stride 1: each pixel's gradient counts the windows that read it.
    x = leaf(np.zeros((1, 1, 4, 4)))
    F.conv2d(x, leaf(np.ones((1, 1, 3, 3)))).sum().backward()
    np.testing.assert_allclose(host(x.grad)[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


@pytest.mark.parametrize("padding, expected", [("same", (6, 5)), ("valid", (4, 3))])
def test_conv2d_string_padding(padding, expected):
    x, w = values((1, 1, 6, 5), 0), values((1, 1, 3, 3), 1)
    out = F.conv2d(leaf(x), leaf(w), padding=padding)
    assert out.shape[2:] == expected
    np.testing.assert_allclose(host(out), conv2d_loop(x, w, padding=(1, 1) if padding == "same" else (0, 0)))


def test_conv2d_same_padding_puts_the_odd_one_on_the_bottom_right():
    x, w = values((1, 1, 5, 5), 0), values((1, 1, 2, 2), 1)   # total padding 1: none on top, one on bottom
    out = F.conv2d(leaf(x), leaf(w), padding="same")
    padded = np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 1)))
    np.testing.assert_allclose(host(out), conv2d_loop(padded, w))
    assert tinydl.gradcheck(lambda x, w: F.conv2d(x, w, padding="same"), [leaf(x), leaf(w)])


@given(n=st.integers(1, 2), length=st.integers(1, 9), kernel=st.integers(1, 4), stride=st.integers(1, 3),
       padding=st.integers(0, 2), dilation=st.integers(1, 2), seed=seeds)
def test_conv1d_is_conv2d_on_height_one(n, length, kernel, stride, padding, dilation, seed, device):
    if dilation * (kernel - 1) + 1 > length + 2 * padding:
        kernel = 1
    x, w, b = values((n, 2, length), seed), values((3, 2, kernel), seed + 1), values((3,), seed + 2)
    inputs = [leaf(x, device), leaf(w, device), leaf(b, device)]

    def conv(x, w, b):
        return F.conv1d(x, w, b, stride, padding, dilation)

    expected = conv2d_loop(x[:, :, None], w[:, :, None], b, (1, stride), (0, padding), (1, dilation))[:, :, 0]
    np.testing.assert_allclose(host(conv(*inputs)), expected, rtol=1e-10, atol=1e-12)
    reads_input = conv2d_loop(np.ones((n, 2, 1, length)), np.ones((3, 2, 1, kernel)), None,
                              (1, stride), (0, padding), (1, dilation)).any()
    check_conv_gradients(conv, inputs, reads_input)


def test_unbatched_inputs():
    x, w = values((2, 5, 5), 0), values((3, 2, 3, 3), 1)
    out = F.conv2d(leaf(x), leaf(w), padding=1)
    assert out.shape == (3, 5, 5)
    np.testing.assert_allclose(host(out), conv2d_loop(x[None], w, padding=(1, 1))[0])
    assert F.conv1d(leaf(values((2, 7), 0)), leaf(values((4, 2, 3), 1))).shape == (4, 5)


def test_float32_in_float32_out_and_float32_gradients(device):
    x = tinydl.randn(2, 3, 6, 6, device=device, requires_grad=True)
    w = tinydl.randn(4, 3, 3, 3, device=device, requires_grad=True)
    b = tinydl.randn(4, device=device, requires_grad=True)
    out = F.conv2d(x, w, b, stride=2, padding=1)
    assert out.dtype == tinydl.float32
    out.sum().backward()
    assert {x.grad.dtype, w.grad.dtype, b.grad.dtype} == {tinydl.float32}
    assert F.conv1d(x[:, :, 0], w[:, :, 0], b).dtype == tinydl.float32


def test_weight_only_gradient_skips_the_input():
    x = tinydl.tensor(values((1, 1, 4, 4), 0), dtype=tinydl.float64)
    w = leaf(values((1, 1, 2, 2), 1))
    out = F.conv2d(x, w)
    assert out.grad_fn.needs_input_grad[:3] == (False, True, False)
    out.sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(host(w.grad)[0, 0], [[x.array[0, 0, :3, :3].sum(), x.array[0, 0, :3, 1:].sum()],
                                                    [x.array[0, 0, 1:, :3].sum(), x.array[0, 0, 1:, 1:].sum()]])


def test_conv2d_errors():
    x, w = tinydl.randn(1, 3, 5, 5), tinydl.randn(4, 3, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d: input has 2 channels .* weight \(4, 3, 3, 3\) with groups=1 expects 3"):
        F.conv2d(tinydl.randn(1, 2, 5, 5), w)
    with pytest.raises(ValueError, match=r"conv2d: the padded input is 2 x 2 per channel .* smaller than the \(dilated\) kernel 3 x 3"):
        F.conv2d(tinydl.randn(1, 3, 2, 2), w)
    with pytest.raises(ValueError, match=r"conv2d: weight must be a 4-d tensor"):
        F.conv2d(x, tinydl.randn(4, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: expected input \(N, C, H, W\) or unbatched \(C, H, W\), got \(5, 5\)"):
        F.conv2d(tinydl.randn(5, 5), w)
    with pytest.raises(TypeError, match=r"conv2d: input dtype tinydl.float64 does not match weight dtype tinydl.float32"):
        F.conv2d(x.double(), w)
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(4,\)"):
        F.conv2d(x, w, tinydl.randn(3))
    with pytest.raises(ValueError, match=r"conv2d: stride must be at least 1"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match=r"padding='same' is not supported for strided convolutions"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"conv2d: weight has 4 output channels, not divisible by groups=3"):
        F.conv2d(tinydl.randn(1, 3, 5, 5), tinydl.randn(4, 1, 3, 3), groups=3)
    with pytest.raises(ValueError, match=r"conv1d \(as conv2d on height-1 images\): input has 3 channels"):
        F.conv1d(tinydl.randn(1, 3, 5), tinydl.randn(2, 2, 3))
