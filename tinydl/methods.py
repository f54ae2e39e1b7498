"""Tensor's operators and methods, attached in one place.

engine.py cannot import the ops (they are built on top of it), so the
methods are attached here, once, in plain sight. Two sources:

* every op registered with ``@public`` (see ``tinydl/ops/registry.py``):
  ``x.sum(1)`` is ``sum(x, 1)``, ``x.relu()`` is ``relu(x)``;
* the table below, for what only a Tensor has: operators (``x + y`` is
  ``add(x, y)``), in-place methods (``x += y``, ``x.zero_()``), casts
  (``x.float()``), ``.T`` and ``.mT``, and the in-place random fills (``w.normal_()``).
"""
from __future__ import annotations

from typing import Any, Callable

import tinydl.backend as backend
import tinydl.dtypes as dtypes
import tinydl.functional as F
import tinydl.random as random
from .creation import full_like
from .ops.registry import METHODS as OP_METHODS
from .ops.shape import array_index, out_of_range, setitem
from .engine import Tensor, is_grad_enabled


def _reflected(function: Callable) -> Callable:
    """b.__rsub__(a) is a - b: swap the operands."""
    def method(self: Tensor, other: Any) -> Tensor:
        return function(other, self)
    return method


def _comparison(function: Callable) -> Callable:
    """`tensor == None` and other non-numbers fall back to Python's default."""
    def method(self: Tensor, other: Any) -> Any:
        if not isinstance(other, (Tensor, bool, int, float)) and not backend.is_numpy_scalar(other):
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


def _matrix_transpose(self: Tensor) -> Tensor:
    """x.mT: the last two dimensions swapped (a batch of matrices, each transposed)."""
    if self.ndim < 2:
        raise ValueError(f"tensor.mT is only supported on matrices or batches of matrices, got a "
                         f"{self.ndim}-D tensor")
    return F.transpose(self, -2, -1)


# ------------------------------------------------------------ in place
# Two paths, as in PyTorch:
# * Nothing to record (grad mode off, or no tensor involved requires grad): the
#   values are written into the tensor's own array and its version counter goes
#   up, so a backward that saved the old values refuses to run (see
#   _check_saved in engine.py). The manual SGD step
#   ``with tinydl.no_grad(): w -= lr * w.grad`` takes this path.
# * Something requires grad: the result is computed out of place, recorded in
#   the graph, and the tensor takes it over (new values, new grad_fn). Nodes
#   recorded before keep pointing at the old node and the old values, so
#   ``reg += (w * w).sum()`` and ``out[t] = h`` give PyTorch's gradients.
#   Unlike PyTorch, the tensor gets a new array: views taken of it earlier do
#   not see the change.
def _records_graph(self: Tensor, *values: Any) -> bool:
    return is_grad_enabled() and (self.requires_grad or any(isinstance(v, Tensor) and v.requires_grad
                                                            for v in values))


def _refuse_leaf(self: Tensor, name: str) -> None:
    if self.requires_grad and self.grad_fn is None:
        raise RuntimeError(
            f"{name}: in-place change of a leaf tensor that requires grad (a parameter or an input "
            f"created with requires_grad=True); autograd needs its value as it was. Inside "
            f"`with tinydl.no_grad():` it is allowed (e.g. a manual SGD step), otherwise write x = x + y")


def _take_over(self: Tensor, result: Tensor, name: str) -> Tensor:
    """self becomes result (recorded path): same Python object, new values and grad_fn."""
    if tuple(result.shape) != tuple(self.shape):
        raise ValueError(f"{name}: the result has shape {tuple(result.shape)}, which does not fit "
                         f"in place in the tensor of shape {tuple(self.shape)}")
    if result.dtype != self.dtype:
        if not dtypes.can_store(result.dtype, self.dtype):
            raise TypeError(f"{name}: the result has dtype {result.dtype}, which cannot be stored "
                            f"in place in a {self.dtype} tensor")
        result = F.cast(result, self.dtype)
    self.array, self._versions = result.array, result._versions
    self.grad_fn, self.requires_grad = result.grad_fn, result.requires_grad
    return self


def _store(self: Tensor, values: Any, name: str) -> Tensor:
    """Write values (a tensor broadcastable to self, or a number) into self's own array."""
    if isinstance(values, Tensor):
        if not dtypes.can_store(values.dtype, self.dtype):
            raise TypeError(f"{name}: the result has dtype {values.dtype}, which cannot be stored "
                            f"in place in a {self.dtype} tensor")
        values = F.to_device(values, self.device).array
    try:
        with backend.device_scope(self.array):  # CuPy writes on its current GPU: make it self's
            self.array[...] = values
    except ValueError:
        raise ValueError(f"{name}: a value of shape {tuple(getattr(values, 'shape', ()))} does not fit "
                         f"in the tensor of shape {tuple(self.shape)}") from None
    self._bump_version()
    return self


def _in_place(function: Callable, name: str) -> Callable:
    """x += y, x.add_(y), ...: compute out of place, then write into x or take the result over."""
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if _records_graph(self, *args, *kwargs.values()):
            _refuse_leaf(self, name)
            return _take_over(self, function(self, *args, **kwargs), name)
        return _store(self, function(self, *args, **kwargs), name)
    return method


