"""What the families of ops share, so that each family file opens with its first op.

* dtype promotion: the dtype a mixed expression like ``int_tensor * 0.5`` gets;
* broadcast errors: NumPy's words reworded to name the op and the shapes;
* dims: ``dim=`` arguments and size lists, checked and normalised once;
* numerically stable formulas more than one family needs (logsumexp, sigmoid).

The index plumbing (scatter-add, bounds checks) is in indexing.py.
"""
from __future__ import annotations

from typing import Any

import tinydl.backend as backend
import tinydl.dtypes as dtypes
from ..backend import Array
from ..engine import Function, Tensor
from .arguments import require_tensor
from .convert import cast

Operand = Any  # a Tensor or a Python number
Dim = Any      # int | tuple[int, ...] | None

# ------------------------------------------------------------ dtype promotion
PYTHON_SCALARS = (bool, int, float)  # exact types: numpy.float64 subclasses float but is not weak


def promote(op_name: str, *operands: Operand) -> list:
    """Cast tensor operands to the dtype PyTorch's promotion rules give the result.

    Why: NumPy 2's rules differ from PyTorch's. Python numbers are left as they
    are: NumPy treats them as "weak" and keeps the tensors' dtype, which is what
    PyTorch does too. NumPy scalars (``np.sqrt(8)``, ``np.int64(2)``) become
    Python numbers first: NumPy would let a ``numpy.float64`` turn a float32
    tensor into float64, PyTorch does not.
    """
    if not all(isinstance(x, Tensor) or type(x) in PYTHON_SCALARS for x in operands):
        operands = tuple(_as_operand(op_name, x) for x in operands)
    tensors = [(x.array.dtype, x.array.ndim) for x in operands if isinstance(x, Tensor)]
    if not tensors:
        raise TypeError(f"{op_name}: expected at least one tensor, got {[type(x).__name__ for x in operands]}")
    scalars = [x for x in operands if not isinstance(x, Tensor)]
    first = tensors[0][0]
    if all(dtype == first for dtype, _ in tensors) and (not scalars or first.kind == "f"):
        return list(operands)  # the common case: nothing to cast
    target = dtypes.result_dtype(tensors, scalars)
    return [cast(x, target) if isinstance(x, Tensor) else x for x in operands]


def python_scalar(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (np.float64(0.5) -> 0.5); anything else as is.

    Why: a Python number is "weak" (keeps a float32 tensor float32), a NumPy scalar is not.
    """
    return value.item() if backend.is_numpy_scalar(value) else value


def _as_operand(op_name: str, x: Any) -> Operand:
    """ndarrays become (constant) tensors, numpy scalars Python numbers; anything else is an error."""
    if isinstance(x, Tensor) or type(x) in PYTHON_SCALARS:
        return x
    if backend.is_ndarray(x):
        return Tensor(x)
    if backend.is_numpy_scalar(x):
        return x.item()
    raise TypeError(f"{op_name}: expected a tensor or a Python number, got {type(x).__name__}")


def as_float(op_name: str, x: Tensor) -> Tensor:
    """x itself if it is floating-point, else x cast to the default float dtype (float32).

    Why: math functions of integer tensors give float32 in PyTorch (``tinydl.exp(tinydl.arange(3))``),
    where NumPy would give float64.
    """
    require_tensor(op_name, x)
    return x if x.array.dtype.kind == "f" else cast(x, dtypes.get_default_dtype())


# ------------------------------------------------------------ broadcasting
def shape_of(x: Operand) -> tuple:
    """A tensor's shape; () for a Python number (which broadcasts like a 0-d tensor)."""
    return tuple(x.shape) if isinstance(x, Tensor) else ()


def broadcast_error(op_name: str, error: ValueError, *operands: Operand,
                    names: tuple[str, ...] | None = None) -> ValueError:
    """NumPy's "operands could not be broadcast together" reworded to name the op and the shapes.

    Why: the user called ``add`` or ``mse_loss``, not NumPy; the error should say so
    (and give PyTorch's rule). Any other ValueError is returned as it is.
    ``names`` labels the operands ("input shape (3,) and target shape (4,)").
    """
    if "broadcast" not in str(error):
        return error
    shapes = [str(shape_of(x)) for x in operands]
    if names is None:
        listed = "shapes " + _listing(shapes)
    else:
        listed = _listing([f"{name} shape {shape}" for name, shape in zip(names, shapes)])
    return ValueError(f"{op_name}: {listed} cannot be broadcast together (sizes must match or be 1, "
                      "comparing from the last dimension)")


def _listing(items: list[str]) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]


