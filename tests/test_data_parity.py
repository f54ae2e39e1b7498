"""torch.utils.data parity: DataLoader options, batches as lists, default_collate's dtype rules,
Dataset subclasses, Subset, random_split, samplers; tinydl.load's options and its refusal of pickles."""
from __future__ import annotations

import collections
import pickle
import zipfile

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
from tinydl.utils.data import (BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler, Subset,
                               SubsetRandomSampler, TensorDataset, default_collate, random_split)


class Pairs(Dataset):
    """Samples of NumPy float64 features and Python int labels, as a hand-written Dataset gives."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return np.array([index, 2.0 * index]), index % 3


def test_batches_are_lists_like_pytorch_and_len_and_dataset():
    dataset = TensorDataset(tinydl.arange(10.0).reshape(10, 1), tinydl.arange(10))
    loader = DataLoader(dataset, batch_size=4, num_workers=2, pin_memory=True, persistent_workers=False)
    batches = list(loader)
    assert all(isinstance(batch, list) for batch in batches)  # default_collate of tuples: a list
    assert len(loader) == 3 and loader.dataset is dataset
    assert [y.tolist() for _, y in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    custom = list(DataLoader(Pairs(), batch_size=4))
    assert isinstance(custom[0], list) and len(custom) == 3


def test_default_collate_dtypes_follow_pytorch():
    features, labels = next(iter(DataLoader(Pairs(), batch_size=3)))
    assert features.dtype == tinydl.float64 and features.shape == (3, 2)  # float64 arrays stay float64
    assert labels.dtype == tinydl.int64 and labels.tolist() == [0, 1, 2]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == tinydl.float64  # Python floats: float64, as PyTorch's default_collate
    assert default_collate([True, False]).dtype == tinydl.bool
    assert default_collate([np.float32(1), np.float32(2)]).dtype == tinydl.float32
    assert default_collate(["a", "b"]) == ["a", "b"]
    batch = default_collate([{"x": tinydl.ones(2), "name": "a"}, {"x": tinydl.zeros(2), "name": "b"}])
    assert batch["x"].shape == (2, 2) and batch["name"] == ["a", "b"]
    Point = collections.namedtuple("Point", "x y")
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(point, Point) and point.x.tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
        default_collate([object()])


def test_collate_fn_sampler_and_batch_sampler():
    dataset = Pairs(6)
    seen = list(DataLoader(dataset, batch_size=2, collate_fn=lambda samples: len(samples)))
    assert seen == [2, 2, 2]
    loader = DataLoader(dataset, batch_size=4, sampler=[5, 4, 3, 2, 1], drop_last=True)
    assert len(loader) == 1 and next(iter(loader))[1].tolist() == [2, 1, 0, 2]
    by_batches = DataLoader(dataset, batch_sampler=[[0, 1], [5]])
    assert [y.tolist() for _, y in by_batches] == [[0, 1], [2]] and len(by_batches) == 2
    assert list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2
    single = list(DataLoader(dataset, batch_size=None))
    assert len(single) == 6 and isinstance(single[0][0], tinydl.Tensor) and single[0][1] == 0
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(dataset, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(dataset, batch_sampler=[[0]], batch_size=2)


def test_random_samplers_are_permutations_and_follow_a_generator():
    order = list(RandomSampler(range(10), generator=np.random.default_rng(0)))
    assert sorted(order) == list(range(10))
    assert order == list(RandomSampler(range(10), generator=np.random.default_rng(0)))
    assert sorted(SubsetRandomSampler([3, 5, 7], generator=1)) == [3, 5, 7]
    tinydl.manual_seed(3)
    first = [y.tolist() for _, y in DataLoader(Pairs(), batch_size=5, shuffle=True)]
    tinydl.manual_seed(3)
    assert first == [y.tolist() for _, y in DataLoader(Pairs(), batch_size=5, shuffle=True)]


def test_subset_and_random_split():
    dataset = TensorDataset(tinydl.arange(10))
    subset = Subset(dataset, [7, 2])
    assert len(subset) == 2 and subset[0][0].item() == 7 and subset[[1, 0]][0].tolist() == [2, 7]
    train, test = random_split(dataset, [8, 2], generator=np.random.default_rng(0))
    values = sorted([train[i][0].item() for i in range(8)] + [test[i][0].item() for i in range(2)])
    assert values == list(range(10))  # a partition
    again, _ = random_split(dataset, [8, 2], generator=np.random.default_rng(0))
    assert again.indices == train.indices
    parts = random_split(dataset, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(range(7), [0.5, 0.5])  # 3 + 3, remainder dealt from the first: 4, 3
    assert [len(p) for p in parts] == [4, 3]
    with pytest.raises(ValueError, match=r"the lengths \[3, 3\] must be whole sizes summing to the length"):
        random_split(dataset, [3, 3])
    loader = DataLoader(train, batch_size=4)
    assert len(loader) == 2 and next(iter(loader))[0].shape == (4,)


# ------------------------------------------------------------------ load
def test_load_accepts_pytorch_arguments(tmp_path):
    path = tmp_path / "model.pt"
    tinydl.save(nn.Linear(2, 1).state_dict(), path)
    for kwargs in ({}, {"weights_only": True}, {"weights_only": False}, {"map_location": "cpu"}):
        state = tinydl.load(path, **kwargs)
        assert set(state) == {"weight", "bias"} and state["weight"].device == "cpu"
    with pytest.raises(TypeError, match="map_location must be a device"):
        tinydl.load(path, map_location=lambda storage, location: storage)


class Boom:
    def __reduce__(self):
        return (pytest.fail, ("unpickling ran code",))


def _pytorch_style_checkpoint(path):
    with zipfile.ZipFile(path, "w") as archive:  # torch.save's layout: a zip with a data.pkl inside
        archive.writestr("model/data.pkl", pickle.dumps(Boom()))
        archive.writestr("model/version", "3")


@pytest.mark.parametrize("write", [lambda p: p.write_bytes(pickle.dumps(Boom())), _pytorch_style_checkpoint,
                                   lambda p: p.write_bytes(pickle.dumps({"a": 1}, protocol=0)),
                                   lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)])
def test_pickles_are_refused_with_the_safe_route(tmp_path, write):
    path = tmp_path / "model.pth"
    write(path)
    if not path.exists():  # np.save added .npy
        path = tmp_path / "model.pth.npy"
    with pytest.raises(tinydl.CheckpointError) as caught:
        tinydl.load(path, weights_only=False)
    message = str(caught.value)
    assert "tinydl never unpickles, because loading a pickle can run arbitrary code" in message
    assert "numpy.savez('weights.npz'" in message and "model.load_state_dict(dict(numpy.load(" in message
    assert "allow_pickle" not in message


def test_the_safe_route_in_the_message_works(tmp_path):
    source = nn.Linear(2, 1)
    path = tmp_path / "weights.npz"
    np.savez(path, **{k: v.detach().numpy() for k, v in source.state_dict().items()})  # as exported
    target = nn.Linear(2, 1)
    target.load_state_dict(dict(np.load(path)))
    np.testing.assert_array_equal(target.weight.detach().numpy(), source.weight.detach().numpy())
    with pytest.raises(tinydl.CheckpointError, match="plain NumPy archive of weights loads with"):
        tinydl.load(path)