def _fill(self: Tensor, value: Any) -> Tensor:
    return _copy(self, value, "fill_")


def _zero(self: Tensor) -> Tensor:
    return _copy(self, 0, "zero_")


def _copy(self: Tensor, source: Any, name: str = "copy_") -> Tensor:
    """Copy source's values (broadcast, cast, moved to this tensor's device) into this tensor."""
    if _records_graph(self, source):
        _refuse_leaf(self, name)
        if not isinstance(source, Tensor):  # a constant: the old values' gradient path ends here
            return _take_over(self, full_like(self, source), name)
        source = F.expand(F.cast(F.to_device(source, self.device), self.dtype), self.shape)
        return _take_over(self, source, name)
    if isinstance(source, Tensor):
        source = F.cast(F.to_device(source, self.device), self.dtype)
    return _store(self, source, name)


def _setitem(self: Tensor, index: Any, value: Any) -> None:
    """x[index] = value: written in place, or recorded (``outputs[t] = h``) when value requires grad."""
    if _records_graph(self, value):
        _refuse_leaf(self, "setitem")
        _take_over(self, setitem(self, index, value), "setitem")
        return
    items = array_index(self, index, "setitem")
    if isinstance(value, Tensor):
        value = F.to_device(value, self.device).array
    elif backend.is_ndarray(value):
        value = backend.to_device(value, self.device)
    try:
        with backend.device_scope(self.array):
            self.array[items] = value
    except IndexError as error:
        raise out_of_range("setitem", index, self, error) from None
    self._bump_version()


for _name, _function in OP_METHODS.items():  # x.exp() is exp(x), x.sum(1) is sum(x, 1), ...
    setattr(Tensor, _name, _function)

TENSOR_ONLY_METHODS: dict[str, Callable] = {
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
    # shape
    "expand_as": _expand_as, "view_as": _view_as, "T": property(F.t), "mT": property(_matrix_transpose),
    # in place (outside the graph)
    "__iadd__": _in_place(F.add, "add_ (+=)"), "__isub__": _in_place(F.sub, "sub_ (-=)"),
    "__imul__": _in_place(F.mul, "mul_ (*=)"), "__itruediv__": _in_place(F.div, "div_ (/=)"),
    "add_": _in_place(F.add, "add_"), "sub_": _in_place(F.sub, "sub_"),
    "mul_": _in_place(F.mul, "mul_"), "div_": _in_place(F.div, "div_"),
    "clamp_": _in_place(F.clamp, "clamp_"), "zero_": _zero,
    "fill_": _fill, "copy_": _copy, "__setitem__": _setitem,
    # dtype and device
    "cpu": lambda self: F.to_device(self, "cpu"), "cuda": _cuda,
    "float": _cast_to(dtypes.float32), "double": _cast_to(dtypes.float64),
    "long": _cast_to(dtypes.int64), "int": _cast_to(dtypes.int32), "bool": _cast_to(dtypes.bool_),
    "type": lambda self, dtype: F.cast(self, dtype),
}

for _name, _method in TENSOR_ONLY_METHODS.items():
    setattr(Tensor, _name, _method)

# ------------------------------------------------------------ random
# x.bernoulli(), and the in-place random fills of initialisers (p.data.normal_(0, 0.01), w.uniform_(-a, a)).

def _sampled_in_place(name: str, draw: Callable) -> Callable:
    """x.normal_(...), x.uniform_(...): refuse (as fill_ does) before drawing, then store the draws."""
    def method(self: Tensor, *args: Any, generator: Any = None, **kwargs: Any) -> Tensor:
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(f"{name}: in-place random fill of a tensor that requires grad; do it under "
                               "`with tinydl.no_grad():` or on `tensor.data` (as init functions do)")
        return _store(self, draw(self, *args, generator=generator, **kwargs), name)
    method.__name__ = name
    return method


def _normal_values(self: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
    return random.normal_values(self, mean, std, generator)


def _uniform_values(self: Tensor, low: float = 0.0, high: float = 1.0, generator: Any = None) -> Any:
    return random.uniform_values(self, low, high, generator)


def _random_values(self: Tensor, low: int = 0, high: int | None = None, generator: Any = None) -> Any:
    if high is None and low != 0:  # x.random_(to): integers in [0, to)
        low, high = 0, low
    return random.random_values(self, low, high, generator)


def _bernoulli_values(self: Tensor, p: float = 0.5, generator: Any = None) -> Any:
    return random.bernoulli_values(self, p, generator)


RANDOM_METHODS: dict[str, Callable] = {
    "bernoulli": random.bernoulli, "multinomial": random.multinomial,
    "normal_": _sampled_in_place("normal_", _normal_values),
    "uniform_": _sampled_in_place("uniform_", _uniform_values),
    "random_": _sampled_in_place("random_", _random_values),
    "bernoulli_": _sampled_in_place("bernoulli_", _bernoulli_values),
}

for _name, _method in RANDOM_METHODS.items():
    setattr(Tensor, _name, _method)
