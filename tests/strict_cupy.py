"""A strict stand-in for CuPy, so that CPU-only CI runs every "cuda" code path of tinydl.

This is a TEST DOUBLE FOR THE DISPATCH SEAM, NOT PROOF THAT THE GPU WORKS. Its
numbers are computed by NumPy on the host; no kernel, stream, memory pool or
driver is involved. What it proves: tinydl hands device arrays only to the
device module, never mixes them with host arrays, copies to the host only
where it means to, and puts new arrays on the device it was asked for. What it
cannot prove: that CuPy's kernels give the same numbers, that real transfers
and synchronisation behave, or anything about speed.

It is installed only by the tests (``tests/conftest.py`` registers it as the
``cupy`` and ``cupyx`` modules when no real GPU is usable); it is not part of
the tinydl package and users cannot select it.

CuPy behaviours it reproduces (from CuPy's documentation, "Differences between
CuPy and NumPy" and the ``cupy.ndarray`` reference):

* ``ndarray`` is a type of its own. ``numpy.asarray(x)`` / ``numpy.array(x)``
  raise ``TypeError: Implicit conversion to a NumPy array is not allowed...``;
  data reaches the host only through ``x.get()`` / ``cupy.asnumpy(x)`` (and the
  methods CuPy defines through them: ``item``, ``tolist``, ``float(x)``,
  ``int(x)``, ``bool(x)``, ``repr``, ``format``). CuPy's ``float(x)`` is
  ``float(x.get())``, so NumPy's rule for the host copy decides: a 0-d array
  converts, more than one element is a TypeError, and a 1-element array of
  ndim > 0 gets whatever the installed NumPy does with it (2.4: TypeError;
  older releases: a DeprecationWarning).
* An op mixing a device array with a ``numpy.ndarray`` (``x + host``,
  ``host + x``, ``cupy.add(x, host)``, ``x[i] = host``) raises ``TypeError``
  (CuPy: "Unsupported type"), and so does a Python list in an elementwise op
  (``x + [1, 2]``). Python and NumPy *scalars* mix fine, as in CuPy.
  ``cupy.asarray`` / ``cupy.array`` accept host data (that is the upload).
* Reductions over all axes return 0-d device arrays, not NumPy scalars.
* Integer-array indices out of range wrap around silently (CuPy's documented
  difference); a plain out-of-range integer index raises ``IndexError``.
* New arrays are allocated on the *current* device (``cupy.cuda.Device(n)``
  as a context manager, ``.use()``); every array reports ``.device`` (with
  ``.id``). An op on an array that lives on another device than the current
  one raises ``ValueError``, as CuPy does when peer access is unavailable.
  ``cupy.asarray(x)`` of an array on another device copies it to the current one.
* Views have ``.base`` set to the array that owns the memory, as in CuPy.
* ``cupy.random``: ``seed``, ``RandomState``, ``get_random_state`` and the
  sampling functions with CuPy's ``dtype=`` argument; ``cupyx.scatter_add``;
  ``cupy.get_array_module``; ``cupy.is_available``; ``cupy.cuda.is_available``,
  ``cupy.cuda.runtime.getDeviceCount`` / ``getDeviceProperties``.
* NumPy *ufuncs* called on a device array (``numpy.exp(x)``) run on the device,
  as CuPy's ``__array_ufunc__`` makes them; other ``numpy.*`` functions
  (``numpy.concatenate([x])``) raise ``TypeError``. (Stricter than CuPy, which
  forwards some of them through ``__array_function__``: tinydl must call the
  device module, so here that is an error.)

Not reproduced: CuPy's own kernels and their rounding, dtype rules where CuPy
differs from NumPy (float-to-int casts of negative or infinite values),
asynchronous execution, streams, memory pools and peer access.

Everything else in CuPy's namespace that tinydl might call (``cupy.exp``,
``cupy.zeros``, ``cupy.where``, ...) is NumPy's function of the same name,
called on the host copies and wrapped back, via a module ``__getattr__``.
``DEVICE_COUNT`` simulated GPUs are visible (2, so that "cuda:1" is testable).
"""
from __future__ import annotations

import math
import sys
import types
from typing import Any

import numpy

DEVICE_COUNT = 2
_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")
# NumPy names CuPy does not have: reaching for them on the device module is a bug.
_NOT_IN_CUPY = {"errstate", "seterr", "geterr", "seterrcall", "set_printoptions", "matrix", "asmatrix"}


