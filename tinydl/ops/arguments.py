"""Argument conventions the ops' wrappers share with PyTorch.

* ``require_tensor``: a list or ndarray where a Tensor is expected is a
  TypeError naming the op and the argument, worded as PyTorch words it.
* ``numpy_names``: reductions also accept NumPy's ``axis=``/``keepdims=`` for
  PyTorch's ``dim=``/``keepdim=`` (PyTorch accepts both spellings).
* ``write_out``: the ``out=`` argument (``tinydl.add(a, b, out=c)``) writes the
  result into an existing tensor.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import tinydl.backend as backend
import tinydl.dtypes as dtypes
from ..engine import Tensor, is_grad_enabled
from .registry import public


def require_tensor(op_name: str, value: Any, name: str = "input", position: int = 1) -> Tensor:
    """Return ``value`` if it is a Tensor, else raise PyTorch's TypeError.

    ``model([1.0, 2.0])`` fails here with "linear(): argument 'input' (position 1)
    must be Tensor, not list" instead of deep inside NumPy.
    """
    if isinstance(value, Tensor):
        return value
    kind = type(value)
    kind_name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    raise TypeError(f"{op_name}(): argument '{name}' (position {position}) must be Tensor, not "
                    f"{kind_name} (wrap data with tinydl.tensor(...) first)")


# NumPy's spelling -> PyTorch's, accepted by every function that takes dim/keepdim.
_NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim"}


def numpy_names(function: Callable) -> Callable:
    """Let ``function(x, axis=1, keepdims=True)`` mean ``function(x, dim=1, keepdim=True)``."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for numpy_name, torch_name in _NUMPY_NAMES.items():
            if numpy_name in kwargs:
                if torch_name in kwargs:
                    raise TypeError(f"{function.__name__}(): got both {torch_name}= and its alias "
                                    f"{numpy_name}=; pass one")
                kwargs[torch_name] = kwargs.pop(numpy_name)
        return function(*args, **kwargs)
    return wrapper


def check_out(op_name: str, out: Any, *inputs: Any) -> None:
    """Refuse ``out=`` where autograd would lose track, as PyTorch does (call before computing)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{op_name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in (out, *inputs)):
        raise RuntimeError(f"{op_name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad; write "
                           f"y = tinydl.{op_name}(...) instead, or call it under tinydl.no_grad()")


def write_out(op_name: str, result: Tensor, out: Tensor) -> Tensor:
    """Copy ``result`` into ``out``'s own storage and return ``out`` (its version goes up).

    Unlike PyTorch, an ``out`` of another non-empty shape is an error rather than
    being resized with a warning; an empty ``out`` (``tinydl.tensor([])``) takes the
    result's shape.
    """
    if out.device != result.device:
        raise backend.DeviceError(f"{op_name}(): out= is on {out.device} but the result is on {result.device}")
    if not dtypes.can_store(result.array.dtype, out.array.dtype):
        raise TypeError(f"{op_name}(): the result has dtype {result.array.dtype}, which can't be "
                        f"stored in out= of dtype {out.array.dtype}")
    if out.array.shape == result.array.shape:
        out.array[...] = result.array
    elif out.array.size == 0:
        out.array = result.array.astype(out.array.dtype)
    else:
        raise ValueError(f"{op_name}(): out= has shape {tuple(out.array.shape)} but the result has "
                         f"shape {tuple(result.array.shape)}")
    out._bump_version()
    return out


@public(method=False)
def is_tensor(obj: Any) -> bool:
    """True if ``obj`` is a tinydl Tensor (PyTorch's ``torch.is_tensor``)."""
    return isinstance(obj, Tensor)
