"""Devices and array modules: the only place that knows about NumPy and CuPy.

A tinydl tensor keeps its numbers in an ndarray: a ``numpy.ndarray`` on the
``"cpu"`` device, a ``cupy.ndarray`` on ``"cuda"`` / ``"cuda:N"``. Every op
asks :func:`get_array_module` for the module that matches its inputs and then
writes its math once, as ``xp.exp(x)``; the same code runs on both devices.

CuPy is optional. It is imported lazily, the first time anything asks about
CUDA, so ``import tinydl`` works (and stays fast) on machines without it.
"""
from __future__ import annotations

import contextlib
import os
from types import ModuleType
from typing import Any

import numpy

DEFAULT_DEVICE_ENV = "TINYDL_DEVICE"

NUMPY_ARRAY = numpy.ndarray

_cupy: ModuleType | None = None
_cupy_import_error: str | None = None
_cupy_checked = False


class DeviceError(RuntimeError):
    """A device was asked for that cannot be used, or tensors on two devices met."""


def _load_cupy() -> ModuleType | None:
    """Import CuPy once; remember why it failed if it did."""
    global _cupy, _cupy_import_error, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # noqa: PLC0415  (optional dependency, imported on demand)

            _cupy = cupy
        except Exception as error:  # ImportError, or a broken CUDA install
            _cupy_import_error = f"{type(error).__name__}: {error}"
    return _cupy


def cuda_unavailable_reason() -> str | None:
    """Why the "cuda" device cannot be used, or None when it can."""
    cupy = _load_cupy()
    if cupy is None:
        return ("CuPy is not installed (pip install 'tinydl[cuda]'); "
                f"importing it failed with {_cupy_import_error}")
    try:
        if not cupy.is_available():
            return "CuPy is installed but found no usable NVIDIA GPU or driver"
    except Exception as error:  # a driver that is present but broken
        return f"CuPy is installed but the CUDA runtime failed: {error}"
    return None


def cuda_is_available() -> bool:
    """True when tensors can be placed on "cuda". Never raises."""
    return cuda_unavailable_reason() is None


def cuda_device_count() -> int:
    """Number of usable GPUs (0 without CuPy or a GPU)."""
    if not cuda_is_available():
        return 0
    return int(_cupy.cuda.runtime.getDeviceCount())


# --------------------------------------------------------------------- devices
def normalize_device(device: Any) -> str:
    """Turn "cpu", "cuda", "cuda:1" (or None: the default) into "cpu" or "cuda:N".

    Raises DeviceError naming the reason when CUDA is asked for but unusable.
    """
    if device is None:
        device = default_device()
    name = str(device).strip().lower()
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        index_text = name[5:] if name.startswith("cuda:") else "0"
        if not index_text.isdigit():
            raise DeviceError(f"device {device!r}: expected 'cuda' or 'cuda:N' with N an integer")
        reason = cuda_unavailable_reason()
        if reason is not None:
            raise DeviceError(f"device {device!r} requested but CUDA is unavailable: {reason}")
        index = int(index_text)
        count = cuda_device_count()
        if index >= count:
            raise DeviceError(f"device {device!r} requested but only {count} GPU(s) are visible")
        return f"cuda:{index}"
    raise DeviceError(f"unknown device {device!r}: expected 'cpu', 'cuda' or 'cuda:N'")


def default_device() -> str:
    """The device for new tensors: $TINYDL_DEVICE if set, else "cpu"."""
    return os.environ.get(DEFAULT_DEVICE_ENV, "cpu") or "cpu"


def device_of(array: Any) -> str:
    """The device name ("cpu" or "cuda:N") an ndarray lives on."""
    if isinstance(array, numpy.ndarray):
        return "cpu"
    return f"cuda:{array.device.id}"


def module_for_device(device: str) -> ModuleType:
    """numpy for "cpu", cupy for a normalised "cuda:N"."""
    if device == "cpu":
        return numpy
    return _load_cupy()


def get_array_module(array: Any) -> ModuleType:
    """numpy or cupy, whichever owns ``array`` (numpy for Python scalars)."""
    if isinstance(array, numpy.ndarray) or _cupy is None:
        return numpy
    return _cupy.get_array_module(array)


def is_ndarray(value: Any) -> bool:
    """True for a numpy or cupy ndarray."""
    if isinstance(value, numpy.ndarray):
        return True
    return _cupy is not None and isinstance(value, _cupy.ndarray)


