"""Comparisons and logic: == != < <= > >=, and, or, xor, not. Bool results, never in the graph."""
from __future__ import annotations

import tinydl.backend as backend
from ..engine import Tensor
from .common import Operand, broadcast_error, promote
from .registry import public


# ------------------------------------------------------------ comparisons
def compare(op_name: str, a: Operand, b: Operand) -> Tensor:
    """A bool tensor, never part of the graph (comparisons have no gradient)."""
    a, b = promote(op_name, a, b)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.device != b.device:
        raise backend.DeviceError(f"{op_name}: expected both tensors on one device, got {a.device} and {b.device}")
    left = a.array if isinstance(a, Tensor) else a
    right = b.array if isinstance(b, Tensor) else b
    try:
        result = _COMPARISONS[op_name](left, right)
    except ValueError as error:
        raise broadcast_error(op_name, error, a, b) from None
    return Tensor(backend.scalar_to_array(result))  # 0-d operands give a numpy.bool_: make it 0-d again


_COMPARISONS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "logical_and": lambda a, b: a & b,
    "logical_or": lambda a, b: a | b,
    "logical_xor": lambda a, b: a ^ b,
}


@public
def eq(a: Operand, b: Operand) -> Tensor:
    return compare("eq", a, b)


@public
def ne(a: Operand, b: Operand) -> Tensor:
    return compare("ne", a, b)


@public
def lt(a: Operand, b: Operand) -> Tensor:
    return compare("lt", a, b)


@public
def le(a: Operand, b: Operand) -> Tensor:
    return compare("le", a, b)


@public
def gt(a: Operand, b: Operand) -> Tensor:
    return compare("gt", a, b)


@public
def ge(a: Operand, b: Operand) -> Tensor:
    return compare("ge", a, b)


@public(method=False)
def logical_and(a: Operand, b: Operand) -> Tensor:
    return compare("logical_and", a, b)


@public(method=False)
def logical_or(a: Operand, b: Operand) -> Tensor:
    return compare("logical_or", a, b)


@public(method=False)
def logical_xor(a: Operand, b: Operand) -> Tensor:
    return compare("logical_xor", a, b)


@public(method=False)
def logical_not(x: Tensor) -> Tensor:
    if x.dtype.kind not in "biu":
        raise TypeError(f"logical_not (~): expected a bool or integer tensor, got {x.dtype}")
    return Tensor(backend.scalar_to_array(~x.array))