# ------------------------------------------------------------------- devices
class CUDARuntimeError(RuntimeError):
    """cupy.cuda.runtime.CUDARuntimeError."""


_current_device = [0]  # a stack: the last entry is the current device


class Device:
    """cupy.cuda.Device(device=None): a GPU id; as a context manager, makes it current."""

    def __init__(self, device: Any = None) -> None:
        index = _current_device[-1] if device is None else int(device)
        if not 0 <= index < DEVICE_COUNT:
            raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
        self.id = index

    def __enter__(self) -> "Device":
        _current_device.append(self.id)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _current_device.pop()

    def use(self) -> None:
        _current_device[-1] = self.id

    def synchronize(self) -> None:
        """Nothing runs asynchronously here."""

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


def _current() -> int:
    return _current_device[-1]


# ------------------------------------------------------------------- arrays
class ndarray:  # noqa: N801  (CuPy's name)
    """cupy.ndarray(shape, dtype=float, memptr=None, strides=None, order='C'), on the current device."""

    __slots__ = ("_host", "_device_id", "base")

    def __init__(self, shape: Any, dtype: Any = float, memptr: Any = None, strides: Any = None,
                 order: str = "C") -> None:
        self._host = numpy.empty(shape, dtype=dtype, order=order)
        self._device_id = _current()
        self.base = None

    # ------------------------------------------------ what CuPy defines itself
    @property
    def device(self) -> Device:
        return Device(self._device_id)

    def get(self, stream: Any = None, order: str = "C", out: Any = None,
            blocking: bool = True) -> numpy.ndarray:
        """A copy in host memory (the only way out, with cupy.asnumpy)."""
        if out is not None:
            out[...] = self._host
            return out
        return numpy.array(self._host, order=order, copy=True)

    def set(self, arr: numpy.ndarray, stream: Any = None) -> None:
        if not isinstance(arr, numpy.ndarray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        if arr.dtype != self.dtype or arr.shape != self.shape:
            raise ValueError(f"Shape/dtype mismatch: {arr.shape} {arr.dtype} into {self.shape} {self.dtype}")
        self._host[...] = arr

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_IMPLICIT)

    def item(self, *args: Any) -> Any:
        return self.get().item(*args)

    def tolist(self) -> Any:
        return self.get().tolist()

    def __float__(self) -> float:
        return float(self.get())

    def __int__(self) -> int:
        return int(self.get())

    def __complex__(self) -> complex:
        return complex(self.get())

    def __bool__(self) -> bool:
        return bool(self.get())

    def __repr__(self) -> str:
        return repr(self.get())

    def __str__(self) -> str:
        return str(self.get())

    def __format__(self, spec: str) -> str:
        return format(self.get(), spec)

    def __len__(self) -> int:
        return len(self._host)

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, index: Any) -> "ndarray":
        return _call(lambda a, i: a[i], (self, _wrap_indices(self, index)), {})

    def __setitem__(self, index: Any, value: Any) -> None:
        _call(_assign, (self, _wrap_indices(self, index), value), {})

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy_array + device_array lands here: refused (numpy scalars are fine)."""
        if method != "__call__":
            return NotImplemented
        return _call(ufunc, inputs, kwargs)

    # ------------------------------------------- the rest: NumPy's, wrapped
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_host", "_device_id", "base"):
            raise AttributeError(name)  # never hand NumPy an __array_interface__
        value = getattr(self._host, name)
        if callable(value):
            return lambda *args, **kwargs: _call(getattr(numpy.ndarray, name), (self, *args), kwargs)
        return _wrap(value, self)


def _assign(host: numpy.ndarray, index: Any, value: Any) -> None:
    host[index] = value


def _binary(ufunc: Any, reflected: bool = False) -> Any:
    def operator(self: ndarray, other: Any) -> Any:
        if getattr(type(other), "__array_ufunc__", False) is None:  # e.g. a tinydl Tensor
            return NotImplemented
        return _call(ufunc, (other, self) if reflected else (self, other), {})
    return operator


def _in_place(ufunc: Any) -> Any:
    def operator(self: ndarray, other: Any) -> ndarray:
        _call(ufunc, (self, other), {"out": (self,)})
        return self
    return operator


for _name, _ufunc in {"add": numpy.add, "sub": numpy.subtract, "mul": numpy.multiply,
                      "truediv": numpy.true_divide, "floordiv": numpy.floor_divide, "mod": numpy.remainder,
                      "pow": numpy.power, "matmul": numpy.matmul, "and": numpy.bitwise_and,
                      "or": numpy.bitwise_or, "xor": numpy.bitwise_xor}.items():
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
    setattr(ndarray, f"__r{_name}__", _binary(_ufunc, reflected=True))
    setattr(ndarray, f"__i{_name}__", _in_place(_ufunc))
for _name, _ufunc in {"eq": numpy.equal, "ne": numpy.not_equal, "lt": numpy.less, "le": numpy.less_equal,
                      "gt": numpy.greater, "ge": numpy.greater_equal}.items():
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
ndarray.__neg__ = lambda self: _call(numpy.negative, (self,), {})
ndarray.__pos__ = lambda self: _call(numpy.positive, (self,), {})
ndarray.__abs__ = lambda self: _call(numpy.absolute, (self,), {})
ndarray.__invert__ = lambda self: _call(numpy.invert, (self,), {})
ndarray.__hash__ = None


def _from_host(host: numpy.ndarray, device_id: int) -> ndarray:
    array = ndarray.__new__(ndarray)
    array._host, array._device_id, array.base = host, device_id, None
    return array


def _owner(host: numpy.ndarray) -> Any:
    return host if host.base is None else host.base


# ------------------------------------------------- the dispatch: unwrap, call, wrap
def _unwrap(value: Any, sources: list) -> Any:
    """Device arrays -> their host copy (checking the device); host arrays -> TypeError."""
    if isinstance(value, ndarray):
        if value._device_id != _current():
            raise ValueError(f"The device where the array resides ({value._device_id}) is different from "
                             f"the current device ({_current()}). "
                             "Peer access is unavailable between these devices.")
        sources.append(value)
        return value._host
    if isinstance(value, numpy.ndarray):
        raise TypeError(f"Unsupported type {type(value)}")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(item, sources) for item in value)
    return value


def _wrap(value: Any, *sources: ndarray) -> Any:
    """Host results -> device arrays on the current device; a view keeps its source as .base."""
    if isinstance(value, numpy.ndarray):
        for source in sources:
            if value is source._host:  # astype(copy=False), reshape to the same shape ...: itself
                return source
        array = _from_host(value, _current())
        if value.base is not None:
            for source in sources:
                if _owner(value) is _owner(source._host):
                    array.base = source if source.base is None else source.base
                    break
        return array
    if isinstance(value, numpy.generic):  # CuPy's reductions return 0-d arrays
        return _from_host(numpy.asarray(value), _current())
    if isinstance(value, tuple):
        return tuple(_wrap(item, *sources) for item in value)
    if isinstance(value, list):
        return [_wrap(item, *sources) for item in value]
    return value


def _call(function: Any, args: tuple, kwargs: dict) -> Any:
    if isinstance(function, numpy.ufunc):  # CuPy's elementwise kernels take arrays and scalars only
        for arg in args:
            if isinstance(arg, (list, tuple)):
                raise TypeError(f"Unsupported type {type(arg)}")
    sources: list = []
    host_args = _unwrap(args, sources)
    host_kwargs = {key: _unwrap(value, sources) for key, value in kwargs.items()}
    out = kwargs.get("out")
    with numpy.errstate(all="ignore"):  # CuPy never warns about inf/nan
        result = function(*host_args, **host_kwargs)
    if out is not None:
        return out[0] if isinstance(out, tuple) and len(out) == 1 else out
    return _wrap(result, *sources)


def _wrap_indices(array: ndarray, index: Any) -> Any:
    """CuPy wraps out-of-range *integer-array* indices around; reproduce that."""
    items = list(index) if isinstance(index, tuple) else [index]
    consumed = sum(1 if not hasattr(i, "dtype") or i.dtype.kind != "b" else i.ndim
                   for i in items if i is not None and i is not Ellipsis)
    axis, result = 0, []
    for item in items:
        if isinstance(item, (list, numpy.ndarray)):
            item = asarray(item)  # CuPy uploads list / NumPy indices
        if item is Ellipsis:
            axis += array.ndim - consumed
        elif item is not None:
            is_integer_array = isinstance(item, ndarray) and item.dtype.kind in "iu"
            if is_integer_array and axis < array.ndim and array.shape[axis]:
                item = item % array.shape[axis]
            axis += item.ndim if isinstance(item, ndarray) and item.dtype.kind == "b" else 1
        result.append(item)
    return tuple(result)


# ------------------------------------------------------------- module functions
def asarray(a: Any, dtype: Any = None, order: Any = None, *, blocking: bool = False) -> ndarray:
    """Upload host data, or copy a device array from another device to the current one."""
    if isinstance(a, ndarray):
        if a._device_id == _current() and (dtype is None or numpy.dtype(dtype) == a.dtype):
            return a
        return _from_host(numpy.array(a._host, dtype=dtype, order=order), _current())
    return _from_host(numpy.array(_refuse_device_arrays_inside(a), dtype=dtype, order=order), _current())


def array(obj: Any, dtype: Any = None, copy: bool = True, order: str = "K", subok: bool = False,
          ndmin: int = 0, *, blocking: bool = False) -> ndarray:
    if isinstance(obj, ndarray):
        host = numpy.array(obj._host, dtype=dtype, copy=True, order=order, ndmin=ndmin)
    else:
        host = numpy.array(_refuse_device_arrays_inside(obj), dtype=dtype, copy=True, order=order,
                           ndmin=ndmin)
    return _from_host(host, _current())


def _refuse_device_arrays_inside(data: Any) -> Any:
    if isinstance(data, (list, tuple)) and any(isinstance(item, ndarray) for item in data):
        raise TypeError(_IMPLICIT)  # as cupy.array([cupy_array, ...]) does
    return data


def asnumpy(a: Any, stream: Any = None, order: str = "C", out: Any = None, *, blocking: bool = True) -> Any:
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out)
    return numpy.asarray(a, order=order)


def get_array_module(*args: Any) -> types.ModuleType:
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else numpy


def is_available() -> bool:
    return True


def __getattr__(name: str) -> Any:
    """cupy.exp, cupy.zeros, ...: NumPy's function of that name, on device arrays only."""
    if name.startswith("__") or name in _NOT_IN_CUPY:
        raise AttributeError(f"module 'cupy' has no attribute {name!r}")
    value = getattr(numpy, name)
    if isinstance(value, (type, types.ModuleType)) or not callable(value):
        if isinstance(value, types.ModuleType):
            raise AttributeError(f"strict_cupy does not provide cupy.{name}")
        return value  # dtypes, scalar types, constants (cupy.float32 is numpy.float32, cupy.pi ...)

    def on_device(*args: Any, **kwargs: Any) -> Any:
        return _call(value, args, kwargs)
    on_device.__name__ = name
    return on_device


