"""Tensor construction, dtype rules (PyTorch's promotion), attributes, conversions, repr."""
from __future__ import annotations

import numpy as np
import pytest

import tinydl


@pytest.mark.parametrize("data, dtype", [
    (1.5, tinydl.float32), ([1.0, 2.0], tinydl.float32), ([1, 2.5], tinydl.float32),
    (3, tinydl.int64), ([[1, 2]], tinydl.int64), (True, tinydl.bool), ([True, False], tinydl.bool),
    (np.array([1.0]), tinydl.float64), (np.array([1], dtype=np.int32), tinydl.int32),
    (np.float64(2.0), tinydl.float64), (np.zeros(2, dtype=np.float32), tinydl.float32),
])
def test_tensor_dtype_inference(data, dtype):
    assert tinydl.tensor(data).dtype == dtype


def test_tensor_copies_and_from_numpy_shares():
    array = np.ones(3)
    copied, shared = tinydl.tensor(array), tinydl.from_numpy(array)
    array[0] = 5
    assert copied.tolist() == [1, 1, 1] and shared.tolist() == [5, 1, 1]


@pytest.mark.parametrize("make, shape, dtype", [
    (lambda: tinydl.zeros(2, 3), (2, 3), tinydl.float32),
    (lambda: tinydl.ones((2, 3)), (2, 3), tinydl.float32),
    (lambda: tinydl.full((2,), 7), (2,), tinydl.int64),
    (lambda: tinydl.full((2,), 7.0), (2,), tinydl.float32),
    (lambda: tinydl.zeros_like(tinydl.ones(4, dtype=tinydl.float64)), (4,), tinydl.float64),
    (lambda: tinydl.ones_like(tinydl.ones(4)), (4,), tinydl.float32),
    (lambda: tinydl.arange(5), (5,), tinydl.int64),
    (lambda: tinydl.arange(0, 1, 0.25), (4,), tinydl.float32),
    (lambda: tinydl.linspace(0, 1, 5), (5,), tinydl.float32),
    (lambda: tinydl.eye(3), (3, 3), tinydl.float32),
    (lambda: tinydl.rand(2, 2), (2, 2), tinydl.float32),
    (lambda: tinydl.randn(3), (3,), tinydl.float32),
    (lambda: tinydl.randint(0, 10, (4,)), (4,), tinydl.int64),
])
def test_factories(make, shape, dtype):
    out = make()
    assert out.shape == shape and out.dtype == dtype and out.device == "cpu"


def test_factory_values():
    assert tinydl.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tinydl.linspace(0, 1, 3).tolist() == [0.0, 0.5, 1.0]
    assert tinydl.eye(2).tolist() == [[1, 0], [0, 1]]
    r = tinydl.rand(1000)
    assert 0 <= r.min().item() and r.max().item() < 1
    n = tinydl.randn(10000)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05
    i = tinydl.randint(3, 6, (1000,))
    assert set(i.tolist()) == {3, 4, 5}


def test_manual_seed_makes_random_reproducible():
    tinydl.manual_seed(42)
    a = tinydl.randn(5).tolist()
    tinydl.manual_seed(42)
    assert tinydl.randn(5).tolist() == a
    assert tinydl.randn(5).tolist() != a


def test_legacy_constructors():
    x = tinydl.FloatTensor(np.array([[1.0, 2.0]], dtype=np.float64))
    y = tinydl.LongTensor(np.array([0, 1]))
    assert x.dtype == tinydl.float32 and y.dtype == tinydl.int64
    assert tinydl.FloatTensor(2, 3).shape == (2, 3)


# ------------------------------------------------------------- promotion
@pytest.mark.parametrize("make, dtype", [
    (lambda: tinydl.ones(2) * 2.5, tinydl.float32),                       # scalar never promotes
    (lambda: 2.5 * tinydl.ones(2), tinydl.float32),
    (lambda: tinydl.ones(2) + 1, tinydl.float32),
    (lambda: tinydl.ones(2) + tinydl.ones(2, dtype=tinydl.float64), tinydl.float64),
    (lambda: tinydl.ones(2) + tinydl.tensor(1.0, dtype=tinydl.float64), tinydl.float32),  # 0-d yields
    (lambda: tinydl.tensor([1, 2]) * 0.5, tinydl.float32),                # int tensor, float scalar
    (lambda: tinydl.tensor([1, 2]) + tinydl.ones(2), tinydl.float32),     # int + float32 tensor
    (lambda: tinydl.tensor([1, 2]) + 1, tinydl.int64),
    (lambda: tinydl.tensor([1, 2], dtype=tinydl.int32) + 1, tinydl.int32),
    (lambda: tinydl.tensor([1, 2]) / 2, tinydl.float32),                  # true division
    (lambda: tinydl.tensor([True, False]) + 1, tinydl.int64),
    (lambda: tinydl.tensor([1, 2]).float(), tinydl.float32),
    (lambda: tinydl.ones(2).double(), tinydl.float64),
    (lambda: tinydl.ones(2).long(), tinydl.int64),
    (lambda: tinydl.exp(tinydl.tensor([1, 2])), tinydl.float32),
])
def test_type_promotion_follows_pytorch(make, dtype):
    assert make().dtype == dtype


