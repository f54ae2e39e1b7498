"""The one table that gives Tensor its operators and methods.

tensor.py cannot import the ops (they are built on top of it), so the
methods are attached here, once, in plain sight: ``x + y`` is ``add(x, y)``,
``x.sum(1)`` is ``sum(x, 1)``, and so on.
"""
from __future__ import annotations

from typing import Any, Callable

import tinydl.dtypes as dtypes
import tinydl.functional as F
from .tensor import Tensor


def _reflected(function: Callable) -> Callable:
    """b.__rsub__(a) is a - b: swap the operands."""
    def method(self: Tensor, other: Any) -> Tensor:
        return function(other, self)
    return method


def _comparison(function: Callable) -> Callable:
    """`tensor == None` and other non-numbers fall back to Python's default."""
    def method(self: Tensor, other: Any) -> Any:
        if not isinstance(other, (Tensor, bool, int, float)):
            return NotImplemented
        return function(self, other)
    return method


def _cast_to(dtype: Any) -> Callable:
    def method(self: Tensor) -> Tensor:
        return F.cast(self, dtype)
    return method


def _iterate(self: Tensor) -> Any:
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


def _cuda(self: Tensor, device: Any = "cuda") -> Tensor:
    return F.to_device(self, device)


def _expand_as(self: Tensor, other: Tensor) -> Tensor:
    return F.expand(self, other.shape)


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    return F.reshape(self, other.shape)


METHODS: dict[str, Callable] = {
    # arithmetic operators
    "__add__": F.add, "__radd__": _reflected(F.add),
    "__sub__": F.sub, "__rsub__": _reflected(F.sub),
    "__mul__": F.mul, "__rmul__": _reflected(F.mul),
    "__truediv__": F.div, "__rtruediv__": _reflected(F.div),
    "__pow__": F.pow, "__rpow__": _reflected(F.pow),
    "__matmul__": F.matmul, "__rmatmul__": _reflected(F.matmul),
    "__neg__": F.neg, "__pos__": lambda self: self, "__abs__": F.abs,
    "__getitem__": F.getitem, "__iter__": _iterate,
    # comparisons and logic: bool tensors, no gradient
    "__eq__": _comparison(F.eq), "__ne__": _comparison(F.ne),
    "__lt__": _comparison(F.lt), "__le__": _comparison(F.le),
    "__gt__": _comparison(F.gt), "__ge__": _comparison(F.ge),
    "__invert__": F.logical_not,
    "__and__": F.logical_and, "__or__": F.logical_or, "__xor__": F.logical_xor,
    "eq": F.eq, "ne": F.ne, "lt": F.lt, "le": F.le, "gt": F.gt, "ge": F.ge,
    # math
    "add": F.add, "sub": F.sub, "mul": F.mul, "div": F.div, "pow": F.pow, "neg": F.neg,
    "exp": F.exp, "log": F.log, "sqrt": F.sqrt, "abs": F.abs, "relu": F.relu,
    "sigmoid": F.sigmoid, "tanh": F.tanh, "clamp": F.clamp, "clip": F.clamp,
    "maximum": F.maximum, "minimum": F.minimum, "matmul": F.matmul,
    # reductions
    "sum": F.sum, "mean": F.mean, "max": F.max, "min": F.min, "argmax": F.argmax,
    "argmin": F.argmin, "var": F.var, "std": F.std, "logsumexp": F.logsumexp,
    "softmax": F.softmax, "log_softmax": F.log_softmax,
    # shape
    "reshape": F.reshape, "view": F.view, "transpose": F.transpose, "permute": F.permute,
    "unsqueeze": F.unsqueeze, "squeeze": F.squeeze, "flatten": F.flatten, "expand": F.expand,
    "expand_as": _expand_as, "view_as": _view_as, "t": F.t, "T": property(F.t),
    # dtype and device
    "to": F.to, "cpu": lambda self: F.to_device(self, "cpu"), "cuda": _cuda,
    "float": _cast_to(dtypes.float32), "double": _cast_to(dtypes.float64),
    "long": _cast_to(dtypes.int64), "int": _cast_to(dtypes.int32), "bool": _cast_to(dtypes.bool_),
    "type": lambda self, dtype: F.cast(self, dtype),
}

for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)