# ------------------------------------------------------------------- random
class RandomState:
    """cupy.random.RandomState(seed=None): samples on the current device, with a ``dtype=`` argument."""

    def __init__(self, seed: Any = None) -> None:
        self._generator = numpy.random.default_rng(seed)

    def seed(self, seed: Any = None) -> None:
        self._generator = numpy.random.default_rng(seed)

    def _sample(self, host: Any, dtype: Any) -> ndarray:
        return _from_host(numpy.asarray(host, dtype=dtype), _current())

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None, dtype: Any = float) -> ndarray:
        return self._sample(self._generator.uniform(low, high, size), dtype)

    def random_sample(self, size: Any = None, dtype: Any = float) -> ndarray:
        return self._sample(self._generator.random(size), dtype)

    def rand(self, *size: int, dtype: Any = float) -> ndarray:
        return self.random_sample(size, dtype)

    def standard_normal(self, size: Any = None, dtype: Any = float) -> ndarray:
        return self._sample(self._generator.standard_normal(size), dtype)

    def randn(self, *size: int, dtype: Any = float) -> ndarray:
        return self.standard_normal(size, dtype)

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None, dtype: Any = float) -> ndarray:
        return self._sample(self._generator.normal(loc, scale, size), dtype)

    def randint(self, low: int, high: Any = None, size: Any = None, dtype: Any = "l") -> ndarray:
        if high is None:
            low, high = 0, low
        return self._sample(self._generator.integers(low, high, size), dtype)

    def permutation(self, num: Any) -> ndarray:
        if isinstance(num, ndarray):
            return _from_host(self._generator.permutation(num._host), _current())
        return self._sample(self._generator.permutation(num), "l")

    def binomial(self, n: Any, p: Any, size: Any = None, dtype: Any = int) -> ndarray:
        return self._sample(self._generator.binomial(n, p, size), dtype)


