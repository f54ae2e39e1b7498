"""Checkpoints: .npz without pickle, bit-identical resume, refusal of bad files (model untouched)."""
from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim
from helpers import host


def make_model():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    return tinydl.tensor(x), tinydl.tensor((x[:, 0] * x[:, 1] > 0).astype(np.int64))


def train(model, optimizer, steps):
    x, y = data()
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def test_round_trip_of_nested_state(tmp_path):
    state = {"model": {"w": tinydl.randn(2, 3), "steps": tinydl.tensor([1, 2])},
             "epoch": 7, "lr": 1e-3, "betas": (0.9, 0.999), "name": "run", "none": None,
             "history": [0.5, 0.25], 3: "int key", "flag": True}
    path = tmp_path / "state.ckpt"
    tinydl.save(state, path)
    loaded = tinydl.load(path)
    assert loaded["epoch"] == 7 and loaded["lr"] == 1e-3 and loaded["betas"] == (0.9, 0.999)
    assert loaded["name"] == "run" and loaded["none"] is None and loaded["history"] == [0.5, 0.25]
    assert loaded[3] == "int key" and loaded["flag"] is True
    np.testing.assert_array_equal(host(loaded["model"]["w"]), host(state["model"]["w"]))
    assert loaded["model"]["w"].dtype == tinydl.float32 and loaded["model"]["steps"].dtype == tinydl.int64
    assert path.exists() and not list(tmp_path.glob("*.tmp"))  # written atomically, under the given name


def test_zero_dim_tensors_keep_their_shape(tmp_path):
    """BatchNorm's num_batches_tracked is 0-d: it must come back 0-d, not as shape (1,)."""
    state = {"count": tinydl.tensor(7), "scale": tinydl.tensor(0.5, dtype=tinydl.float64)}
    for suffix in ("npz", "safetensors"):
        path = tmp_path / f"state.{suffix}"
        tinydl.save(state, path)
        loaded = tinydl.load(path)
        assert loaded["count"].shape == () and loaded["count"].item() == 7
        assert loaded["scale"].shape == () and loaded["scale"].dtype == tinydl.float64


def test_resume_is_bit_identical(tmp_path):
    tinydl.manual_seed(0)
    model = make_model()
    initial = {k: v.array.copy() for k, v in model.state_dict().items()}
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    train(model, optimizer, 20)
    uninterrupted = {k: host(v).copy() for k, v in model.state_dict().items()}

    model = make_model()
    model.load_state_dict(initial)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    train(model, optimizer, 10)
    tinydl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "ckpt.npz")

    checkpoint = tinydl.load(tmp_path / "ckpt.npz")
    fresh_model = make_model()
    fresh_optimizer = optim.Adam(fresh_model.parameters(), lr=1e-2)
    fresh_model.load_state_dict(checkpoint["model"])
    fresh_optimizer.load_state_dict(checkpoint["optimizer"])
    train(fresh_model, fresh_optimizer, 10)
    for name, value in fresh_model.state_dict().items():
        np.testing.assert_array_equal(host(value), uninterrupted[name])


@pytest.fixture
def saved_model(tmp_path):
    path = tmp_path / "model.npz"
    tinydl.save(make_model().state_dict(), path)
    return path


def assert_refused_and_model_unchanged(path, match):
    model = make_model()
    before = {k: host(v).copy() for k, v in model.state_dict().items()}
    with pytest.raises(tinydl.CheckpointError, match=match):
        model.load_state_dict(tinydl.load(path))
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(host(v), before[k])


