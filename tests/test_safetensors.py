"""tinydl.save/load with a .safetensors name: PyTorch's interchange format, both ways."""
from __future__ import annotations

import json
import struct
import sys

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
from examples.moons_mlp import DeepMLP
from tinydl.safetensors_io import SafetensorsError

safetensors_numpy = pytest.importorskip("safetensors.numpy", reason="safetensors: the extra is not installed")


def trained_deep_mlp(steps: int = 5) -> DeepMLP:
    """The tutorial's DeepMLP after a few Adam steps on moons: weights no initialiser would give."""
    train, _ = tinydl.datasets.moons(n_samples=200, seed=0)
    x, y = train.tensors
    model = DeepMLP([64, 128, 64])
    optimizer = tinydl.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = nn.CrossEntropyLoss()(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def test_round_trip_keeps_names_values_and_dtypes(tmp_path):
    state = {"weight": tinydl.randn(3, 4), "steps": tinydl.tensor([7], dtype=tinydl.int64),
             "mask": tinydl.tensor([True, False]), "double": tinydl.randn(2, dtype=tinydl.float64)}
    tinydl.save(state, tmp_path / "model.safetensors")
    loaded = tinydl.load(tmp_path / "model.safetensors")
    assert set(loaded) == set(state)
    for name, value in state.items():
        assert loaded[name].dtype == value.dtype and loaded[name].device == "cpu"
        np.testing.assert_array_equal(loaded[name].numpy(), value.numpy())
    loaded["weight"].add_(1.0)                  # the loaded arrays are the caller's to change


def test_the_file_is_plain_safetensors(tmp_path):
    path = tmp_path / "model.safetensors"
    model = DeepMLP([8])
    tinydl.save(model.state_dict(), path)
    raw = path.read_bytes()
    header_length = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + header_length])
    assert header["__metadata__"] == {"format": "pt", "written_by": "tinydl"}
    assert header["network.0.weight"]["dtype"] == "F32" and header["network.0.weight"]["shape"] == [8, 2]
    arrays = safetensors_numpy.load_file(str(path))        # any safetensors reader
    np.testing.assert_array_equal(arrays["network.2.bias"], model.network[2].bias.detach().numpy())


def test_load_state_dict_restores_a_model(tmp_path):
    model = trained_deep_mlp(2)
    tinydl.save(model.state_dict(), tmp_path / "m.safetensors")
    fresh = DeepMLP([64, 128, 64])
    fresh.load_state_dict(tinydl.load(tmp_path / "m.safetensors"))
    x = tinydl.randn(5, 2)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


@pytest.mark.parametrize("state, message", [
    ({"optimizer": {"state": {}}}, r"only tensors.*\.npz"),
    ([tinydl.zeros(2)], r"dict of tensors.*\.npz"),
    ({3: tinydl.zeros(2)}, "names must be str"),
])
def test_what_does_not_fit_the_format_is_refused(tmp_path, state, message):
    with pytest.raises(SafetensorsError, match=message):
        tinydl.save(state, tmp_path / "x.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(SafetensorsError, match="broken.safetensors.*not a valid safetensors file"):
        tinydl.load(path)


def test_npz_names_keep_the_npz_format(tmp_path):
    tinydl.save({"w": tinydl.ones(2)}, tmp_path / "model.npz")
    assert (tmp_path / "model.npz").read_bytes()[:2] == b"PK"          # a zip: tinydl's checkpoint


def test_missing_library_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r'pip install "tinydl-edu\[safetensors\]"'):
        tinydl.save({"w": tinydl.ones(2)}, tmp_path / "model.safetensors")


# ------------------------------------------------------------------ to PyTorch and back
def torch_deep_mlp(torch):
    """The tutorial's DeepMLP, in PyTorch, with the same attribute names as examples/moons_mlp.py's."""
    class TorchDeepMLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.network = torch.nn.Sequential(
                torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 128), torch.nn.ReLU(),
                torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))

        def forward(self, x):
            return self.network(x)

    return TorchDeepMLP()


def test_a_tinydl_trained_model_predicts_the_same_in_pytorch(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    model = trained_deep_mlp()
    tinydl.save(model.state_dict(), tmp_path / "model.safetensors")

    torch_model = torch_deep_mlp(torch)
    torch_model.load_state_dict(safetensors_torch.load_file(str(tmp_path / "model.safetensors")))
    _, test = tinydl.datasets.moons(n_samples=200, seed=1)
    x = test.tensors[0]
    with torch.no_grad():
        torch_logits = torch_model(torch.from_numpy(x.numpy())).numpy()
    with tinydl.no_grad():
        tinydl_logits = model(x).numpy()
    np.testing.assert_allclose(torch_logits, tinydl_logits, rtol=1e-5, atol=1e-6)
    assert (torch_logits.argmax(1) == tinydl_logits.argmax(1)).all()


def test_a_pytorch_trained_model_predicts_the_same_in_tinydl(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    torch_model = torch_deep_mlp(torch)
    train, test = tinydl.datasets.moons(n_samples=200, seed=0)
    x, y = (torch.from_numpy(t.numpy()) for t in train.tensors)
    optimizer = torch.optim.Adam(torch_model.parameters(), lr=1e-2)
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(torch_model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    safetensors_torch.save_file(torch_model.state_dict(), str(tmp_path / "torch.safetensors"))

    model = DeepMLP([64, 128, 64])
    model.load_state_dict(tinydl.load(tmp_path / "torch.safetensors"))
    x_test = test.tensors[0]
    with torch.no_grad():
        torch_logits = torch_model(torch.from_numpy(x_test.numpy())).numpy()
    with tinydl.no_grad():
        np.testing.assert_allclose(model(x_test).numpy(), torch_logits, rtol=1e-5, atol=1e-6)