def test_float32_stays_float32_through_every_op():
    x = tinydl.randn(3, 4, requires_grad=True)
    w = tinydl.randn(4, 4, requires_grad=True)
    index = tinydl.tensor([0, 2])
    outputs = [
        x + 1, x - 1.5, x * 2, x / 3, x ** 2, 2 ** x, -x, x.exp(), x.abs().log(), x.abs().sqrt(),
        x.relu(), x.sigmoid(), x.tanh(), x.clamp(-1, 1), tinydl.maximum(x, x * 0.5),
        tinydl.where(x > 0, x, 0.0), x.sum(), x.mean(0), x.max(), x.var(1), x.std(), x.logsumexp(1),
        x.softmax(1), x.log_softmax(1), x.reshape(12), x.T, x.permute(1, 0), x.unsqueeze(0),
        x.flatten(), x.expand(2, 3, 4), tinydl.cat([x, x]), tinydl.stack([x, x]), x[index], x[0, 1:],
        x @ w, tinydl.leaky_relu(x), tinydl.linear(x, w, w[0]),
    ]
    loss = sum((out.sum() for out in outputs), tinydl.tensor(0.0))
    loss.backward()
    for out in outputs:
        assert out.dtype == tinydl.float32, out
    assert x.grad.dtype == tinydl.float32 and w.grad.dtype == tinydl.float32


def test_mixed_dtype_gradients_come_back_in_each_inputs_dtype():
    a = tinydl.ones(2, requires_grad=True)
    b = tinydl.ones(2, dtype=tinydl.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == tinydl.float32 and b.grad.dtype == tinydl.float64


def test_requires_grad_only_for_floats():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got dtype int64"):
        tinydl.tensor([1, 2], requires_grad=True)
    assert tinydl.tensor([1.0]).requires_grad_().requires_grad


# ------------------------------------------------------------- attributes
def test_attributes():
    x = tinydl.zeros(2, 3)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size() == (2, 3) and x.size(1) == 3
    assert x.numel() == 6 and x.dim() == 2 and x.device == "cpu" and x.is_leaf
    assert x.T.shape == (3, 2) and x.grad is None and x.grad_fn is None


def test_item_numpy_tolist():
    assert tinydl.tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match=r"only one-element tensors.*shape \(2,\)"):
        tinydl.ones(2).item()
    assert isinstance(tinydl.ones(2).numpy(), np.ndarray)
    assert tinydl.tensor([[1, 2]]).tolist() == [[1, 2]]
    with pytest.raises(RuntimeError, match="detach"):
        tinydl.ones(2, requires_grad=True).numpy()
    assert np.asarray(tinydl.ones(2)).tolist() == [1.0, 1.0]


def test_format_of_scalar_tensors():
    accuracy = (tinydl.tensor([1, 0, 1, 1]) == 1).float().mean()
    assert f"{accuracy:.4f}" == "0.7500"
    assert float(accuracy) == 0.75


def test_repr_like_pytorch():
    assert repr(tinydl.tensor([1.0, 2.0, 3.0], requires_grad=True)) == "tensor([1., 2., 3.], requires_grad=True)"
    assert repr(tinydl.tensor(0.5)) == "tensor(0.5000)"
    assert repr(tinydl.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tinydl.tensor([1.0], dtype=tinydl.float64)) == "tensor([1.], dtype=tinydl.float64)"
    y = tinydl.ones(2, requires_grad=True) * 2
    assert repr(y) == "tensor([2., 2.], grad_fn=<MulBackward>)"


def test_numpy_array_on_the_left_defers_to_tensor():
    out = np.ones(2) * tinydl.ones(2, requires_grad=True)
    assert isinstance(out, tinydl.Tensor) and out.requires_grad


def test_to_and_moves_on_cpu():
    x = tinydl.ones(2, requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x
    y = x.to(tinydl.float64)
    assert y.dtype == tinydl.float64
    y.sum().backward()
    assert x.grad.dtype == tinydl.float32  # the cast is differentiable
    assert x.to("cpu", tinydl.float64).dtype == tinydl.float64


def test_cuda_unavailable_is_a_clear_error(no_cuda):
    with pytest.raises(tinydl.DeviceError, match="CUDA is unavailable"):
        tinydl.ones(2).cuda()
    with pytest.raises(tinydl.DeviceError, match="CUDA is unavailable"):
        tinydl.zeros(2, device="cuda")


def test_the_engine_imports_as_a_module_by_the_name_the_readme_uses():
    import pathlib

    import tinydl.engine as engine

    assert engine.Tensor is tinydl.Tensor and callable(engine.run_backward)
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "`tinydl/engine.py` is the whole" in readme
    assert callable(tinydl.tensor)  # the name tinydl.tensor stays PyTorch's factory function
