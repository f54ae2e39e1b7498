"""dtypes and PyTorch's type-promotion rules.

A tensor's data has a numpy dtype (CuPy uses the same ones); ``tensor.dtype``
and ``tinydl.float32`` and friends wrap it in :class:`dtype`, which prints as
PyTorch's (``tinydl.float32``) and compares equal to the numpy dtype. What differs from NumPy is *promotion*:

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

import tinydl.backend as backend



class dtype:  # noqa: N801  (PyTorch's name: isinstance(x.dtype, tinydl.dtype))
    """A tensor's element type, as ``tensor.dtype`` and ``tinydl.float32`` give it.

    It prints as PyTorch's does (``tinydl.float32``) and wraps the numpy dtype
    that really describes the data. It compares equal to that numpy dtype, to
    ``numpy.float32`` and to ``"float32"``, and NumPy and CuPy accept it wherever
    they take a dtype (through its ``.dtype`` attribute, NumPy's protocol for that).
    """

    __slots__ = ("numpy_dtype",)

    def __init__(self, numpy_dtype: Any) -> None:
        self.numpy_dtype = numpy.dtype(numpy_dtype)

    @property
    def dtype(self) -> numpy.dtype:
        """The numpy dtype; NumPy's ``numpy.dtype(x)`` and ``astype(x)`` read this attribute."""
        return self.numpy_dtype

    # What the engine reads (numpy's names) and what PyTorch users read (torch's names).
    kind = property(lambda self: self.numpy_dtype.kind)
    itemsize = property(lambda self: self.numpy_dtype.itemsize)
    name = property(lambda self: self.numpy_dtype.name)
    type = property(lambda self: self.numpy_dtype.type)
    is_floating_point = property(lambda self: self.numpy_dtype.kind == "f")
    is_signed = property(lambda self: self.numpy_dtype.kind in "if")
    is_complex = property(lambda self: self.numpy_dtype.kind == "c")

    def __eq__(self, other: Any) -> Any:
        if isinstance(other, dtype):
            return self.numpy_dtype == other.numpy_dtype
        try:
            return self.numpy_dtype == other
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.numpy_dtype)  # equal to the numpy dtype's: both work as one dict key

    def __repr__(self) -> str:
        return f"tinydl.{self.numpy_dtype.name}"

    def __reduce__(self) -> tuple:
        return (wrap, (self.numpy_dtype,))  # unpickles to the one object for that dtype


_WRAPPED: dict = {}


def wrap(numpy_dtype: numpy.dtype) -> dtype:
    """The tinydl dtype for a numpy dtype (one object per dtype, made on first use)."""
    wrapped = _WRAPPED.get(numpy_dtype)
    if wrapped is None:
        wrapped = _WRAPPED[numpy_dtype] = dtype(numpy_dtype)
    return wrapped


float16 = wrap(numpy.dtype("float16"))
float32 = wrap(numpy.dtype("float32"))
float64 = wrap(numpy.dtype("float64"))
int8 = wrap(numpy.dtype("int8"))
int16 = wrap(numpy.dtype("int16"))
int32 = wrap(numpy.dtype("int32"))
int64 = wrap(numpy.dtype("int64"))
uint8 = wrap(numpy.dtype("uint8"))
bool_ = wrap(numpy.dtype("bool"))

# The engine's own defaults are plain numpy dtypes: they go straight into numpy calls.
DEFAULT_FLOAT = numpy.dtype("float32")  # the default float dtype at start-up; set_default_dtype changes it
DEFAULT_INT = numpy.dtype("int64")
_default_float = DEFAULT_FLOAT


def get_default_dtype() -> dtype:
    """The dtype of new float tensors: float32 unless set_default_dtype changed it."""
    return wrap(_default_float)


def float_dtype(dtype: Any = None) -> numpy.dtype:
    """The numpy dtype a ``dtype=`` argument asks for; the default float dtype when it is None.

    Layers (Linear, Conv2d, BatchNorm, Embedding) and samplers read their ``dtype=`` through this,
    so ``set_default_dtype(tinydl.float64)`` reaches all of them.
    """
    return _default_float if dtype is None else backend.as_numpy_dtype(dtype)


def set_default_dtype(new_default: Any) -> None:
    """Make ``new_default`` (float32 or float64, as in PyTorch) the dtype of new float tensors.

    It is what ``tensor([1.5])``, ``zeros``, ``randn``, ``nn.Linear`` and an
    integer tensor times a Python float give. Tensors already made keep theirs.
    """
    global _default_float
    chosen = numpy.dtype(getattr(new_default, "dtype", new_default))
    if chosen not in (numpy.float32, numpy.float64):
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
    return {_BOOL: numpy.dtype("bool"), _INT: DEFAULT_INT, _FLOAT: _default_float}[top]


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
        return numpy.dtype("bool")
    raise TypeError(f"tensor(): cannot make a tensor from data of dtype {array.dtype} "
                    "(expected numbers or booleans)")


_PYTHON_SCALAR_DTYPES = {bool: numpy.dtype("bool"), int: DEFAULT_INT, float: None}  # float: the default


def _python_scalar_dtype(kind: type) -> numpy.dtype:
    return _PYTHON_SCALAR_DTYPES[kind] or _default_float


def inferred_dtype(data: Any) -> numpy.dtype:
    """The dtype ``torch.tensor(data)`` infers for nested lists of numbers.

    Each item has a dtype: Python floats float32, ints int64, bools bool, while
    NumPy scalars, arrays and tensors keep their own (``np.float64(0.1)`` is
    float64). The items' dtypes combine as an op's would: the highest category
    wins (``[1, 2.5]`` is float32), within it the wider dtype. An empty list is
    float32.
    """
    found: set = set()
    _collect_item_dtypes(data, found)
    for dtype in found:
        if dtype.kind not in "biuf":
            raise TypeError(f"tensor(): cannot make a tensor from data of dtype {dtype} "
                            "(expected numbers or booleans)")
    if len(found) <= 1:  # the common case: all items alike (or no items: float32)
        return found.pop() if found else _default_float
    return result_dtype([(dtype, 1) for dtype in found], [])


def _collect_item_dtypes(data: Any, found: set) -> None:
    """Add the dtype of every leaf of nested lists/tuples in ``data`` to ``found``."""
    if isinstance(data, (list, tuple)):
        item_types = set(map(type, data))  # one pass at C speed; recurse only into sublists
        if item_types <= _PYTHON_SCALAR_DTYPES.keys():
            found.update(_python_scalar_dtype(kind) for kind in item_types)
            return
        for item in data:
            _collect_item_dtypes(item, found)
    elif type(data) in _PYTHON_SCALAR_DTYPES:  # exact types: numpy.float64 subclasses float
        found.add(_python_scalar_dtype(type(data)))
    elif isinstance(getattr(data, "dtype", None), (numpy.dtype, dtype)):  # numpy scalar, ndarray, Tensor
        found.add(numpy.dtype(getattr(data.dtype, "numpy_dtype", data.dtype)))
    else:
        found.add(numpy.asarray(data).dtype)  # anything else: let NumPy say what it is
