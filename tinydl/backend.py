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
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, Union

import numpy

from .devices import Device, DeviceError  # noqa: F401  (DeviceError: backend.DeviceError too)

DEFAULT_DEVICE_ENV = "TINYDL_DEVICE"
# What to run when CuPy is missing: this project's extra from a checkout, or CuPy itself.
CUPY_INSTALL_HINT = ('pip install -e ".[cuda12]" in a tinydl checkout, or pip install cupy-cuda12x '
                     "(cuda13 / cupy-cuda13x for a CUDA 13 driver; "
                     "nvidia-smi shows the driver's CUDA version)")

NUMPY_ARRAY = numpy.ndarray

# An n-dimensional array of either backend: numpy.ndarray on "cpu", cupy.ndarray on "cuda".
# The ops' signatures say `Array` where they take or return one. CuPy is optional, so at
# run time the alias can only name NumPy's class; type checkers see both.
if TYPE_CHECKING:
    import cupy

    Array = Union[numpy.ndarray, cupy.ndarray]
else:
    Array = numpy.ndarray

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
    """A context in which 0/0, x/0, log(0) and overflow give nan/inf silently, as in PyTorch.

    (CuPy never warns, so on CuPy this does nothing; a Python scalar's module is numpy.)
    """
    if xp is numpy:
        return numpy.errstate(divide="ignore", invalid="ignore", over="ignore")
    return contextlib.nullcontext()


# PyTorch's defaults; set_printoptions changes them for every tensor's repr.
_PRINT_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": sys.maxsize, "edgeitems": 3, "linewidth": 80},
}
_print_options: dict = {**_PRINT_PROFILES["default"], "sci_mode": None}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print, as PyTorch's ``torch.set_printoptions``.

    precision: digits after the point (4); threshold: more elements than this are
    summarised with ``...`` (1000); edgeitems: items shown at each end when
    summarised (3); linewidth: characters per line (80); profile: "default",
    "short" or "full" (never summarise) sets the four at once; sci_mode: True or
    False forces scientific notation on or off, None (the default) decides by the values.
    """
    if profile is not None:
        if profile not in _PRINT_PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PRINT_PROFILES)}, got {profile!r}")
        _print_options.update(_PRINT_PROFILES[profile])
    for name, value in (("precision", precision), ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _print_options[name] = int(value)
    if threshold is not None:  # PyTorch takes float("inf") for "never summarise"; NumPy wants an int
        _print_options["threshold"] = sys.maxsize if threshold == float("inf") else int(threshold)
    _print_options["sci_mode"] = sci_mode  # as in PyTorch, leaving it out means "decide by the values"


def format_array(array: numpy.ndarray, prefix: str) -> str:
    """Host array as text for Tensor.__repr__, like PyTorch: ``[1.5000, 2.0000]``, ``[1., 2.]``.

    Floats print with ``precision`` decimals, or as ``1.`` when all of them are whole numbers.
    """
    options = _print_options
    precision, sci_mode = options["precision"], options["sci_mode"]
    formatter = None
    floatmode = "maxprec"
    if array.dtype.kind == "f" and array.size:
        finite = array[numpy.isfinite(array)]
        whole = bool((finite == numpy.round(finite)).all())
        floatmode = "maxprec" if whole else "fixed"
        if sci_mode is True:
            formatter = {"float_kind": lambda value: f"{value:.{precision}e}"}
        elif sci_mode is False and not whole:
            formatter = {"float_kind": lambda value: f"{value:.{precision}f}"}
    elif array.dtype.kind == "b" and array.size and array.all():
        formatter = {"bool": lambda value: "True"}  # NumPy pads to the width of "False" even without one
    return numpy.array2string(array, separator=", ", prefix=prefix, precision=precision,
                              floatmode=floatmode, threshold=options["threshold"],
                              edgeitems=options["edgeitems"], max_line_width=options["linewidth"],
                              formatter=formatter)


def as_numpy_dtype(dtype: Any) -> numpy.dtype:
    """A numpy dtype from anything numpy accepts ("float32", numpy.float32, tinydl.float32, ...)."""
    if isinstance(dtype, numpy.dtype):
        return dtype
    inner = getattr(dtype, "dtype", None)  # tinydl.float32 (NumPy's protocol): skip NumPy's slow path
    return inner if isinstance(inner, numpy.dtype) else numpy.dtype(dtype)


# --------------------------------------------------------------- random numbers
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
    for index in range(cuda_device_count()):  # CuPy keeps one generator per GPU
        with _cupy.cuda.Device(index):
            _cupy.random.seed(seed)
    return default_generator


def _host_generator(generator: Generator | None) -> Any:
    """The numpy Generator that draws: the given tinydl Generator's, else the default one's."""
    if generator is None:
        return default_generator.numpy
    if not isinstance(generator, Generator):
        raise TypeError(f"generator= must be a tinydl.Generator, got {type(generator).__name__}")
    return generator.numpy


def _draw(xp: ModuleType, generator: Generator | None, dtype: Any, on_host: Any, on_gpu: Any) -> Any:
    """Samples of ``dtype``: ``on_host(numpy_generator)`` on the CPU or for an explicit generator
    (then copied to the GPU), else ``on_gpu(cupy.random, dtype)`` with CuPy's own generator."""
    dtype = as_numpy_dtype(dtype)
    if xp is numpy or generator is not None:
        samples = on_host(_host_generator(generator)).astype(dtype, copy=False)
        return samples if xp is numpy else xp.asarray(samples)
    return on_gpu(xp.random, dtype)


def uniform(xp: ModuleType, low: float, high: float, shape: tuple, dtype: Any,
            generator: Generator | None = None) -> Any:
    """Uniform samples in [low, high) of ``dtype`` from the device's generator (or ``generator``)."""
    return _draw(xp, generator, dtype, lambda source: source.uniform(low, high, size=shape),
                 lambda source, dtype: source.uniform(low, high, size=shape, dtype=dtype))


def standard_normal(xp: ModuleType, shape: tuple, dtype: Any, generator: Generator | None = None) -> Any:
    """Standard normal samples of ``dtype`` from the device's generator (or ``generator``)."""
    return _draw(xp, generator, dtype, lambda source: source.standard_normal(size=shape),
                 lambda source, dtype: source.standard_normal(size=shape, dtype=dtype))


def integers(xp: ModuleType, low: int, high: int, shape: tuple, dtype: Any,
             generator: Generator | None = None) -> Any:
    """Integers in [low, high) from the device's generator (or ``generator``)."""
    return _draw(xp, generator, dtype, lambda source: source.integers(low, high, size=shape),
                 lambda source, dtype: source.randint(low, high, size=shape, dtype=dtype))


def permutation(xp: ModuleType, n: int, generator: Generator | None = None) -> Any:
    """A random ordering of 0 .. n-1 (int64)."""
    return _draw(xp, generator, "int64", lambda source: source.permutation(n),
                 lambda source, dtype: source.permutation(n).astype(dtype, copy=False))


# ------------------------------------------------------------ special functions
def gpu_special_function(array: Any, name: str) -> Any:
    """``cupyx.scipy.special.<name>`` for a CuPy array (a fused GPU kernel); None for NumPy arrays.

    NumPy has no erf and friends, so the ops compute them for the CPU themselves.
    """
    if _cupy is None or not isinstance(array, _cupy.ndarray):  # numpy arrays and scalars
        return None
    import cupyx.scipy.special  # noqa: PLC0415  (ships with cupy)

    return getattr(cupyx.scipy.special, name)
