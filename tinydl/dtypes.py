"""dtypes and PyTorch's type-promotion rules.

tinydl's dtypes are numpy dtype objects (CuPy uses the same ones), exported as
``tinydl.float32`` and friends. What differs from NumPy is *promotion*:

* a Python scalar never changes a tensor's dtype within its category
  (``float32_tensor * 2.0`` stays float32);
* an integer tensor combined with a Python float, or with a float tensor,
  becomes the float dtype involved, float32 by default (NumPy would say float64);
* among tensors of the same category, 0-d tensors yield to dimensioned ones
  (``float32 tensor(3,) + float64 tensor(())`` is float32).
"""
from __future__ import annotations

from typing import Any

import numpy

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool_ = numpy.dtype("bool")

DEFAULT_FLOAT = float32  # the default float dtype at start-up; set_default_dtype changes it
DEFAULT_INT = int64
_default_float = DEFAULT_FLOAT


def get_default_dtype() -> numpy.dtype:
    """The dtype of new float tensors: float32 unless set_default_dtype changed it."""
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Make ``dtype`` (float32 or float64, as in PyTorch) the dtype of new float tensors.

    It is what ``tensor([1.5])``, ``zeros``, ``randn``, ``nn.Linear`` and an
    integer tensor times a Python float give. Tensors already made keep theirs.
    """
    global _default_float
    chosen = numpy.dtype(dtype)
    if chosen not in (float32, float64):
        raise TypeError(f"set_default_dtype: only floating-point types float32 and float64 are "
                        f"supported as the default type, got {chosen}")
    _default_float = chosen

# Category order: bool < integer < floating. Complex numbers are not supported.
_BOOL, _INT, _FLOAT = 0, 1, 2


def category(dtype: numpy.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point."""
    kind = dtype.kind
    if kind == "f":
        return _FLOAT
    if kind in "iu":
        return _INT
    if kind == "b":
        return _BOOL
    raise TypeError(f"tinydl does not support dtype {dtype}")


def is_floating(dtype: numpy.dtype) -> bool:
    return dtype.kind == "f"


def scalar_category(value: Any) -> int:
    """Category of a Python scalar (bool is checked before int: bool subclasses int)."""
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT
    if isinstance(value, float):
        return _FLOAT
    raise TypeError(f"expected a tensor or a Python number, got {type(value).__name__}")




def result_dtype(dtypes_with_ndim: list[tuple[numpy.dtype, int]], scalars: list[Any]) -> numpy.dtype:
    """The dtype PyTorch gives an op on tensors (dtype, ndim) and Python scalars.

    The winning category is the highest among all operands. Within it, dtypes
    of dimensioned tensors are promoted together; if there are none, 0-d
    tensors'; if only Python scalars reach that category, its default dtype.
    """
    top = max([category(dtype) for dtype, _ in dtypes_with_ndim] + [scalar_category(s) for s in scalars])
    for want_dimensioned in (True, False):
        candidates = [dtype for dtype, ndim in dtypes_with_ndim
                      if category(dtype) == top and (ndim > 0) == want_dimensioned]
        if candidates:
            result = candidates[0]
            for dtype in candidates[1:]:
                result = numpy.promote_types(result, dtype)
            return result
    return {_BOOL: bool_, _INT: DEFAULT_INT, _FLOAT: _default_float}[top]


def can_store(source: numpy.dtype, target: numpy.dtype) -> bool:
    """May a result of dtype ``source`` be written into a ``target`` tensor in place?

    As in PyTorch: not into a lower category (a float into an int tensor),
    but a wider float into a narrower one is fine (float64 -> float32).
    """
    return category(source) <= category(target)


def python_data_dtype(array: numpy.ndarray) -> numpy.dtype:
    """The dtype PyTorch gives data built from Python lists/numbers: float32, int64 or bool."""
    if array.dtype.kind == "f":
        return _default_float
    if array.dtype.kind in "iu":
        return DEFAULT_INT
    if array.dtype.kind == "b":
        return bool_
    raise TypeError(f"tensor(): cannot make a tensor from data of dtype {array.dtype} "
                    "(expected numbers or booleans)")
