"""Datasets and mini-batches: Dataset, TensorDataset, Subset, random_split, samplers, DataLoader.

PyTorch's ``torch.utils.data`` (importable as ``tinydl.utils.data``): a
Dataset maps an index to a sample, a sampler chooses the order of indices,
and the DataLoader groups them into batches and collates each batch with
``default_collate`` (a tuple of samples becomes a list of batched tensors).
"""
from __future__ import annotations

import collections.abc
import itertools
import math
import warnings
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy

import tinydl.backend as backend
import tinydl.rng as rng
from .creation import tensor
from .ops.shape import stack
from .engine import Tensor


class Dataset:
    """Subclass it with __len__ and __getitem__(index) -> sample (a tensor, array, number, or a tuple/dict of them)."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


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

    def rows(self, indices: Any) -> list:
        """The samples at ``indices`` (a host integer array) as a batch, one gather per tensor.

        The same as default_collate of the samples (a list of batched tensors), without
        building one tensor per sample.
        """
        index = backend.to_device(numpy.asarray(indices), self.tensors[0].device)
        with backend.device_scope(index):  # CuPy gathers on its current GPU: the data's
            return [Tensor(t.array[index]) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: subset[i] is dataset[indices[i]]."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):  # a batch of indices is passed on as one list, as in PyTorch
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping Subsets of the given lengths.

    ``lengths`` are sizes summing to len(dataset), or fractions summing to 1:
    each subset gets floor(n * fraction) samples and the remainder is dealt out
    one at a time from the first subset on, as in PyTorch.
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        if any(not 0 <= fraction <= 1 for fraction in lengths):
            raise ValueError(f"random_split: fractions must be between 0 and 1, got {list(lengths)}")
        sizes = [int(math.floor(n * fraction)) for fraction in lengths]
        for i in range((n - sum(sizes))):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this results in an empty "
                              "dataset", UserWarning, stacklevel=2)
        lengths = sizes
    if sum(lengths) != n or any(int(length) != length or length < 0 for length in lengths):
        raise ValueError(f"random_split: the lengths {list(lengths)} must be whole sizes summing to the length "
                         f"of the dataset ({n}), or fractions summing to 1")
    order = _numpy_generator(generator).permutation(n).tolist()
    return [Subset(dataset, order[end - length:end])
            for end, length in zip(itertools.accumulate(int(x) for x in lengths), (int(x) for x in lengths))]


# ------------------------------------------------------------------ samplers
class SequentialSampler:
    """Indices 0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler:
    """A new random permutation of the indices every epoch."""

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
                 generator: Any = None) -> None:
        if replacement:
            raise NotImplementedError("RandomSampler: replacement=True is not implemented in tinydl")
        if num_samples is not None:
            raise NotImplementedError("RandomSampler: num_samples is not implemented in tinydl")
        self.data_source = data_source
        self.generator = _numpy_generator(generator)

    def __iter__(self) -> Iterator[int]:
        return iter(self.generator.permutation(len(self.data_source)).tolist())

    def __len__(self) -> int:
        return len(self.data_source)


class SubsetRandomSampler:
    """The given indices, in a new random order every epoch."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = _numpy_generator(generator)

    def __iter__(self) -> Iterator[int]:
        return (self.indices[i] for i in self.generator.permutation(len(self.indices)).tolist())

    def __len__(self) -> int:
        return len(self.indices)


def _numpy_generator(generator: Any) -> numpy.random.Generator:
    """The NumPy generator that shuffles, for random_split and the random samplers.

    From ``generator`` if given (a numpy Generator, an int seed, or an object with
    ``initial_seed()`` such as a tinydl.Generator); else seeded with a number drawn
    from tinydl's default generator, so that tinydl.manual_seed makes the order
    reproducible while each loader still gets a stream of its own.
    """
    if isinstance(generator, numpy.random.Generator):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return numpy.random.default_rng(generator)
    if generator is not None and hasattr(generator, "initial_seed"):  # a seeded generator object
        return numpy.random.default_rng(int(generator.initial_seed()))
    if generator is not None:
        raise TypeError(f"generator must be None, an int seed, a numpy Generator or an object with "
                        f"initial_seed(), got {type(generator).__name__}")
    seed = int(rng.integers(numpy, 0, 2**63 - 1, (), "int64"))  # one draw from tinydl's default generator
    return numpy.random.default_rng(seed)


class BatchSampler:
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last shorter unless drop_last)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"BatchSampler: batch_size must be a positive integer, got {batch_size!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        count = len(self.sampler) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)


# ------------------------------------------------------------------ collating
NON_NUMERIC_KINDS = "OSUV"  # NumPy dtype kinds a tensor cannot hold: objects, bytes, str, void (records)


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, with PyTorch's rules:

    * tensors -> stacked (batch, *shape); NumPy arrays -> stacked, keeping their dtype
      (float64 arrays give a float64 batch, as in PyTorch: call .float() or convert first);
    * Python floats -> a float64 tensor, ints -> int64, bools -> bool (PyTorch's choice: float64,
      not tinydl.tensor's float32); NumPy scalars keep their dtype;
    * strings -> the list of strings;
    * tuples and lists of fields -> a *list* of collated fields (x, y) -> [X, Y]; dicts -> a dict;
      named tuples -> the same named tuple.
    """
    first = batch[0]  # every sample is taken to have the first one's structure, as in PyTorch
    if isinstance(first, Tensor):
        return stack(list(batch))
    if isinstance(first, numpy.ndarray):
        if first.dtype.kind in NON_NUMERIC_KINDS:
            raise TypeError(f"default_collate: cannot batch NumPy arrays of dtype {first.dtype}")
        return Tensor(numpy.stack(batch))
    if isinstance(first, numpy.generic):
        return Tensor(numpy.asarray(batch))
    if isinstance(first, float):
        return tensor(batch, dtype="float64")
    if isinstance(first, int):  # bool is an int too: bools give a bool tensor
        return tensor(batch)
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a named tuple keeps its type
        return type(first)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(sample) != len(first) for sample in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(first).__name__}")


