"""Datasets and mini-batches: TensorDataset and DataLoader."""
from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

import numpy

import tinydl.backend as backend
from .creation import tensor
from .ops.shape import stack
from .tensor import Tensor


class Dataset:
    """Anything with __len__ and __getitem__(index) -> sample (a tensor or tuple of tensors)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are rows of the given tensors: dataset[i] == (x[i], y[i])."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        sizes = [t.shape[0] if isinstance(t, Tensor) and t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: all tensors must have the same first dimension, got shapes "
                             f"{[tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__ for t in tensors]}")
        devices = {t.device for t in tensors}
        if len(devices) != 1:
            raise backend.DeviceError(f"TensorDataset: tensors are on different devices: {sorted(devices)}")
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def rows(self, indices: Any) -> tuple:
        """The samples at ``indices`` (a host integer array) as batched tensors, in one gather each."""
        index = backend.to_device(indices, self.tensors[0].device)
        with backend.device_scope(index):  # CuPy gathers on its current GPU: the data's
            return tuple(Tensor(t.array[index]) for t in self.tensors)


class DataLoader:
    """Iterate over a dataset in mini-batches.

    ``shuffle=True`` draws a new order every epoch; with ``seed`` the sequence
    of orders is reproducible (without it, it follows tinydl.manual_seed).
    Batches are tensors on the dataset's device.
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        if seed is None:
            seed = int(backend.integers(numpy, 0, 2**63 - 1, (), "int64"))
        self.generator = numpy.random.default_rng(seed)

    def __len__(self) -> int:
        count = len(self.dataset) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else numpy.arange(n)
        for start in range(0, n, self.batch_size):
            indices = order[start:start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                break
            if isinstance(self.dataset, TensorDataset):
                yield self.dataset.rows(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])


def collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples (tensors, or tuples of tensors/numbers) into a batch."""
    first = samples[0]
    if isinstance(first, Tensor):
        return stack(list(samples))
    if isinstance(first, (tuple, list)):
        return tuple(collate([sample[k] for sample in samples]) for k in range(len(first)))
    if isinstance(first, (int, float, bool)):
        return tensor(list(samples))  # Python numbers: float32, int64 or bool, as tinydl.tensor gives
    raise TypeError(f"DataLoader: cannot batch samples of type {type(first).__name__}")