def test_truncated_file_is_refused(saved_model):
    content = saved_model.read_bytes()
    saved_model.write_bytes(content[: len(content) // 2])
    assert_refused_and_model_unchanged(saved_model, "is not a valid tinydl checkpoint")


def test_tampered_array_is_refused(saved_model, tmp_path):
    tampered = tmp_path / "tampered.npz"
    with zipfile.ZipFile(saved_model) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "t0.npy":
                array = np.load(io.BytesIO(content))
                array[0, 0] += 1.0
                buffer = io.BytesIO()
                np.save(buffer, array)
                content = buffer.getvalue()
            target.writestr(item, content)
    assert_refused_and_model_unchanged(tampered, "does not match its recorded checksum")


def test_pickled_file_is_refused_without_running_it(tmp_path):
    path = tmp_path / "evil.npz"

    class Boom:
        def __reduce__(self):
            return (pytest.fail, ("unpickling ran code",))

    path.write_bytes(pickle.dumps(Boom()))
    assert_refused_and_model_unchanged(path, "is not a valid tinydl checkpoint")


def test_object_array_inside_npz_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, __tinydl__=np.array("{}"), t0=np.array([{"a": 1}], dtype=object))
    assert_refused_and_model_unchanged(path, "is not a valid tinydl checkpoint")


def test_foreign_npz_is_refused(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.zeros(3))
    assert_refused_and_model_unchanged(path, "no __tinydl__ entry")


def test_wrong_shapes_are_refused_by_load_state_dict(tmp_path):
    path = tmp_path / "other.npz"
    tinydl.save(nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2)).state_dict(), path)
    model = make_model()
    before = host(model[0].weight).copy()
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight"):
        model.load_state_dict(tinydl.load(path))
    np.testing.assert_array_equal(host(model[0].weight), before)


def test_save_refuses_objects_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="cannot save object\\['f'\\] of type function"):
        tinydl.save({"f": lambda: 0}, tmp_path / "x.npz")


def test_map_location(tmp_path):
    tinydl.save({"w": tinydl.ones(2)}, tmp_path / "w.npz")
    assert tinydl.load(tmp_path / "w.npz", map_location="cpu")["w"].device == "cpu"


def test_checkpoints_saved_on_cuda_load_on_cpu_and_back(cuda, tmp_path):
    """Saved from cuda, loaded to cpu (map_location) and back; values and devices survive."""
    model = tinydl.nn.Sequential(tinydl.nn.Linear(3, 4), tinydl.nn.ReLU(), tinydl.nn.Linear(4, 2)).to(cuda)
    optimizer = tinydl.optim.Adam(model.parameters(), lr=0.01)
    model(tinydl.randn(5, 3, device=cuda)).sum().backward()
    optimizer.step()
    tinydl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "gpu.npz")
    expected = [host(p) for p in model.parameters()]

    as_saved = tinydl.load(tmp_path / "gpu.npz")
    assert all(t.device.type == "cuda" for t in as_saved["model"].values())
    on_cpu = tinydl.load(tmp_path / "gpu.npz", map_location="cpu")
    assert all(t.device == "cpu" for t in on_cpu["model"].values())
    cpu_model = tinydl.nn.Sequential(tinydl.nn.Linear(3, 4), tinydl.nn.ReLU(), tinydl.nn.Linear(4, 2))
    cpu_model.load_state_dict(on_cpu["model"])
    cpu_optimizer = tinydl.optim.Adam(cpu_model.parameters(), lr=0.01)
    cpu_optimizer.load_state_dict(on_cpu["optimizer"])
    for got, want in zip(cpu_model.parameters(), expected):
        np.testing.assert_array_equal(got.detach().numpy(), want)

    tinydl.save({"model": cpu_model.state_dict(), "optimizer": cpu_optimizer.state_dict()},
                tmp_path / "cpu.npz")
    back = tinydl.load(tmp_path / "cpu.npz", map_location=tinydl.device(cuda))
    model.load_state_dict(back["model"])
    optimizer.load_state_dict(back["optimizer"])
    assert all(p.device.type == "cuda" for p in model.parameters())
    moments = [v.array if isinstance(v, tinydl.Tensor) else v for state in optimizer.state.values()
               for v in state.values() if hasattr(v, "shape")]
    assert len(moments) == 8 and all(tinydl.backend.device_of(m).type == "cuda" for m in moments)
    for got, want in zip(model.parameters(), expected):
        np.testing.assert_array_equal(host(got), want)
