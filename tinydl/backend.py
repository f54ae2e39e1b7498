"""Devices and arrays: where tinydl chooses between NumPy and CuPy.

What is a device? A place where numbers live and are computed on: ``"cpu"`` (the
host's memory, computed on by NumPy) or ``"cuda:N"`` (GPU number N, computed on
by CuPy). What is an array? A tinydl tensor keeps its numbers in an ndarray of
that device's library: a ``numpy.ndarray`` on the cpu, a ``cupy.ndarray`` on a
GPU. The two libraries share one API, so every op asks
:func:`get_array_module` for the module that owns its inputs and writes its
math once, as ``xp.exp(x)``; the same code then runs on both devices.

The file reads in that order: the ``Array`` type; devices (names, the default
device); which module computes on an array and on which GPU; moving arrays
between devices; whether CUDA is usable at all; small conversions the rest of
the package shares; CuPy's special functions. Random numbers are in ``rng.py``,
how arrays print in ``printing.py``.

CuPy is optional. It is imported lazily, the first time anything asks about
CUDA, so ``import tinydl`` works (and stays fast) on machines without it.
"""
from __future__ import annotations

import contextlib
import os
from types import ModuleType
from typing import TYPE_CHECKING, Any, Union

import numpy

from .devices import Device, DeviceError  # noqa: F401  (DeviceError: backend.DeviceError too)

# An n-dimensional array of either backend: numpy.ndarray on "cpu", cupy.ndarray on "cuda".
# The ops' signatures say `Array` where they take or return one. CuPy is optional, so at
# run time the alias can only name NumPy's class; type checkers see both.
if TYPE_CHECKING:
    import cupy

    Array = Union[numpy.ndarray, cupy.ndarray]
else:
    Array = numpy.ndarray

# `type(x) is NUMPY_ARRAY` is the hot paths' cheapest "is this on the cpu?" test.
NUMPY_ARRAY = numpy.ndarray


# --------------------------------------------------------------------- devices
CPU = Device("cpu")
DEFAULT_DEVICE_ENV = "TINYDL_DEVICE"  # the default device when set_default_device was not called
_cuda_devices: dict[int, Device] = {}
_default_device: Device | None = None


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


def cuda_device(index: int) -> Device:
    """The Device "cuda:N" (one object per GPU, made once)."""
    device = _cuda_devices.get(index)
    if device is None:
        device = _cuda_devices[index] = Device("cuda", index)
    return device


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


# ------------------------------------------------- which module computes, and where
def get_array_module(array: Any) -> ModuleType:
    """numpy or cupy, whichever owns ``array`` (numpy for Python scalars)."""
    # Without CuPy loaded nothing can be a cupy array: skip CuPy's own (slower) check.
    if isinstance(array, numpy.ndarray) or _cupy is None:
        return numpy
    return _cupy.get_array_module(array)


def device_of(array: Array) -> Device:
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


_device_modules: dict[int, OnDevice] = {}  # GPU index -> its OnDevice(cupy), made once


def device_scope(array: Any) -> Any:
    """A context in which CuPy's current GPU is the one ``array`` lives on (nothing for numpy)."""
    if isinstance(array, numpy.ndarray):
        return contextlib.nullcontext()
    return _cupy.cuda.Device(array.device.id)


def make_current(device: Device) -> None:
    """Make a normalised "cuda:N" CuPy's current GPU."""
    _cupy.cuda.Device(device.index).use()


# ------------------------------------------------------ moving arrays between devices
def to_device(array: Any, device: str) -> Array:
    """Return ``array`` on ``device`` (a normalised name); no copy if it is there already."""
    if device == "cpu":
        if isinstance(array, numpy.ndarray):
            return array
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return array.get()  # GPU -> host copy
        return numpy.asarray(array)
    return module_for_device(device).asarray(array)  # a copy only if it is elsewhere


# ------------------------------------------------------ is CUDA usable? (CuPy, lazily)
# What to run when CuPy is missing: this project's extra from a checkout, or CuPy itself.
CUPY_INSTALL_HINT = ('pip install -e ".[cuda12]" in a tinydl checkout, or pip install cupy-cuda12x '
                     "(cuda13 / cupy-cuda13x for a CUDA 13 driver; "
                     "nvidia-smi shows the driver's CUDA version)")

_cupy: ModuleType | None = None  # the cupy module once imported; None without it (or before)
_cupy_import_error: str | None = None
_cupy_checked = False