def default_convert(sample: Any) -> Any:
    """What DataLoader(batch_size=None) applies to each sample: NumPy arrays become tensors, the rest stays."""
    if isinstance(sample, numpy.ndarray) and sample.dtype.kind not in NON_NUMERIC_KINDS:
        return Tensor(sample)
    if isinstance(sample, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(value) for value in sample))
    if isinstance(sample, (list, tuple)):
        return [default_convert(value) for value in sample]
    return sample


collate = default_collate  # tinydl's earlier name


# ------------------------------------------------------------------ DataLoader
class DataLoader:
    """Iterate over a dataset in mini-batches: ``for x, y in DataLoader(data, batch_size=64, shuffle=True)``.

    Each batch is ``collate_fn`` (default: default_collate) of the samples, so a
    dataset of (x, y) pairs gives a list [X, Y] per batch, as in PyTorch.
    ``shuffle=True`` draws a new order every epoch (reproducible with ``seed=``,
    a tinydl extra, or ``generator=``; otherwise it follows tinydl.manual_seed).
    ``sampler`` (an iterable of indices) or ``batch_sampler`` (of lists of
    indices) replace the built-in order. ``batch_size=None`` yields single samples.

    tinydl loads every batch in the main process: ``num_workers``,
    ``pin_memory``, ``timeout``, ``worker_init_fn``, ``prefetch_factor`` and
    ``persistent_workers`` are accepted for PyTorch code and have no effect.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable[int] | None = None, batch_sampler: Iterable[list[int]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context: Any = None,
                 generator: Any = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 seed: int | None = None) -> None:
        if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                                       or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got {num_workers!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last")
        self.dataset, self.num_workers, self.pin_memory = dataset, num_workers, pin_memory
        self.batch_size = None if batch_sampler is not None else batch_size
        self.shuffle, self.drop_last = bool(shuffle), drop_last
        self.collate_fn = collate_fn
        # The built-in order (no sampler given) is iterated as slices of one index array.
        self._built_in_order = sampler is None and batch_sampler is None and batch_size is not None
        if sampler is None and batch_sampler is None:
            # One generator for the loader's life: each epoch continues its stream.
            sampler = (RandomSampler(dataset, generator=seed if generator is None else generator) if shuffle
                       else SequentialSampler(dataset))
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def _batches_of_indices(self) -> Iterator[Any]:
        """Each batch's indices: the batch sampler's lists, or slices of one index array."""
        if not self._built_in_order:
            return iter(self.batch_sampler)
        # The same order as the samplers give, without a Python list per batch.
        n = len(self.dataset)
        order = self.sampler.generator.permutation(n) if self.shuffle else numpy.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        return (order[start:start + self.batch_size] for start in range(0, stop, self.batch_size))

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:  # batch_size=None: no batching, each sample converted
            indices = self.sampler
            convert = self.collate_fn or default_convert
            for index in indices:
                yield convert(self.dataset[index])
            return
        fast = self.collate_fn is None and isinstance(self.dataset, TensorDataset)
        collate_fn = self.collate_fn or default_collate
        for indices in self._batches_of_indices():
            if fast:  # one gather per tensor instead of a stack of single rows
                yield self.dataset.rows(indices)
            else:
                yield collate_fn([self.dataset[int(i)] for i in indices])


__all__ = ["BatchSampler", "DataLoader", "Dataset", "RandomSampler", "SequentialSampler", "Subset",
           "SubsetRandomSampler", "TensorDataset", "collate", "default_collate", "default_convert",
           "random_split"]