_random_states: dict[int, RandomState] = {}


def get_random_state() -> RandomState:
    """The current device's RandomState (CuPy keeps one per device)."""
    if _current() not in _random_states:
        _random_states[_current()] = RandomState()
    return _random_states[_current()]


def _seed(seed: Any = None) -> None:
    get_random_state().seed(seed)


random = types.ModuleType("cupy.random", "cupy.random: sampling on the current device (strict_cupy).")
random.RandomState = RandomState
random.get_random_state = get_random_state
random.seed = _seed


def _on_current_state(name: str) -> Any:
    """cupy.random.uniform(...) is the current device's RandomState().uniform(...)."""
    def sample(*args: Any, **kwargs: Any) -> ndarray:
        return getattr(get_random_state(), name)(*args, **kwargs)
    sample.__name__ = name
    return sample


for _name in ("uniform", "random_sample", "rand", "standard_normal", "randn", "normal", "randint",
              "permutation", "binomial"):
    setattr(random, _name, _on_current_state(_name))
random.random = random.random_sample


# ------------------------------------------------------------------- cupy.cuda
def _device_count() -> int:
    return DEVICE_COUNT


def _device_properties(index: int) -> dict:
    Device(index)  # range check
    return {"name": b"strict_cupy stand-in (no GPU; NumPy on the host)", "totalGlobalMem": 0}