def cuda_is_available() -> bool:
    """True when tensors can be placed on "cuda". Never raises."""
    return cuda_unavailable_reason() is None


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


def cuda_device_count() -> int:
    """Number of usable GPUs (0 without CuPy or a GPU)."""
    if not cuda_is_available():
        return 0
    return int(_cupy.cuda.runtime.getDeviceCount())


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


# ------------------------------------------------------ arrays, scalars and dtypes
def is_ndarray(value: Any) -> bool:
    """True for a numpy or cupy ndarray."""
    if isinstance(value, numpy.ndarray):
        return True
    return _cupy is not None and isinstance(value, _cupy.ndarray)


def is_numpy_scalar(value: Any) -> bool:
    """True for numpy scalars such as numpy.float64(1.0), which keep their dtype."""
    return isinstance(value, numpy.generic)


def scalar_to_array(value: Any) -> Array | None:
    """NumPy turns 0-d results into scalars (numpy.float64); make them 0-d arrays again.

    Returns None for anything that is neither an ndarray nor a numpy scalar.
    """
    if is_ndarray(value):
        return value
    if isinstance(value, numpy.generic):
        return numpy.asarray(value)
    return None


def array_from_python(data: Any, op_name: str = "tensor") -> numpy.ndarray:
    """Python numbers and (nested) lists/tuples as a NumPy array on the host.

    ``op_name`` is the function the data was given to; a ragged list or an object
    that is not numbers raises a ValueError naming it.
    """
    try:
        return numpy.asarray(data)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{op_name}(): cannot make an array from {type(data).__name__}: {error}") from None


def as_numpy_dtype(dtype: Any) -> numpy.dtype:
    """A numpy dtype from anything numpy accepts ("float32", numpy.float32, tinydl.float32, ...)."""
    if isinstance(dtype, numpy.dtype):
        return dtype
    inner = getattr(dtype, "dtype", None)  # tinydl.float32 (NumPy's protocol): skip NumPy's slow path
    return inner if isinstance(inner, numpy.dtype) else numpy.dtype(dtype)


def quiet_floating_errors(xp: ModuleType = numpy) -> Any:
    """A context in which 0/0, x/0, log(0) and overflow give nan/inf silently, as in PyTorch.

    (CuPy never warns, so on CuPy this does nothing; a Python scalar's module is numpy.)
    """
    if xp is numpy:
        return _QuietNumpy() if _QUIET_EXTOBJ is not None else numpy.errstate(
            divide="ignore", invalid="ignore", over="ignore")
    return contextlib.nullcontext()


# A speed trick, one level down: every backward() and every cross-entropy enters the context
# above, and numpy.errstate rebuilds its error settings on each entry (about 1.5 us, a third of
# the engine's whole per-op cost on small graphs). NumPy 2 keeps those settings in a context
# variable, so we build the quiet settings once and only swap them in and out. On a NumPy
# without these (private) names, the plain numpy.errstate above is used.
try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _QUIET_EXTOBJ: Any = _make_extobj(divide="ignore", invalid="ignore", over="ignore", under="ignore")
except (ImportError, TypeError):  # NumPy 1.x
    _QUIET_EXTOBJ = None


class _QuietNumpy:
    """``numpy.errstate(divide/invalid/over="ignore")`` with its settings built once (see above)."""

    __slots__ = ("token",)

    def __enter__(self) -> None:
        self.token = _extobj_contextvar.set(_QUIET_EXTOBJ)

    def __exit__(self, *exc_info: Any) -> None:
        _extobj_contextvar.reset(self.token)


# ------------------------------------------------------------ special functions
def add_at_function(array: Any) -> Any:
    """``numpy.add.at`` for a NumPy array, its CuPy spelling ``cupyx.scatter_add`` for a CuPy one:
    ``f(target, index, values)`` adds values into target[index], every repeated index counted."""
    if isinstance(array, numpy.ndarray):
        return numpy.add.at
    import cupyx  # noqa: PLC0415  (ships with cupy)

    return cupyx.scatter_add


def gpu_special_function(array: Any, name: str) -> Any:
    """``cupyx.scipy.special.<name>`` for a CuPy array (a fused GPU kernel); None for NumPy arrays.

    NumPy has no erf and friends, so the ops compute them for the CPU themselves.
    """
    if _cupy is None or not isinstance(array, _cupy.ndarray):  # numpy arrays and scalars
        return None
    import cupyx.scipy.special  # noqa: PLC0415  (ships with cupy)

    return getattr(cupyx.scipy.special, name)
