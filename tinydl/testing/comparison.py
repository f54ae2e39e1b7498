"""``assert_close``: PyTorch's ``torch.testing.assert_close``, with the worst element's values shown.

    assert_close(layer(x), expected)            # tolerances chosen from the dtype
    assert_close(grads, [dW, db], rtol=1e-4, atol=1e-6)

Two values are close when, element by element,

    |actual - expected| <= atol + rtol * |expected|

(asymmetric: ``expected`` sets the scale). Infinities must be equal; NaN
equals NaN only with ``equal_nan=True``. Without rtol/atol the tolerances come
from the dtype, as in PyTorch:

    dtype                  rtol     atol
    float16                1e-3     1e-5
    float32, complex64     1.3e-6   1e-5
    float64, complex128    1e-7     1e-7
    integers, bool         0        0      (must be equal)

When the two dtypes differ (``check_dtype=False``), the looser of the two applies.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

import tinydl.backend as backend
from ..backend import Array
from ..engine import Tensor
from ..size import Size

__all__ = ["assert_close", "default_tolerances"]

# (rtol, atol) per dtype name: torch.testing's table.
_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


def default_tolerances(*dtypes: Any) -> tuple[float, float]:
    """(rtol, atol) for comparing values of these dtypes: the loosest of their defaults.

    >>> default_tolerances(tinydl.float32)
    (1.3e-06, 1e-05)
    """
    pairs = [_TOLERANCES.get(backend.as_numpy_dtype(dtype).name, (0.0, 0.0)) for dtype in dtypes]
    return max(rtol for rtol, _ in pairs), max(atol for _, atol in pairs)


class _Mismatch(AssertionError):
    """A failed comparison deep inside containers; ``path`` says where ("[1]['bias']")."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message, self.path = message, path


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close; PyTorch's semantics.

    Both may be Tensors, NumPy/CuPy arrays, Python numbers, or (nested) lists,
    tuples and dicts of those, compared item by item. Tensors and arrays must
    have the same shape, the same dtype (unless ``check_dtype=False``) and the
    same device (unless ``check_device=False``). Pass ``rtol`` and ``atol``
    together or neither (then they follow the dtype; see the module docstring).

    The message, like PyTorch's, counts the mismatched elements and names the
    greatest absolute and relative differences and where they are; it also
    gives the two values there::

        Tensor-likes are not close!

        Mismatched elements: 1 / 3 (33.3%)
        Greatest absolute difference: 0.5 at index (1,), actual 2.0 vs expected 2.5 (up to 1e-05 allowed)
        Greatest relative difference: 0.2 at index (1,), actual 2.0 vs expected 2.5 (up to 1.3e-06 allowed)

    ``msg`` replaces that message (a string), or edits it (a function of it).
    One difference from PyTorch: a Tensor may be compared with a NumPy array
    (a reference result computed in NumPy), where PyTorch wants both Tensors.

    >>> assert_close(tinydl.tensor([1.0, 2.0]), numpy.array([1.0, 2.0], dtype="float32"))
    """
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    try:
        _compare(actual, expected, "", rtol, atol, equal_nan, check_device, check_dtype)
    except _Mismatch as mismatch:
        message = mismatch.message
        if mismatch.path:
            message += f"\n\nThe failure occurred for item {mismatch.path}"
        if callable(msg):
            message = msg(message)
        elif msg is not None:
            message = msg
        raise AssertionError(message) from None


def _is_tensor_like(value: Any) -> bool:
    return isinstance(value, Tensor) or backend.is_numpy_scalar(value) or backend.is_ndarray(value)


def _compare(actual: Any, expected: Any, path: str, rtol: float | None, atol: float | None,
             equal_nan: bool, check_device: bool, check_dtype: bool) -> None:
    """Dispatch on the kind of the two values: containers recurse, leaves are compared."""
    options = (rtol, atol, equal_nan, check_device, check_dtype)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        missing = [key for key in expected if key not in actual]
        extra = [key for key in actual if key not in expected]
        if missing or extra:
            raise _Mismatch("The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: {_sorted(missing)}\n"
                            f"Additional keys in the actual mapping: {_sorted(extra)}", path)
        for key in expected:
            _compare(actual[key], expected[key], f"{path}[{key!r}]", *options)
    elif _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", path)
        for index, (item_actual, item_expected) in enumerate(zip(actual, expected)):
            _compare(item_actual, item_expected, f"{path}[{index}]", *options)
    elif isinstance(actual, bool) and isinstance(expected, bool):
        if actual is not expected:
            raise _Mismatch(f"Booleans mismatch: {actual} is not {expected}", path)
    elif _is_number(actual) and _is_number(expected):
        if check_dtype and type(actual) is not type(expected):
            raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.", path)
        _compare_arrays(backend.array_from_python(actual, "assert_close"), backend.array_from_python(expected, "assert_close"), path, *options)
    elif _is_tensor_like(actual) and _is_tensor_like(expected):
        _compare_tensor_likes(actual, expected, path, *options)
    else:
        hint = ""
        if _is_tensor_like(actual) or _is_tensor_like(expected):
            hint = (" Compare a tensor with a tensor or an array: tinydl.tensor(value) turns a number or "
                    "a list into one.")
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                        f"{type(expected)}.{hint}")


def _sorted(keys: list) -> list:
    try:
        return sorted(keys)
    except TypeError:  # keys of mixed types
        return keys


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and not isinstance(value, Size)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, complex)) and not isinstance(value, bool)


def _compare_tensor_likes(actual: Any, expected: Any, path: str, rtol: float | None, atol: float | None,
                          equal_nan: bool, check_device: bool, check_dtype: bool) -> None:
    """Shape, device and dtype must agree (PyTorch's attribute checks), then the values."""
    actual_array, expected_array = _array(actual), _array(expected)
    if actual_array.shape != expected_array.shape:
        raise _Mismatch(f"The values for attribute 'shape' do not match: {Size(actual_array.shape)!r} != "
                        f"{Size(expected_array.shape)!r}.", path)
    actual_device, expected_device = backend.device_of(actual_array), backend.device_of(expected_array)
    if check_device and actual_device != expected_device:
        raise _Mismatch(f"The values for attribute 'device' do not match: {actual_device} != "
                        f"{expected_device}.", path)
    if check_dtype and actual_array.dtype != expected_array.dtype:
        raise _Mismatch(f"The values for attribute 'dtype' do not match: tinydl.{actual_array.dtype} != "
                        f"tinydl.{expected_array.dtype}.", path)
    _compare_arrays(backend.to_device(actual_array, "cpu"), backend.to_device(expected_array, "cpu"), path,
                    rtol, atol, equal_nan)


def _array(value: Any) -> Array:
    """The ndarray (NumPy or CuPy) holding a tensor-like's values."""
    if isinstance(value, Tensor):
        return value.array
    return backend.array_from_python(value, "assert_close") if backend.is_numpy_scalar(value) else value


def _compare_arrays(actual: Array, expected: Array, path: str, rtol: float | None, atol: float | None,
                    equal_nan: bool, *unused: Any) -> None:
    """Element-wise |actual - expected| <= atol + rtol |expected| of two host arrays; on failure,
    describe the worst element."""
    if rtol is None:
        rtol, atol = default_tolerances(actual.dtype, expected.dtype)
    xp = backend.get_array_module(actual)  # NumPy: both arrays are on the host by now
    # Differences in float64 (complex128 for complex values): exact for float32 inputs, and no
    # wrap-around for unsigned integers.
    wide = "complex128" if "c" in (actual.dtype.kind, expected.dtype.kind) else "float64"
    a, e = actual.astype(wide), expected.astype(wide)
    with xp.errstate(invalid="ignore", divide="ignore", over="ignore"):
        equal = a == e  # also matches equal infinities, whose difference would be nan
        if equal_nan:
            equal |= xp.isnan(a) & xp.isnan(e)
        difference = xp.where(equal, 0.0, xp.abs(a - e))
        # An infinity is close only to itself (inf <= atol + rtol * inf would hold for any value).
        close = equal | (xp.isfinite(a) & xp.isfinite(e) & (difference <= atol + rtol * xp.abs(e)))
        if close.all():
            return
        relative = xp.where(difference == 0, 0.0, difference / xp.abs(e))
    if actual.dtype.kind in "biu" and expected.dtype.kind in "biu":
        difference = difference.astype("int64")  # integers differ by integers: print 1, not 1.0
    verdict = "equal" if rtol == 0 and atol == 0 else "close"
    if actual.ndim == 0:
        raise _Mismatch(f"Scalars are not {verdict}!\n\n"
                        f"Expected {_number(expected[()])} but got {_number(actual[()])}.\n"
                        f"Absolute difference: {_number(difference[()])}{_allowed(atol, verdict)}\n"
                        f"Relative difference: {_number(relative[()])}{_allowed(rtol, verdict)}", path)
    mismatched = int((~close).sum())
    lines = [f"Tensor-likes are not {verdict}!", "",
             f"Mismatched elements: {mismatched} / {close.size} ({100 * mismatched / close.size:.1f}%)"]
    for kind, values, tolerance in (("absolute", difference, atol), ("relative", relative, rtol)):
        index = _worst(values, xp)
        lines.append(f"Greatest {kind} difference: {_number(values[index])} at index {index}, actual "
                     f"{_number(actual[index])} vs expected {_number(expected[index])}"
                     f"{_allowed(tolerance, verdict)}")
    raise _Mismatch("\n".join(lines), path)


def _worst(values: Array, xp: Any) -> tuple:
    """The index of the greatest value, a NaN counting as greater than everything (as in PyTorch)."""
    nans = xp.isnan(values)
    flat = int(xp.argmax(nans)) if nans.any() else int(xp.argmax(values))
    return tuple(int(k) for k in xp.unravel_index(flat, values.shape))


def _allowed(tolerance: float, verdict: str) -> str:
    return "" if verdict == "equal" else f" (up to {tolerance:g} allowed)"


def _number(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds, so that it prints as ``2.5``, not ``np.float32(2.5)``."""
    return value.item() if backend.is_numpy_scalar(value) else value
