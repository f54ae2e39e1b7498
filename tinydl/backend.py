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

from .devices import Device, DeviceError  # noqa: F401  (DeviceError: backend.DeviceError too)

DEFAULT_DEVICE_ENV = "TINYDL_DEVICE"
# What to run when CuPy is missing: this project's extra from a checkout, or CuPy itself.
CUPY_INSTALL_HINT = ('pip install -e ".[cuda12]" in a tinydl checkout, or pip install cupy-cuda12x '
                     "(cuda13 / cupy-cuda13x for a CUDA 13 driver; "
                     "nvidia-smi shows the driver's CUDA version)")

NUMPY_ARRAY = numpy.ndarray

_cupy: ModuleType | None = None
_cupy_import_error: str | None = None
_cupy_checked = False


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
        return (f"CuPy is not installed ({CUPY_INSTALL_HINT}); "
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
CPU = Device("cpu")
_cuda_devices: dict[int, Device] = {}
_default_device: Device | None = None


def cuda_device(index: int) -> Device:
    """The Device "cuda:N" (one object per GPU, made once)."""
    device = _cuda_devices.get(index)
    if device is None:
        device = _cuda_devices[index] = Device("cuda", index)
    return device


def normalize_device(device: Any) -> Device:
    """The Device ("cpu" or "cuda:N") that ``device`` names; None means the default device.

    Accepts a Device, a string ("cpu", "cuda", "cuda:1") or a GPU number. A bare
    "cuda" is CuPy's current GPU, as in PyTorch. Raises DeviceError naming the
    reason when CUDA is asked for but unusable.
    """
    if device is None:
        device = default_device()
    if device == "cpu":
        return CPU
    device = Device(device)
    if device.type == "cpu":
        return CPU
    reason = cuda_unavailable_reason()
    if reason is not None:
        raise DeviceError(f"device {str(device)!r} requested but CUDA is unavailable: {reason}")
    index = device.index if device.index is not None else int(_cupy.cuda.Device().id)
    count = cuda_device_count()
    if index >= count:
        raise DeviceError(f"device {str(device)!r} requested but only {count} GPU(s) are visible")
    return cuda_device(index)


def set_default_device(device: Any) -> None:
    """The device factories use when given none (PyTorch's ``torch.set_default_device``).

    ``None`` goes back to $TINYDL_DEVICE, else "cpu". The name is checked now,
    whether the device is usable when a tensor is made there.
    """
    global _default_device
    _default_device = None if device is None else Device(device)


def default_device() -> Device:
    """The device for new tensors: set_default_device's, else $TINYDL_DEVICE, else "cpu"."""
    if _default_device is not None:
        return _default_device
    return Device(os.environ.get(DEFAULT_DEVICE_ENV, "cpu") or "cpu")


get_default_device = default_device  # PyTorch's name


def device_of(array: Any) -> Device:
    """The Device ("cpu" or "cuda:N") an ndarray lives on."""
    if isinstance(array, numpy.ndarray):
        return CPU
    return cuda_device(array.device.id)


def module_for_device(device: str) -> Any:
    """numpy for "cpu"; for a normalised "cuda:N", cupy with every call made on GPU N.

    CuPy allocates new arrays on its *current* device, so a plain
    ``cupy.zeros(3)`` would land on GPU 0 even when "cuda:1" was asked for.
    """
    if device == "cpu":
        return numpy
    index = int(device.split(":")[1])
    module = _device_modules.get(index)
    if module is None:
        module = _device_modules[index] = OnDevice(_load_cupy(), index)
    return module


class OnDevice:
    """A module (cupy, cupy.random) whose functions run with GPU ``index`` as CuPy's current device."""

    def __init__(self, module: Any, index: int) -> None:
        self._module, self._index = module, index

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if name == "random":
            return OnDevice(value, self._index)
        if not callable(value) or isinstance(value, type) and issubclass(value, numpy.generic):
            return value  # constants, dtypes, scalar types

        def on_device(*args: Any, **kwargs: Any) -> Any:
            with _cupy.cuda.Device(self._index):
                return value(*args, **kwargs)
        return on_device


_device_modules: dict[int, OnDevice] = {}


def make_current(device: Device) -> None:
    """Make a normalised "cuda:N" CuPy's current GPU."""
    _cupy.cuda.Device(device.index).use()


def device_scope(array: Any) -> Any:
    """A context in which CuPy's current GPU is the one ``array`` lives on (nothing for numpy)."""
    if isinstance(array, numpy.ndarray):
        return contextlib.nullcontext()
    return _cupy.cuda.Device(array.device.id)


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
    return module_for_device(device).asarray(array)  # a copy only if it is elsewhere


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
    for index in range(cuda_device_count()):  # CuPy keeps one generator per GPU
        with _cupy.cuda.Device(index):
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
def check_indices_in_bounds(array: Any, index: tuple) -> None:
    """Raise NumPy's IndexError for an out-of-range integer index on a device that would not.

    NumPy raises "index 5 is out of bounds for axis 0 with size 3" itself; CuPy
    wraps integer-array indices around silently (and words its own error for a
    plain int differently), so on "cuda" the same check is made here, with
    NumPy's words, before indexing. ``index`` holds ints, slices, None,
    Ellipsis and integer arrays (bool masks already turned into integer arrays).
    """
    if isinstance(array, numpy.ndarray):
        return  # NumPy checks itself
    shape = array.shape
    explicit = sum(1 for item in index if item is not None and item is not Ellipsis)
    axis = 0
    for item in index:
        if item is Ellipsis:
            axis += len(shape) - explicit
            continue
        if item is None:
            continue
        if axis >= len(shape):
            return  # too many indices: the array module says so
        size = shape[axis]
        if isinstance(item, (int, numpy.integer)) and not -size <= item < size:
            raise IndexError(f"index {item} is out of bounds for axis {axis} with size {size}")
        if is_ndarray(item) and item.size:
            outside = (item < -size) | (item >= size)
            if outside.any():  # one device -> host synchronisation
                first_bad = int(item.ravel()[outside.ravel().argmax()])
                raise IndexError(f"index {first_bad} is out of bounds for axis {axis} with size {size}")
        axis += 1


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """target[index] += values, adding up repeated indices (numpy.add.at semantics)."""
    if isinstance(target, numpy.ndarray):
        numpy.add.at(target, index, values)
    else:
        import cupyx  # noqa: PLC0415  (ships with cupy)

        cupyx.scatter_add(target, index, values)