def promote_and_apply(function: type[Function], op_name: str, a: Operand, b: Operand) -> Tensor:
    """Promote a and b to one dtype, then apply the broadcasting two-input ``function``.

    The shared entry of add, mul, maximum, ...: a shape mismatch is raised as
    the op's own error (see :func:`broadcast_error`), not NumPy's.
    """
    a, b = promote(op_name, a, b)
    try:
        return function.apply(a, b)
    except ValueError as error:
        raise broadcast_error(op_name, error, a, b) from None


# ------------------------------------------------------------ dims and sizes
def is_numpy_int(value: Any) -> bool:
    """True for NumPy integer scalars (np.int64(2)), which index and name dims like ints."""
    return backend.is_numpy_scalar(value) and value.dtype.kind in "iu"


def normalize_dims(op_name: str, dim: Dim, ndim: int) -> tuple | None:
    """dim as a sorted tuple of non-negative axes (None stays None), with a readable range check.

    Why: every reduction and shape op takes ``dim`` as an int, a negative int or
    a tuple; checked here once, the ops see only non-negative axes.
    """
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    result = []
    for d in dims:
        if not isinstance(d, int) or isinstance(d, bool):
            if not is_numpy_int(d):
                raise TypeError(f"{op_name}: dim must be an int or a tuple of ints, got {dim!r}")
            d = int(d)  # np.int64(1) counts as the int it holds, as in PyTorch
        low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
        if not low <= d <= high:
            raise IndexError(f"{op_name}: dim {d} is out of range for a tensor with {ndim} "
                             f"dimension(s) (expected {low} to {high})")
        result.append(d % ndim if ndim else 0)
    if len(set(result)) != len(result):
        raise ValueError(f"{op_name}: dim {dim!r} names the same dimension twice")
    return tuple(sorted(result))


def one_dim(op_name: str, dim: int, ndim: int) -> int:
    """A single ``dim`` as a non-negative axis (checked as normalize_dims checks it)."""
    (axis,) = normalize_dims(op_name, dim, ndim)
    return axis


def unpack_sizes(sizes: tuple) -> tuple:
    """Sizes given as f(2, 3) or f((2, 3)), as one tuple; NumPy integers count as the ints they hold.

    Why: PyTorch takes both spellings (``x.view(2, 3)``, ``zeros((2, 3))``), and
    NumPy computes sizes as NumPy integers (``x.view(-1, np.prod(shape))``).
    """
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(int(n) if is_numpy_int(n) else n for n in sizes)


def restore_dims(grad: Array, axes: tuple | None, keepdim: bool, ndim: int) -> Array:
    """Reinsert reduced axes (size 1) into ``grad`` so it broadcasts against the input.

    Why: a reduction with keepdim=False drops its axes; its backward must put
    them back before the gradient can be spread over the input.
    """
    if keepdim or ndim == 0:
        return grad
    if axes is None:
        return grad.reshape((1,) * ndim)           # () -> (1, ..., 1)
    return backend.get_array_module(grad).expand_dims(grad, axes)


# ------------------------------------------------------------ numerically stable formulas
def stable_logsumexp(x: Array, axis: Any) -> Array:
    """log(sum(exp(x))) along axis, keeping the axis, computed as m + log(sum(exp(x - m))).

    Why: exp(1000) overflows; with m the maximum, every exp(x - m) is at most 1.
    Shared by logsumexp, softmax, log_softmax and cross_entropy. An all -inf
    slice gives -inf (log 0): call it inside ``backend.quiet_floating_errors``.
    """
    xp = backend.get_array_module(x)
    shift = x.max(axis=axis, keepdims=True)                          # (..., 1, ...)
    shift = xp.where(xp.isfinite(shift), shift, 0)  # all -inf along the axis: leave as is
    return shift + xp.log(xp.exp(x - shift).sum(axis=axis, keepdims=True))


def stable_sigmoid(x: Array) -> Array:
    """1 / (1 + e^-x) without overflow.

    Why: e^-x overflows for x < -88 in float32. e^-|x| never does; for x < 0
    the formula is rewritten as e^x / (1 + e^x). Shared by sigmoid, silu and softplus.
    """
    xp = backend.get_array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)
