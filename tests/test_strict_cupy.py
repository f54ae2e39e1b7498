"""The CuPy stand-in is strict where CuPy is, and tinydl's cuda paths never lean on NumPy.

The first half checks the stand-in itself (a lenient double would prove nothing);
the second runs tinydl on "cuda" and would fail if tinydl converted device data to
NumPy, mixed it with host arrays or copied it to the host behind the user's back.
They need the stand-in (not a real GPU): they skip when a GPU ran the suite.
"""
from __future__ import annotations

import collections

import numpy as np
import pytest

import strict_cupy
import tinydl
from tinydl import nn, optim

from conftest import CUDA_KIND

pytestmark = pytest.mark.skipif(CUDA_KIND != "standin", reason="checks the CuPy stand-in; a real GPU ran")
cupy = strict_cupy


# ----------------------------------------------------------- the stand-in itself
def test_implicit_conversion_to_numpy_is_refused():
    x = cupy.asarray([1.0, 2.0])
    for convert in (np.asarray, np.array, lambda a: np.concatenate([a, a]), lambda a: np.stack([a])):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
            convert(x)
    assert isinstance(x.get(), np.ndarray) and cupy.asnumpy(x).tolist() == [1.0, 2.0]
    assert type(np.exp(x)) is cupy.ndarray  # NumPy ufuncs dispatch to the device, as CuPy's __array_ufunc__


def test_mixing_with_a_numpy_array_is_refused_both_ways():
    x = cupy.asarray([1.0, 2.0])
    host = np.ones(2)
    for mix in (lambda: x + host, lambda: host + x, lambda: x * host, lambda: cupy.maximum(x, host),
                lambda: x.__setitem__(0, host[:1]), lambda: x + [1.0, 2.0], lambda: cupy.add(x, [1, 2])):
        with pytest.raises(TypeError, match="Unsupported type"):
            mix()
    # scalars mix, as in CuPy: Python numbers and NumPy scalars alike
    assert (x * 2.0).tolist() == [2.0, 4.0] and (np.float32(2) * x).tolist() == [2.0, 4.0]


def test_python_number_conversion_follows_numpy_on_the_host_copy():
    with pytest.raises(TypeError):
        float(cupy.asarray([1.0, 2.0]))
    assert float(cupy.asarray(2.5)) == 2.5 and int(cupy.asarray(3)) == 3
    assert cupy.asarray([4.0]).item() == 4.0
    try:                                    # 1 element, ndim 1: whatever NumPy says (CuPy asks it)
        expected = float(np.array([4.0]))
    except TypeError:
        with pytest.raises(TypeError):
            float(cupy.asarray([4.0]))
    else:
        assert float(cupy.asarray([4.0])) == expected


def test_reductions_return_0d_device_arrays_and_views_keep_their_base():
    x = cupy.arange(6).reshape(2, 3)
    total = x.sum()
    assert isinstance(total, cupy.ndarray) and total.shape == ()
    row = x[0]
    assert row.base is x.base and x.base is not None  # reshape's view; row is a view of the same memory
    assert x.astype(x.dtype, copy=False) is x


def test_integer_array_indices_wrap_around_as_cupy_documents():
    x = cupy.arange(3)
    assert x[[1, 3]].tolist() == [1, 0]            # numpy would raise
    with pytest.raises(IndexError):
        x[5]                                       # a plain int is checked


def test_arrays_live_on_the_current_device():
    assert cupy.zeros(1).device.id == 0
    with cupy.cuda.Device(1) as device:
        on_one = cupy.zeros(2)
        assert device.id == 1 and on_one.device.id == 1
    with pytest.raises(ValueError, match="Peer access is unavailable"):
        on_one + 1                                 # device 0 is current again
    assert cupy.asarray(on_one).device.id == 0     # asarray copies to the current device
    assert cupy.cuda.runtime.getDeviceCount() == 2 and cupy.cuda.is_available() and cupy.is_available()


def test_random_and_scatter_add_have_cupys_signatures():
    cupy.random.seed(3)
    first = cupy.random.uniform(0.0, 1.0, size=(2,), dtype=np.float32)
    cupy.random.seed(3)
    again = cupy.random.uniform(0.0, 1.0, (2,), np.float32)
    assert first.dtype == np.float32 and again.tolist() == first.tolist()
    target = cupy.zeros(3)
    import cupyx

    cupyx.scatter_add(target, (cupy.asarray([0, 0, 2]),), cupy.asarray([1.0, 2.0, 5.0]))
    assert target.tolist() == [3.0, 0.0, 5.0]
    assert cupy.get_array_module(target) is cupy and cupy.get_array_module(np.ones(1)) is np


