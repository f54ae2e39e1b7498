"""Random-number plumbing: the generators every sampler draws from, and raw draws as arrays.

This is the floor under everything random in tinydl: ``rand``/``randn``
(creation.py), ``nn.init``, dropout, the DataLoader's shuffling and the
samplers of ``tinydl.random`` all take their numbers from here, as plain
arrays of the right device and dtype (``tinydl.random`` turns them into tensors).

There are two sources of numbers:

* a :class:`Generator` (PyTorch's ``torch.Generator``) wraps a NumPy
  ``numpy.random.Generator`` on the host; ``default_generator`` is the one
  used when none is given, and ``manual_seed(s)`` restarts it;
* on "cuda" with no explicit generator, CuPy's own per-GPU generator draws on
  the GPU (no copy); ``manual_seed(s)`` seeds it too.

Every draw goes through :func:`_draw`, which picks between the two.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

import numpy

import tinydl.backend as backend
from .backend import Array
from .devices import DeviceError


class Generator:
    """A seeded source of random numbers: PyTorch's ``torch.Generator``, on the CPU.

    ``tinydl.manual_seed(s)`` reseeds the default one (and CuPy's) and returns it.
    Pass your own as ``generator=`` to the sampling functions (``randperm``,
    ``normal``, ``multinomial``, ``normal_``, ...) for a stream of numbers that
    nothing else draws from; on CUDA such samples are drawn on the host and copied.
    """

    def __init__(self, device: Any = "cpu") -> None:
        if str(device) != "cpu":
            raise DeviceError(f"Generator(device={device!r}): tinydl's generators live on the cpu; "
                              "on CUDA, tinydl.manual_seed seeds CuPy's generator")
        self.device = "cpu"
        self.seed()

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from ``seed``; returns the generator (as PyTorch's does)."""
        seed = int(seed)
        self._initial_seed = seed
        self.numpy = numpy.random.default_rng(seed)  # the numpy.random.Generator that draws
        return self

    def seed(self) -> int:
        """Reseed from fresh OS entropy; returns the new seed."""
        seed = int(numpy.random.SeedSequence().entropy % 2**63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed the stream (re)started from."""
        return self._initial_seed

    def __repr__(self) -> str:
        return f"<tinydl.Generator initial_seed={self._initial_seed}>"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the random generators of both backends; returns the default (CPU) generator."""
    default_generator.manual_seed(seed)
    for index in range(backend.cuda_device_count()):  # CuPy keeps one generator per GPU
        backend.module_for_device(f"cuda:{index}").random.seed(seed)  # seeded with GPU `index` current
    return default_generator


# ------------------------------------------------------------ draws, as arrays
# Each sampler names its draw twice, once for NumPy's Generator (on_host) and
# once for CuPy's random module (on_gpu), because the two spell some draws
# differently (integers vs randint) and only CuPy's takes a dtype.
def uniform(xp: ModuleType, low: float, high: float, shape: tuple, dtype: Any,
            generator: Generator | None = None) -> Array:
    """Uniform samples in [low, high) of ``dtype`` from the device's generator (or ``generator``)."""
    return _draw(xp, generator, dtype, lambda source: source.uniform(low, high, size=shape),
                 lambda source, dtype: source.uniform(low, high, size=shape, dtype=dtype))


def standard_normal(xp: ModuleType, shape: tuple, dtype: Any, generator: Generator | None = None) -> Array:
    """Standard normal samples of ``dtype`` from the device's generator (or ``generator``)."""
    return _draw(xp, generator, dtype, lambda source: source.standard_normal(size=shape),
                 lambda source, dtype: source.standard_normal(size=shape, dtype=dtype))


def integers(xp: ModuleType, low: int, high: int, shape: tuple, dtype: Any,
             generator: Generator | None = None) -> Array:
    """Integers in [low, high) from the device's generator (or ``generator``)."""
    return _draw(xp, generator, dtype, lambda source: source.integers(low, high, size=shape),
                 lambda source, dtype: source.randint(low, high, size=shape, dtype=dtype))


def permutation(xp: ModuleType, n: int, generator: Generator | None = None) -> Array:
    """A random ordering of 0 .. n-1 (int64)."""
    return _draw(xp, generator, "int64", lambda source: source.permutation(n),
                 lambda source, dtype: source.permutation(n).astype(dtype, copy=False))


def _draw(xp: ModuleType, generator: Generator | None, dtype: Any,
          on_host: Callable[[numpy.random.Generator], Array],
          on_gpu: Callable[[ModuleType, numpy.dtype], Array]) -> Array:
    """Samples of ``dtype`` on ``xp``'s device, from whichever source should draw them.

    On the CPU, or whenever a ``generator`` is given, ``on_host(numpy_generator)``
    draws on the host (then the samples are copied to the GPU if ``xp`` is CuPy);
    otherwise ``on_gpu(cupy.random, dtype)`` draws on the GPU with CuPy's generator.
    """
    dtype = backend.as_numpy_dtype(dtype)
    if xp is numpy or generator is not None:
        samples = on_host(_host_generator(generator)).astype(dtype, copy=False)
        return samples if xp is numpy else xp.asarray(samples)
    return on_gpu(xp.random, dtype)


def _host_generator(generator: Generator | None) -> numpy.random.Generator:
    """The numpy Generator that draws: the given tinydl Generator's, else the default one's."""
    if generator is None:
        return default_generator.numpy
    if not isinstance(generator, Generator):
        raise TypeError(f"generator= must be a tinydl.Generator, got {type(generator).__name__}")
    return generator.numpy