runtime = types.SimpleNamespace(getDeviceCount=_device_count, getDeviceProperties=_device_properties,
                                getDevice=_current, CUDARuntimeError=CUDARuntimeError)
cuda = types.ModuleType("cupy.cuda", "cupy.cuda: devices and runtime (strict_cupy).")
cuda.Device = Device
cuda.runtime = runtime
cuda.is_available = is_available


# --------------------------------------------------------------- cupy.lib
def _as_strided(x: ndarray, shape: Any = None, strides: Any = None) -> ndarray:
    """cupy.lib.stride_tricks.as_strided(x, shape, strides): a strided view of x's memory."""
    if not isinstance(x, ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    return _call(lambda host: numpy.lib.stride_tricks.as_strided(host, shape=shape, strides=strides), (x,), {})


lib = types.ModuleType("cupy.lib", "cupy.lib: stride_tricks.as_strided (strict_cupy).")
lib.stride_tricks = types.ModuleType("cupy.lib.stride_tricks")
lib.stride_tricks.as_strided = _as_strided


# ------------------------------------------------------------------- cupyx
def scatter_add(a: ndarray, slices: Any, value: Any) -> None:
    """cupyx.scatter_add(a, slices, value): a[slices] += value, adding up repeated indices."""
    if not isinstance(a, ndarray):
        raise TypeError(f"scatter_add: a must be a cupy.ndarray, got {type(a).__name__}")
    _call(numpy.add.at, (a, _wrap_indices(a, slices), value), {})


def _erf(x: ndarray) -> ndarray:
    """cupyx.scipy.special.erf: elementwise on the device, same dtype (math.erf underneath)."""
    if not isinstance(x, ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    erf = numpy.vectorize(math.erf, otypes=[numpy.float64])
    return _call(lambda host: erf(host).astype(host.dtype), (x,), {})


cupyx = types.ModuleType("cupyx", "cupyx: scatter_add, scipy.special.erf (strict_cupy).")
cupyx.scatter_add = scatter_add
cupyx.scipy = types.ModuleType("cupyx.scipy")
cupyx.scipy.special = types.ModuleType("cupyx.scipy.special")
cupyx.scipy.special.erf = _erf


def install(monkeypatch: Any = None) -> types.ModuleType:
    """Register this module as ``cupy`` (and ``cupyx``, ``cupy.random``, ``cupy.cuda``) in sys.modules."""
    module = sys.modules[__name__]
    entries = {"cupy": module, "cupyx": cupyx, "cupy.random": random, "cupy.cuda": cuda,
               "cupyx.scipy": cupyx.scipy, "cupyx.scipy.special": cupyx.scipy.special}
    for name, value in entries.items():
        if monkeypatch is not None:
            monkeypatch.setitem(sys.modules, name, value)
        else:
            sys.modules[name] = value
    return module
