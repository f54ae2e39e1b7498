"""The layers beyond the MLP: Conv, pooling, BatchNorm/LayerNorm, Embedding, smooth activations, Unflatten."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
import tinydl.nn.functional as F
from helpers import host


def numpy_input(shape, seed=123):
    return tinydl.tensor(np.random.default_rng(seed).standard_normal(shape) * 1.5 + 0.3, dtype=tinydl.float64)


# ------------------------------------------------------------ convolution
@pytest.mark.parametrize("layer, fan_in", [(nn.Conv2d(6, 200, (3, 5)), 6 * 15), (nn.Conv2d(8, 400, 3, groups=4), 2 * 9),
                                           (nn.Conv1d(5, 300, 7), 5 * 7)])
def test_conv_default_init_is_uniform_within_one_over_sqrt_fan_in(layer, fan_in):
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        values = host(p)
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound
        assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)   # U(-b, b) has std b / sqrt 3
    assert layer.weight.shape[1] * math.prod(layer.weight.shape[2:]) == fan_in


def test_conv_layers_shapes_repr_and_forward():
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
    assert conv.weight.shape == (8, 3, 3, 3) and conv.bias is None
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    assert repr(nn.Conv1d(4, 4, 3, dilation=2, groups=2)) == "Conv1d(4, 4, kernel_size=(3,), stride=(1,), dilation=(2,), groups=2)"
    assert repr(nn.Conv2d(1, 2, 3, padding="same")) == "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)"
    x = tinydl.randn(2, 3, 9, 9)
    assert conv(x).shape == (2, 8, 5, 5)
    np.testing.assert_allclose(host(conv(x)), host(F.conv2d(x, conv.weight, None, 2, 1)))
    conv1 = nn.Conv1d(3, 5, 4, stride=2)
    assert conv1(tinydl.randn(2, 3, 10)).shape == (2, 5, 4)
    assert conv1(tinydl.randn(3, 10)).shape == (5, 4)


def test_conv_layers_gradcheck():
    assert tinydl.gradcheck(nn.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=1, dilation=(1, 2)).double(),
                            [numpy_input((2, 2, 5, 6)).requires_grad_()])
    assert tinydl.gradcheck(nn.Conv1d(4, 2, 3, padding=2, groups=2).double(), [numpy_input((2, 4, 5)).requires_grad_()])


def test_conv_layer_errors():
    with pytest.raises(ValueError, match=r"Conv2d: expected input with 3 channels, got 1 \(input shape \(2, 1, 5, 5\)\)"):
        nn.Conv2d(3, 4, 3)(tinydl.randn(2, 1, 5, 5))
    with pytest.raises(ValueError, match=r"expected input \(N, C, H, W\) or \(C, H, W\), got \(5, 5\)"):
        nn.Conv2d(3, 4, 3)(tinydl.randn(5, 5))
    with pytest.raises(ValueError, match=r"Conv2d: in_channels \(3\) and out_channels \(4\) must be divisible by groups \(2\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(NotImplementedError, match=r"padding_mode='reflect' is not supported by tinydl"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")


# ------------------------------------------------------------ pooling, Unflatten
def test_pooling_layers():
    x = tinydl.tensor(np.arange(32.0).reshape(1, 2, 4, 4))
    np.testing.assert_array_equal(host(nn.MaxPool2d(2)(x))[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(host(nn.AvgPool2d(2)(x))[0, 1], [[18.5, 20.5], [26.5, 28.5]])
    np.testing.assert_array_equal(host(nn.AdaptiveAvgPool2d(1)(x)).ravel(), [7.5, 23.5])
    signal = tinydl.tensor(np.arange(6.0).reshape(1, 1, 6))
    np.testing.assert_array_equal(host(nn.MaxPool1d(3)(signal)).ravel(), [2, 5])
    np.testing.assert_array_equal(host(nn.AvgPool1d(2)(signal)).ravel(), [0.5, 2.5, 4.5])
    np.testing.assert_array_equal(host(nn.AdaptiveAvgPool1d(2)(signal)).ravel(), [1, 4])
    assert repr(nn.MaxPool2d(3, 2)) == "MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AdaptiveAvgPool2d((2, 3))) == "AdaptiveAvgPool2d(output_size=(2, 3))"
    assert repr(nn.AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"


def test_flatten_then_unflatten_round_trips():
    x = tinydl.randn(3, 2, 4, 5)
    flat = nn.Flatten()(x)
    assert flat.shape == (3, 40)                       # Flatten keeps dim 0 (start_dim=1), as PyTorch
    back = nn.Unflatten(1, (2, 4, 5))(flat)
    np.testing.assert_array_equal(host(back), host(x))
    assert nn.Unflatten(-1, (-1, 5))(flat).shape == (3, 8, 5)
    assert repr(nn.Unflatten(1, (2, 20))) == "Unflatten(dim=1, unflattened_size=(2, 20))"
    with pytest.raises(ValueError, match="reshape: cannot reshape"):
        nn.Unflatten(1, (3, 7))(flat)


# ------------------------------------------------------------ batch norm
def test_batch_norm_layer_buffers_state_dict_and_modes():
    bn = nn.BatchNorm2d(3, momentum=0.5)
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert set(bn.state_dict()) == {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
    batches = [numpy_input((4, 3, 2, 2), seed).float() for seed in range(3)]
    mean, var = np.zeros(3), np.ones(3)
    for x in batches:
        out = bn(x)
        a = host(x).transpose(1, 0, 2, 3).reshape(3, -1)
        mean, var = 0.5 * mean + 0.5 * a.mean(1), 0.5 * var + 0.5 * a.var(1, ddof=1)
        np.testing.assert_allclose(host(out).transpose(1, 0, 2, 3).reshape(3, -1),
                                   (a - a.mean(1, keepdims=True)) / np.sqrt(a.var(1, keepdims=True) + 1e-5), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(host(bn.running_mean), mean, rtol=1e-5)
    np.testing.assert_allclose(host(bn.running_var), var, rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 3 and bn.running_mean.dtype == tinydl.float32

    bn.eval()
    x = batches[0]
    expected = (host(x) - mean.reshape(1, 3, 1, 1)) / np.sqrt(var.reshape(1, 3, 1, 1) + 1e-5)
    np.testing.assert_allclose(host(bn(x)), expected, rtol=1e-4, atol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 3      # eval leaves the statistics alone

    copy = nn.BatchNorm2d(3)
    copy.load_state_dict(bn.state_dict())
    copy.eval()
    np.testing.assert_array_equal(host(copy(x)), host(bn(x)))
    assert repr(bn) == "BatchNorm2d(3, eps=1e-05, momentum=0.5, affine=True, bias=True, track_running_stats=True)"


def test_batch_norm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [numpy_input((5, 2), seed).float() for seed in range(4)]
    for x in batches:
        bn(x)
    np.testing.assert_allclose(host(bn.running_mean), np.mean([host(x).mean(0) for x in batches], axis=0), rtol=1e-5)
    np.testing.assert_allclose(host(bn.running_var), np.mean([host(x).var(0, ddof=1) for x in batches], axis=0), rtol=1e-5)


def test_batch_norm_bias_false_keeps_only_the_weight():
    bn = nn.BatchNorm2d(3, bias=False)
    assert [name for name, _ in bn.named_parameters()] == ["weight"] and bn.bias is None
    assert "affine=True, bias=False" in repr(bn)


def test_batch_norm_without_running_stats_uses_the_batch_in_eval_too():
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    assert list(bn.parameters()) == [] and list(bn.buffers()) == [] and bn.state_dict() == {}
    x = numpy_input((6, 3, 4)).float()
    a = host(x)
    expected = (a - a.mean((0, 2), keepdims=True)) / np.sqrt(a.var((0, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(host(bn(x)), expected, rtol=1e-4, atol=1e-5)


def test_batch_norm_gradcheck_in_train_mode_and_double_moves_the_buffers():
    bn = nn.BatchNorm2d(2).double()
    assert bn.running_mean.dtype == tinydl.float64 and bn.num_batches_tracked.dtype == tinydl.int64
    with tinydl.no_grad():
        bn.weight.array[...] = [1.5, -0.7]
        bn.bias.array[...] = [0.2, 0.1]
    assert tinydl.gradcheck(bn, [numpy_input((3, 2, 2, 2)).requires_grad_()])
    assert tinydl.gradcheck(nn.BatchNorm1d(3).double(), [numpy_input((4, 3)).requires_grad_()])


def test_batch_norm_layer_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input, got 2D input of shape \(4, 3\)"):
        nn.BatchNorm2d(3)(tinydl.randn(4, 3))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input"):
        nn.BatchNorm1d(3)(tinydl.randn(4, 3, 2, 2))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 3 channels in dimension 1"):
        nn.BatchNorm1d(3)(tinydl.randn(4, 2))
    with pytest.raises(ValueError, match=r"expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(tinydl.randn(1, 3))
    nn.BatchNorm1d(3).eval()(tinydl.randn(1, 3))      # a batch of one is fine in eval


# ------------------------------------------------------------ layer norm, embedding, activations
def test_layer_norm_layer():
    ln = nn.LayerNorm((3, 4))
    assert ln.weight.shape == (3, 4) and list(ln.buffers()) == []
    assert repr(ln) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    x = numpy_input((2, 3, 4)).float()
    a = host(x)
    expected = (a - a.mean((1, 2), keepdims=True)) / np.sqrt(a.var((1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(host(ln(x)), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(host(ln.eval()(x)), expected, rtol=1e-4, atol=1e-5)   # no train/eval difference
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    assert nn.LayerNorm(4, bias=False).bias is None
    layer = nn.LayerNorm(4).double()
    with tinydl.no_grad():
        layer.weight.array[...] = [1.0, -2.0, 0.5, 3.0]
    assert tinydl.gradcheck(layer, [numpy_input((3, 4)).requires_grad_()])


def test_embedding_layer():
    tinydl.manual_seed(0)
    emb = nn.Embedding(1000, 20, padding_idx=2)
    table = host(emb.weight)
    assert abs(table.mean()) < 0.02 and table.std() == pytest.approx(1.0, rel=0.05)   # N(0, 1)
    assert (table[2] == 0).all()
    assert repr(emb) == "Embedding(1000, 20, padding_idx=2)"
    ids = tinydl.tensor([[2, 5], [5, 7]])
    out = emb(ids)
    assert out.shape == (2, 2, 20)
    out.sum().backward()
    grad = host(emb.weight.grad)
    assert (grad[5] == 2).all() and (grad[7] == 1).all() and (grad[2] == 0).all() and grad.sum() == 3 * 20

    pretrained = tinydl.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(pretrained)
    np.testing.assert_array_equal(host(frozen(tinydl.tensor([1, 0]))), [[3, 4], [1, 2]])
    assert not frozen.weight.requires_grad
    assert nn.Embedding.from_pretrained(pretrained, freeze=False).weight.requires_grad
    assert nn.Embedding(4, 2, padding_idx=-1).padding_idx == 3


def test_activation_layers():
    x = numpy_input((3, 4)).float()
    for layer, fn in [(nn.GELU(), F.gelu), (nn.SiLU(), F.silu), (nn.ELU(), F.elu)]:
        np.testing.assert_array_equal(host(layer(x)), host(fn(x)))
    np.testing.assert_array_equal(host(nn.GELU("tanh")(x)), host(F.gelu(x, approximate="tanh")))
    np.testing.assert_array_equal(host(nn.Softplus(2.0, 5.0)(x)), host(F.softplus(x, 2.0, 5.0)))
    np.testing.assert_array_equal(host(nn.ELU(0.5)(x)), host(F.elu(x, 0.5)))
    assert repr(nn.GELU()) == "GELU(approximate='none')" and repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    with pytest.raises(NotImplementedError, match=r"ELU: inplace=True is not supported by tinydl"):
        nn.ELU(inplace=True)
    with pytest.raises(ValueError, match=r"GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")


def test_a_small_cnn_learns_on_any_device(device):
    """Conv -> BatchNorm -> ReLU -> MaxPool -> Conv -> GELU -> global pool -> Linear fits a toy task."""
    tinydl.manual_seed(0)
    rng = np.random.default_rng(0)
    images = 0.5 * rng.standard_normal((64, 1, 8, 8)).astype(np.float32)
    labels = np.arange(64) % 2                          # class 1: a bright 2x2 blob somewhere
    for image, (row, column) in zip(images[1::2], rng.integers(0, 7, (32, 2))):
        image[0, row:row + 2, column:column + 2] += 2.0
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3, padding=1), nn.GELU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(8, 2)).to(device)
    optimizer = tinydl.optim.Adam(model.parameters(), lr=0.03)
    x, y = tinydl.tensor(images, device=device), tinydl.tensor(labels, device=device)
    losses = []
    for _ in range(40):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert {p.grad.dtype for p in model.parameters()} == {tinydl.float32}


def test_every_layer_follows_set_default_dtype():
    """Layers read dtype=None as the default float dtype, which set_default_dtype changes (conftest restores it)."""
    tinydl.set_default_dtype(tinydl.float64)
    layers = [nn.Linear(2, 3), nn.Conv2d(1, 2, 3), nn.Conv1d(1, 2, 3), nn.BatchNorm2d(2), nn.LayerNorm(4),
              nn.Embedding(5, 3)]
    for layer in layers:
        for name, tensor in layer.state_dict().items():
            if tensor.dtype.kind == "f":
                assert tensor.dtype == tinydl.float64, f"{type(layer).__name__}.{name}: {tensor.dtype}"
    assert nn.Conv2d(1, 2, 3, dtype=tinydl.float32).weight.dtype == tinydl.float32
