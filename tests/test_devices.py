"""Device objects, default device and dtype, several GPUs, and index checks on cuda (PyTorch's semantics)."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import tinydl
from tinydl import backend, nn

from conftest import CUDA_KIND


# ------------------------------------------------------------- tinydl.device
def test_device_objects_have_type_index_and_pytorchs_repr():
    cpu, cuda0, cuda = tinydl.device("cpu"), tinydl.device("cuda:0"), tinydl.device("cuda")
    assert (cpu.type, cpu.index) == ("cpu", None)
    assert (cuda0.type, cuda0.index) == ("cuda", 0)
    assert (cuda.type, cuda.index) == ("cuda", None)
    assert repr(cpu) == "device(type='cpu')" and repr(cuda0) == "device(type='cuda', index=0)"
    assert str(cuda0) == "cuda:0" and f"{cuda0}" == "cuda:0" and f"{cpu}" == "cpu"
    assert repr(tinydl.device("cuda", 1)) == "device(type='cuda', index=1)" and tinydl.device(2) == "cuda:2"


def test_device_objects_compare_with_each_other_and_with_strings():
    assert tinydl.device("cuda:0") == tinydl.device("cuda", 0) == "cuda:0"
    assert tinydl.device("cpu") == "cpu" and tinydl.device(" CPU ") == "cpu"
    assert tinydl.device("cuda") != tinydl.device("cuda:0")  # as in PyTorch: "cuda" is the current GPU
    assert tinydl.device("cpu") != "cuda:0"
    assert len({tinydl.device("cuda:0"), tinydl.device("cuda", 0), "cuda:0"}) == 1
    assert tinydl.device(tinydl.device("cuda:1")) == "cuda:1"
    assert pickle.loads(pickle.dumps(tinydl.device("cuda:1"))) == tinydl.device("cuda:1")


@pytest.mark.parametrize("args, message", [(("tpu",), "unknown device 'tpu'"), (("cuda:x",), "N an integer"),
                                           (("cuda:0", 1), "must not include an index"),
                                           (("cuda", -1), "non-negative integer"),
                                           (("cpu", 0), "cpu device has no index")])
def test_bad_device_names_are_refused(args, message):
    with pytest.raises(tinydl.DeviceError, match=message):
        tinydl.device(*args)


def test_making_a_device_never_needs_a_gpu(no_cuda):
    assert tinydl.device("cuda:3").index == 3
    with pytest.raises(tinydl.DeviceError, match="CUDA is unavailable"):
        tinydl.zeros(1, device=tinydl.device("cuda"))


def test_tensor_device_is_a_device_object():
    x = tinydl.zeros(2)
    assert isinstance(x.device, tinydl.device) and repr(x.device) == "device(type='cpu')"
    assert x.device == "cpu" and x.device == tinydl.device("cpu") and f"{x.device}" == "cpu"


def test_device_objects_are_accepted_wherever_strings_are(device, tmp_path):
    target = tinydl.device(device)   # "cpu" or "cuda" (= the current GPU, as in PyTorch)
    x = tinydl.ones(2, device=target)
    assert x.device.type == target.type and x.to(target).device == x.device
    assert x.device == ("cpu" if device == "cpu" else "cuda:0") != tinydl.device("cuda")
    assert tinydl.tensor([1.0], device=target).device == x.device
    model = nn.Linear(2, 1, device=target).to(target)
    assert model.weight.device == x.device
    tinydl.save(model.state_dict(), tmp_path / "m.npz")
    assert tinydl.load(tmp_path / "m.npz", map_location=tinydl.device("cpu"))["weight"].device == "cpu"


def test_pytorch_quickstart_device_selection_runs():
    device = ("cuda" if tinydl.cuda.is_available()
              else "mps" if tinydl.backends.mps.is_available() else "cpu")
    assert device == ("cuda" if CUDA_KIND in ("gpu", "standin") else "cpu")
    assert tinydl.backends.mps.is_available() is False
    model = nn.Linear(2, 2).to(device)
    assert model(tinydl.ones(1, 2, device=device)).device.type == device


# --------------------------------------------------- default device and dtype
@pytest.fixture
def restore_defaults():
    yield
    tinydl.set_default_device(None)
    tinydl.set_default_dtype(tinydl.float32)


def test_set_default_device_is_used_by_factories_and_layers(device, restore_defaults, monkeypatch):
    monkeypatch.delenv("TINYDL_DEVICE", raising=False)
    tinydl.set_default_device(device)
    assert tinydl.get_default_device() == device
    made = [tinydl.zeros(2), tinydl.ones(2), tinydl.randn(2), tinydl.rand(2), tinydl.arange(3),
            tinydl.tensor([1.0]), tinydl.full((2,), 1.5), tinydl.eye(2), nn.Linear(2, 2).weight]
    assert all(t.device.type == device for t in made)
    host_data = np.ones(2, dtype=np.float32)
    assert tinydl.tensor(host_data).device.type == device and tinydl.as_tensor(host_data).device.type == device
    on_cpu = tinydl.ones(2, device="cpu")
    assert tinydl.tensor(on_cpu).device == "cpu" and tinydl.as_tensor(on_cpu) is on_cpu  # tensors stay put
    tinydl.set_default_device(None)
    assert tinydl.zeros(1).device == "cpu"


def test_set_default_dtype_float64_is_honoured_everywhere(restore_defaults):
    assert tinydl.get_default_dtype() == tinydl.float32
    tinydl.set_default_dtype(tinydl.float64)
    assert tinydl.get_default_dtype() == tinydl.float64
    made = [tinydl.zeros(2), tinydl.randn(2), tinydl.rand(2), tinydl.tensor([1.5]),
            tinydl.arange(0.0, 1.0, 0.5), tinydl.full((1,), 2.5), tinydl.linspace(0, 1, 3),
            nn.Linear(2, 2).weight, tinydl.tensor([1, 2]) / 2, tinydl.tensor([1, 2]) * 0.5]
    assert [t.dtype for t in made] == [tinydl.float64] * len(made)
    assert tinydl.tensor([1, 2]).dtype == tinydl.int64          # integers are not affected
    assert tinydl.FloatTensor([1.0]).dtype == tinydl.float32     # nor the legacy float32 constructor
    assert tinydl.float32 == tinydl.ones(1, dtype=tinydl.float32).dtype


@pytest.mark.parametrize("dtype", [tinydl.int64, tinydl.float16, "bool"])
def test_set_default_dtype_accepts_only_float32_and_float64(dtype, restore_defaults):
    with pytest.raises(TypeError, match="only floating-point types float32 and float64"):
        tinydl.set_default_dtype(dtype)
    assert tinydl.get_default_dtype() == tinydl.float32


# ------------------------------------------------------------- several GPUs
needs_two_gpus = pytest.mark.skipif(tinydl.cuda.device_count() < 2,
                                    reason="needs two GPUs (or the stand-in's two)")


@needs_two_gpus
def test_factories_allocate_on_the_gpu_asked_for():
    for make in (lambda d: tinydl.zeros(2, device=d), lambda d: tinydl.randn(2, device=d),
                 lambda d: tinydl.tensor([1.0], device=d), lambda d: tinydl.arange(3, device=d),
                 lambda d: tinydl.full((2,), 3.0, device=d), lambda d: tinydl.randint(0, 3, (2,), device=d),
                 lambda d: nn.Linear(2, 2, device=d).weight, lambda d: tinydl.ones(2).to(d),
                 lambda d: tinydl.zeros_like(tinydl.ones(2), device=d)):
        for name in ("cuda:1", tinydl.device("cuda", 1)):
            made = make(name)
            assert made.device == "cuda:1" and made.array.device.id == 1  # the array itself is there


@needs_two_gpus
def test_a_forward_pass_stays_on_its_gpu_and_set_device_moves_the_rest(restore_current_gpu):
    x = tinydl.randn(3, 2, device="cuda:1", requires_grad=True)
    y = (x * 2).relu().sum()
    assert y.device == "cuda:1" and y.array.device.id == 1
    tinydl.cuda.set_device(1)
    assert tinydl.cuda.current_device() == 1 and tinydl.zeros(1, device="cuda").device == "cuda:1"
    y.backward()
    assert x.grad.device == "cuda:1"


@pytest.fixture
def restore_current_gpu():
    yield
    if tinydl.cuda.is_available():
        tinydl.cuda.set_device(0)


def test_a_gpu_that_does_not_exist_is_a_clear_error(cuda):
    count = tinydl.cuda.device_count()
    with pytest.raises(tinydl.DeviceError, match=f"'cuda:{count}' requested but only {count} GPU"):
        tinydl.zeros(1, device=f"cuda:{count}")


# ------------------------------------------------------- index checks on cuda
@pytest.mark.parametrize("index, bad", [(5, 5), (-4, -4), ([1, 3], 3), ((slice(None), [0, 9]), 9),
                                        ((0, -5), -5)])
def test_out_of_range_indices_raise_the_same_error_on_every_device(device, index, bad):
    """CuPy wraps integer-array indices around silently; tinydl checks them first."""
    x = tinydl.arange(6, device=device).reshape(2, 3) if isinstance(index, tuple) else \
        tinydl.arange(3, device=device)
    axis, size = (1, 3) if isinstance(index, tuple) else (0, 3)
    expected = (f"getitem: index {index!r} is out of range for a tensor of shape {tuple(x.shape)} "
                f"(index {bad} is out of bounds for axis {axis} with size {size})")
    with pytest.raises(IndexError) as caught:
        x[index]
    assert str(caught.value) == expected
    with pytest.raises(IndexError) as caught:
        x[index] = 0
    assert str(caught.value) == expected.replace("getitem", "setitem")
    with pytest.raises(IndexError, match="out of bounds"):
        x[tinydl.tensor([0, 7])]                     # an index tensor, too


def test_in_range_indices_still_work_on_every_device(device):
    x = tinydl.arange(6, device=device).reshape(2, 3)
    assert x[1, [0, -1]].tolist() == [3, 5] and x[[-2]].tolist() == [[0, 1, 2]]
    assert x[:, tinydl.tensor([2, 2])].tolist() == [[2, 2], [5, 5]]
    assert x[x > 3].tolist() == [4, 5]


def test_cuda_install_hints_name_this_projects_extra_or_cupy(no_cuda):
    reason = tinydl.cuda.unavailable_reason()
    assert 'pip install -e ".[cuda12]"' in reason and "pip install cupy-cuda12x" in reason
    assert "tinydl[" not in reason and "tinydl-edu[" not in reason
    assert backend.cuda_device_count() == 0 and np.asarray(tinydl.ones(1)).tolist() == [1.0]


@needs_two_gpus
def test_optimizers_init_loading_and_loaders_work_on_the_second_gpu(tmp_path):
    """Everything but backward follows the tensors' GPU (backward: tinydl.cuda.set_device, see above)."""
    model = nn.Sequential(nn.Linear(3, 4, device="cuda:1"), nn.Dropout(0.5), nn.Linear(4, 2)).to("cuda:1")
    nn.init.normal_(model[0].weight, 0.0, 0.1)
    out = model(tinydl.randn(5, 3, device="cuda:1"))
    assert out.device == "cuda:1"
    for p in model.parameters():
        p.grad = tinydl.ones_like(p)
    for optimizer in (tinydl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                      tinydl.optim.Adam(model.parameters())):
        optimizer.step()
        tinydl.save(optimizer.state_dict(), tmp_path / "o.npz")
        optimizer.load_state_dict(tinydl.load(tmp_path / "o.npz", map_location="cpu"))
        optimizer.step()
    model.zero_grad(set_to_none=False)
    tinydl.save(model.state_dict(), tmp_path / "m.npz")
    model.load_state_dict(tinydl.load(tmp_path / "m.npz", map_location="cpu"))
    with tinydl.no_grad():
        model[0].bias[0] = 5.0
        model[0].bias.fill_(1.0)
    data = tinydl.utils.data.TensorDataset(tinydl.randn(6, 3, device="cuda:1"),
                                           tinydl.arange(6, device="cuda:1"))
    batches = list(tinydl.utils.data.DataLoader(data, batch_size=4, shuffle=True))
    assert all(t.array.device.id == 1 for batch in batches for t in batch)
    assert all(t.array.device.id == 1 for t in [*model.parameters(), *(p.grad for p in model.parameters())])
    copies = [tinydl.tensor(out), tinydl.tensor(out, dtype=tinydl.float64), out.double(), out.to("cuda:0").cpu()]
    assert [t.array.device.id if t.device != "cpu" else "cpu" for t in copies] == [1, 1, 1, "cpu"]


def test_manual_seed_seeds_every_gpu(cuda):
    for index in range(tinydl.cuda.device_count()):
        tinydl.manual_seed(7)
        first = tinydl.randn(3, device=f"cuda:{index}").tolist()
        tinydl.manual_seed(7)
        assert tinydl.randn(3, device=f"cuda:{index}").tolist() == first
