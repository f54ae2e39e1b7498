"""Making tensors: tensor(), zeros(), randn() and the rest, with PyTorch's dtype rules.

Python floats (and lists of them) become float32, Python ints int64, bools
bool; NumPy/CuPy arrays keep their dtype. ``device=None`` means the default
device ("cpu", or $TINYDL_DEVICE).
"""
from __future__ import annotations

import numbers

from typing import Any, Sequence

import tinydl.backend as backend
import tinydl.dtypes as dtypes
import tinydl.rng as rng
from .engine import Tensor
from .ops.common import unpack_sizes

Shape = Sequence[int]


def _dtype_or(dtype: Any, default: Any) -> Any:
    return default if dtype is None else backend.as_numpy_dtype(dtype)


def _shape(size: tuple) -> tuple:
    """The shape of zeros(2, 3) or zeros((2, 3)), checked: non-negative integers only."""
    shape = unpack_sizes(size)
    for n in shape:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"sizes must be non-negative integers, got {shape}")
    return shape


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, ndarray or Tensor)."""
    # A Tensor or GPU array stays where it is unless device= says otherwise; host data goes to the
    # default device (set_default_device), as in PyTorch.
    stays = isinstance(data, Tensor) or backend.is_ndarray(data) and backend.device_of(data) != "cpu"
    if isinstance(data, Tensor):
        data = data.array
    if backend.is_ndarray(data):
        if device is None and stays:
            device = backend.device_of(data)
        target = backend.normalize_device(device)
        array = backend.to_device(data, target)
        with backend.device_scope(array):  # CuPy copies on its current GPU: the target
            array = array.astype(_dtype_or(dtype, array.dtype), copy=True)
        return Tensor(array, requires_grad=requires_grad)
    # Python floats are float32 unless dtype says otherwise; NumPy scalars keep their dtype.
    # Convert straight to the target dtype: through float32 first, 0.1 would lose digits.
    target_dtype = dtypes.inferred_dtype(data) if dtype is None else backend.as_numpy_dtype(dtype)
    host = backend.array_from_python(data, "tensor").astype(target_dtype, copy=False)
    array = backend.to_device(host, backend.normalize_device(device))
    return Tensor(array, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like tensor(), but shares memory with a Tensor or ndarray when it can."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if backend.is_ndarray(data) and dtype is None and device is None and (
            backend.device_of(data) != "cpu" or backend.default_device() == "cpu"):
        return Tensor(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: Any) -> Tensor:
    """A CPU tensor that shares memory with the numpy array."""
    if not backend.is_ndarray(array) or backend.device_of(array) != "cpu":
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def FloatTensor(*data: Any) -> Tensor:  # noqa: N802  (PyTorch's legacy name)
    """Legacy constructor: FloatTensor(data) converts to float32; FloatTensor(2, 3) makes zeros."""
    if data and all(isinstance(n, int) and not isinstance(n, bool) for n in data):
        return zeros(*data, dtype=dtypes.float32)
    (values,) = data
    return tensor(values, dtype=dtypes.float32)


def LongTensor(*data: Any) -> Tensor:  # noqa: N802
    """Legacy constructor: LongTensor(data) converts to int64; LongTensor(2, 3) makes zeros."""
    if data and all(isinstance(n, int) and not isinstance(n, bool) for n in data):
        return zeros(*data, dtype=dtypes.int64)
    (values,) = data
    return tensor(values, dtype=dtypes.int64)


def full(size: Shape, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from it, as PyTorch)."""
    if dtype is None:
        dtype = dtypes.python_data_dtype(backend.array_from_python(fill_value, "full"))
    xp = backend.module_for_device(backend.normalize_device(device))
    array = xp.full(_shape((size,) if isinstance(size, int) else tuple(size)), fill_value,
                    dtype=backend.as_numpy_dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    xp = backend.module_for_device(backend.normalize_device(device))
    array = xp.zeros(_shape(size), dtype=_dtype_or(dtype, dtypes.get_default_dtype()))
    return Tensor(array, requires_grad=requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    xp = backend.module_for_device(backend.normalize_device(device))
    array = xp.ones(_shape(size), dtype=_dtype_or(dtype, dtypes.get_default_dtype()))
    return Tensor(array, requires_grad=requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's ``torch.empty``, for code that allocates and then fills. PyTorch leaves the memory
    uninitialised; tinydl gives zeros (the same cost in NumPy, and no garbage values to puzzle over)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(other: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's ``torch.empty_like``: zeros here (see :func:`empty`)."""
    return zeros_like(other, dtype=dtype, device=device, requires_grad=requires_grad)


def _like(other: Tensor, dtype: Any, device: Any) -> tuple:
    device = backend.normalize_device(device) if device is not None else other.device
    return backend.module_for_device(device), _dtype_or(dtype, other.dtype)


def zeros_like(other: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    xp, dtype = _like(other, dtype, device)
    return Tensor(xp.zeros(other.shape, dtype=dtype), requires_grad=requires_grad)


def ones_like(other: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    xp, dtype = _like(other, dtype, device)
    return Tensor(xp.ones(other.shape, dtype=dtype), requires_grad=requires_grad)


def full_like(other: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    xp, dtype = _like(other, dtype, device)
    return Tensor(xp.full(other.shape, fill_value, dtype=dtype), requires_grad=requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive); int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = dtypes.DEFAULT_INT if is_int else dtypes.get_default_dtype()
    xp = backend.module_for_device(backend.normalize_device(device))
    array = xp.arange(start, end, step, dtype=backend.as_numpy_dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    xp = backend.module_for_device(backend.normalize_device(device))
    array = xp.linspace(start, end, steps, dtype=_dtype_or(dtype, dtypes.get_default_dtype()))
    return Tensor(array, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    xp = backend.module_for_device(backend.normalize_device(device))
    array = xp.eye(n, m, dtype=_dtype_or(dtype, dtypes.get_default_dtype()))
    return Tensor(array, requires_grad=requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         generator: Any = None) -> Tensor:
    """Uniform samples in [0, 1) (seed with tinydl.manual_seed, or pass a tinydl.Generator)."""
    xp = backend.module_for_device(backend.normalize_device(device))
    dtype = _dtype_or(dtype, dtypes.get_default_dtype())
    array = rng.uniform(xp, 0.0, 1.0, _shape(size), dtype, generator)
    return Tensor(array, requires_grad=requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          generator: Any = None) -> Tensor:
    """Standard normal samples (seed with tinydl.manual_seed, or pass a tinydl.Generator)."""
    xp = backend.module_for_device(backend.normalize_device(device))
    dtype = _dtype_or(dtype, dtypes.get_default_dtype())
    array = rng.standard_normal(xp, _shape(size), dtype, generator)
    return Tensor(array, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: Shape = (), dtype: Any = None,
            device: Any = None, generator: Any = None) -> Tensor:
    """Integers in [low, high); randint(high, size) also works, as in PyTorch."""
    if high is None:
        low, high = 0, low
    if isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    xp = backend.module_for_device(backend.normalize_device(device))
    return Tensor(rng.integers(xp, low, high, _shape(tuple(size)), _dtype_or(dtype, dtypes.DEFAULT_INT),
                                   generator))


def manual_seed(seed: int) -> rng.Generator:
    """Seed tinydl's random generators on every backend (rand, randn, init, dropout).

    Returns the default generator, as PyTorch does (``.initial_seed()`` gives ``seed`` back).
    """
    return rng.manual_seed(seed)
