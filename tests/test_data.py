"""TensorDataset and DataLoader: batching, shuffling reproducibility, drop_last."""
from __future__ import annotations

import numpy as np
import pytest

import tinydl
from tinydl.data import DataLoader, Dataset, TensorDataset


def make_dataset(n=10):
    return TensorDataset(tinydl.arange(n).float().reshape(n, 1), tinydl.arange(n))


def test_dataset_indexing_and_length():
    dataset = make_dataset()
    x, y = dataset[3]
    assert len(dataset) == 10 and x.tolist() == [3.0] and y.item() == 3


def test_batches_in_order():
    batches = list(DataLoader(make_dataset(), batch_size=4))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert batches[0][0].shape == (4, 1) and batches[0][1].tolist() == [0, 1, 2, 3]
    assert len(DataLoader(make_dataset(), batch_size=4)) == 3


def test_drop_last():
    loader = DataLoader(make_dataset(), batch_size=4, drop_last=True)
    assert [len(y) for _, y in loader] == [4, 4] and len(loader) == 2


def test_shuffle_is_a_permutation_and_reproducible_with_seed():
    def epochs(seed):
        loader = DataLoader(make_dataset(), batch_size=3, shuffle=True, seed=seed)
        return [[int(v) for _, y in loader for v in y.tolist()] for _ in range(2)]

    first, again, other = epochs(1), epochs(1), epochs(2)
    assert sorted(first[0]) == list(range(10))
    assert first == again                  # same seed, same sequence of orders
    assert first[0] != first[1]            # a new order each epoch
    assert first != other


def test_shuffle_follows_manual_seed_without_a_seed():
    tinydl.manual_seed(5)
    a = [y.tolist() for _, y in DataLoader(make_dataset(), batch_size=10, shuffle=True)]
    tinydl.manual_seed(5)
    b = [y.tolist() for _, y in DataLoader(make_dataset(), batch_size=10, shuffle=True)]
    assert a == b


def test_rows_stay_paired_after_shuffle():
    for x, y in DataLoader(make_dataset(), batch_size=3, shuffle=True, seed=0):
        np.testing.assert_array_equal(x.numpy()[:, 0], y.numpy())


def test_custom_dataset_is_collated():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return tinydl.tensor([float(i)]), i * i

    x, y = next(iter(DataLoader(Squares(), batch_size=5)))
    assert x.shape == (5, 1) and y.tolist() == [0, 1, 4, 9, 16]


def test_errors():
    with pytest.raises(ValueError, match=r"same first dimension, got shapes \[\(3,\), \(4,\)\]"):
        TensorDataset(tinydl.zeros(3), tinydl.zeros(4))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(make_dataset(), batch_size=0)


def test_batches_live_on_the_dataset_device(device):
    dataset = TensorDataset(tinydl.zeros(6, 2, device=device), tinydl.zeros(6, device=device).long())
    for x, y in DataLoader(dataset, batch_size=4, shuffle=True, seed=0):
        assert x.device.startswith(device) and y.device.startswith(device)


def test_pytorch_import_path_works():
    import tinydl.utils.data as utils_data

    assert utils_data.DataLoader is DataLoader and utils_data.TensorDataset is TensorDataset