def scalar_to_array(value: Any) -> Any:
    """NumPy turns 0-d results into scalars (numpy.float64); make them 0-d arrays again.

    Returns None for anything that is neither an ndarray nor a numpy scalar.
    """
    if is_ndarray(value):
        return value
    if isinstance(value, numpy.generic):
        return numpy.asarray(value)
    return None


def to_device(array: Any, device: str) -> Any:
    """Return ``array`` on ``device`` (a normalised name); no copy if it is there already."""
    if device == "cpu":
        if isinstance(array, numpy.ndarray):
            return array
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return array.get()
        return numpy.asarray(array)
    cupy = module_for_device(device)
    with cupy.cuda.Device(int(device.split(":")[1])):
        return cupy.asarray(array)


def host_array(data: Any) -> numpy.ndarray:
    """Python numbers / nested lists as a numpy array (on the host)."""
    try:
        return numpy.asarray(data)
    except (ValueError, TypeError) as error:
        raise ValueError(f"tensor(): cannot build a tensor from {type(data).__name__}: {error}") from None


def is_numpy_scalar(value: Any) -> bool:
    """True for numpy scalars such as numpy.float64(1.0), which keep their dtype."""
    return isinstance(value, numpy.generic)


def quiet_floating_errors(xp: ModuleType) -> Any:
    """A context in which 0/0 and x/0 give nan/inf silently (CuPy never warns anyway)."""
    if xp is numpy:
        return numpy.errstate(divide="ignore", invalid="ignore")
    return contextlib.nullcontext()


def format_array(array: numpy.ndarray, prefix: str, floatmode: str) -> str:
    """Host array as text for Tensor.__repr__: 4 decimals, comma-separated, like PyTorch."""
    return numpy.array2string(array, separator=", ", prefix=prefix, precision=4,
                              floatmode=floatmode, threshold=1000)


def as_numpy_dtype(dtype: Any) -> numpy.dtype:
    """A numpy dtype from anything numpy accepts ("float32", numpy.float32, ...)."""
    return numpy.dtype(dtype)


# --------------------------------------------------------------- random numbers
_cpu_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed the random generators of both backends."""
    global _cpu_generator
    _cpu_generator = numpy.random.default_rng(seed)
    if cuda_is_available():
        _cupy.random.seed(seed)


def random_source(xp: ModuleType) -> Any:
    """The generator for ``xp``: a numpy Generator, or cupy.random (seeded together)."""
    if xp is numpy:
        return _cpu_generator
    return xp.random


def uniform(xp: ModuleType, low: float, high: float, shape: tuple, dtype: Any) -> Any:
    """Uniform samples in [low, high) of ``dtype`` from the device's generator."""
    source = random_source(xp)
    if xp is numpy:
        return source.uniform(low, high, size=shape).astype(dtype, copy=False)
    return source.uniform(low, high, size=shape, dtype=dtype)


def standard_normal(xp: ModuleType, shape: tuple, dtype: Any) -> Any:
    """Standard normal samples of ``dtype`` from the device's generator."""
    source = random_source(xp)
    if xp is numpy:
        return source.standard_normal(size=shape).astype(dtype, copy=False)
    return source.standard_normal(size=shape, dtype=dtype)


def integers(xp: ModuleType, low: int, high: int, shape: tuple, dtype: Any) -> Any:
    """Integers in [low, high) from the device's generator."""
    source = random_source(xp)
    if xp is numpy:
        return source.integers(low, high, size=shape).astype(dtype, copy=False)
    return source.randint(low, high, size=shape, dtype=dtype)


# ---------------------------------------------------------------- scatter-add
def scatter_add(target: Any, index: Any, values: Any) -> None:
    """target[index] += values, adding up repeated indices (numpy.add.at semantics)."""
    if isinstance(target, numpy.ndarray):
        numpy.add.at(target, index, values)
    else:
        import cupyx  # noqa: PLC0415  (ships with cupy)

        cupyx.scatter_add(target, index, values)


# ------------------------------------------ special functions (issue 13: gelu's erf on cupy)
def cupy_special(name: str) -> Any:
    """A function of ``cupyx.scipy.special`` (e.g. "erf"), for math NumPy has no ufunc for."""
    import cupyx.scipy.special  # noqa: PLC0415  (ships with cupy)

    return getattr(cupyx.scipy.special, name)