# ------------------------------------------------ tinydl on "cuda" never leans on NumPy
@pytest.fixture
def host_reads(monkeypatch):
    """Counts every device -> host copy (ndarray.get), by the tinydl line that asked for it."""
    reads: collections.Counter = collections.Counter()
    original = strict_cupy.ndarray.get

    def counting_get(self, *args, **kwargs):
        reads["get"] += 1
        return original(self, *args, **kwargs)
    monkeypatch.setattr(strict_cupy.ndarray, "get", counting_get)
    return reads


def test_a_training_step_on_cuda_copies_nothing_to_the_host(host_reads):
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Dropout(0.2), nn.Linear(8, 2)).to("cuda")
    x, target = tinydl.randn(16, 3, device="cuda"), tinydl.randn(16, 2, device="cuda")
    for optimizer in (optim.SGD(model.parameters(), lr=0.1, momentum=0.9), optim.Adam(model.parameters()),
                      optim.AdamW(model.parameters())):
        for _ in range(2):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), target)
            loss.backward()
            optimizer.step()
    assert host_reads["get"] == 0
    assert all(type(p.array) is strict_cupy.ndarray and type(p.grad.array) is strict_cupy.ndarray
               for p in model.parameters())
    assert all(type(v.array if isinstance(v, tinydl.Tensor) else v) is strict_cupy.ndarray
               for state in optimizer.state.values() for v in state.values() if hasattr(v, "shape"))
    loss.item()
    assert host_reads["get"] == 1  # the number the user asked for


def test_every_op_result_on_cuda_is_a_device_array():
    x = tinydl.randn(3, 4, device="cuda", requires_grad=True)
    results = [x + 1, 2 * x, x / 3, x ** 2, x.exp(), x.abs().log(), x.relu(), x.sigmoid(), x.tanh(),
               x.sum(), x.mean(1), x.max(), x.max(1)[0], x.argmax(1), x.var(), x.logsumexp(1),
               x.softmax(1), x.log_softmax(1), x.clamp(-1, 1), tinydl.where(x > 0, x, 0.0), x[0],
               x[:, [0, 0]],
               x[x > 0], x.reshape(4, 3), x.t(), tinydl.cat([x, x]), tinydl.stack([x, x]), x @ x.t(),
               (x > 0).float(), x.double(), x.detach(), x.data, x.clone() if hasattr(x, "clone") else x]
    for result in results:
        assert type(result.array) is strict_cupy.ndarray, result
        assert result.device == "cuda:0"
    tinydl.stack(results[:3]).sum().backward()
    assert type(x.grad.array) is strict_cupy.ndarray


def test_host_data_meets_a_cuda_tensor_only_through_an_explicit_move():
    x = tinydl.ones(3, device="cuda")
    with pytest.raises(tinydl.DeviceError, match="expected all tensors on one device, got cuda:0 and cpu"):
        x + tinydl.ones(3)
    with pytest.raises(TypeError, match="numpy\\(\\): this tensor is on cuda:0"):
        x.numpy()
    x[0] = np.float32(5.0)                       # a numpy scalar is a number: allowed
    x[1:] = np.array([6.0, 7.0])                 # a numpy array is moved to the device first
    assert x.tolist() == [5.0, 6.0, 7.0] and type(x.array) is strict_cupy.ndarray


def test_an_op_that_assumes_numpy_fails_on_cuda_as_it_would_on_a_gpu():
    """The stand-in's point: a forward written with numpy instead of the device module is caught."""
    class HostExp(tinydl.Function):  # tinydl's array-level Function: forward sees the raw array
        @staticmethod
        def forward(ctx, x):
            return np.exp(np.asarray(x))   # wrong: numpy on device data

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out

    assert HostExp.apply(tinydl.ones(2)).shape == (2,)     # numpy data: unnoticed on cpu
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        HostExp.apply(tinydl.ones(2, device="cuda"))


def test_numpy_of_a_cuda_tensor_is_refused_as_in_pytorch():
    class HostExp(tinydl.autograd.Function):  # PyTorch's protocol: forward sees the Tensor
        @staticmethod
        def forward(ctx, x):
            return np.exp(np.asarray(x))

    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu"):
        HostExp.apply(tinydl.ones(2, device="cuda"))
    assert np.asarray(tinydl.ones(2, device="cuda").cpu()).tolist() == [1.0, 1.0]


def test_device_counts_and_the_current_gpu_come_from_cupy():
    assert tinydl.cuda.is_available() and tinydl.cuda.device_count() == strict_cupy.DEVICE_COUNT == 2
    assert tinydl.cuda.current_device() == 0 and tinydl.device("cuda") != "cuda:0"
    assert tinydl.zeros(1, device="cuda").device == "cuda:0"
