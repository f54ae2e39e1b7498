"""Matrix multiplication: the op that does most of a network's arithmetic."""
from __future__ import annotations

from typing import Any

from ..backend import Array
from ..engine import Node, Function, Tensor
from .arguments import check_out, require_tensor, write_out
from .elementwise import add, mul
from .registry import public
from .shape import reshape


class MatMul(Function):
    """Y = A @ B for 1-D, 2-D and batched operands (batch dims broadcast).

    For matrices:   dL/dA = dL/dY @ B^T,   dL/dB = A^T @ dL/dY.
    A 1-D operand is treated as a row (A) or column (B) vector, and the
    dimension that adds is removed again from its gradient.
    """

    @staticmethod
    def forward(ctx: Node, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return a @ b                        # (..., n, m) @ (..., m, p) -> (..., n, p)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        a, b = ctx.saved_tensors
        grad = grad_out
        if b.ndim == 1:  # Y lost B's column dimension: put it back
            b, grad = b[:, None], grad[..., None]            # (m,) -> (m, 1), (..., n) -> (..., n, 1)
        if a.ndim == 1:  # Y lost A's row dimension: put it back
            a, grad = a[None, :], grad[..., None, :]         # (m,) -> (1, m), (..., p) -> (..., 1, p)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = grad @ _swap_last(b)                    # (..., n, p) @ (..., p, m) -> (..., n, m)
            if ctx.saved_tensors[0].ndim == 1:
                grad_a = grad_a[..., 0, :]                   # (..., 1, m) -> (..., m)
        if ctx.needs_input_grad[1]:
            grad_b = _swap_last(a) @ grad                    # (..., m, n) @ (..., n, p) -> (..., m, p)
            if ctx.saved_tensors[1].ndim == 1:
                grad_b = grad_b[..., 0]                      # (..., m, 1) -> (..., m)
        return grad_a, grad_b


def _swap_last(x: Array) -> Array:
    """The matrix transpose of each matrix in a batch: (..., n, m) -> (..., m, n)."""
    return x.swapaxes(-1, -2)


def check_matmul_operands(op_name: str, a: Tensor, b: Tensor) -> None:
    """Raise a readable error unless ``a @ b`` is defined."""
    for position, (name, x) in enumerate((("first", a), ("second", b)), start=1):
        require_tensor(op_name, x, ("input", "other")[position - 1], position)
        if x.ndim == 0:
            raise ValueError(f"{op_name}: both operands need at least 1 dimension, the {name} is 0-d")
    if a.dtype != b.dtype:
        raise TypeError(f"{op_name}: both operands must have the same dtype, got {a.dtype} and {b.dtype}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"{op_name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied: "
                         f"inner dimensions {inner_a} (last of the first) and {inner_b} "
                         f"({'first' if b.ndim == 1 else 'second to last'} of the second) differ")


@public
def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Matrix product with NumPy's rules for 1-D and batched operands."""
    check_matmul_operands("matmul", input, other)
    if out is not None:
        check_out("matmul", out, input, other)
    try:
        result = MatMul.apply(input, other)
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {tuple(input.shape)} and {tuple(other.shape)} "
                         "cannot be broadcast together") from None
    return result if out is None else write_out("matmul", result, out)


# ------------------------------------------------------------ the fixed-shape products
# PyTorch's mm, bmm, mv, dot and outer are matmul restricted to one pair of shapes,
# so a wrong shape is an error naming what was expected, not a silent broadcast.
def _require_dims(op_name: str, name: str, position: int, x: Any, ndim: int, what: str) -> Tensor:
    x = require_tensor(op_name, x, name, position)
    if x.ndim != ndim:
        raise ValueError(f"{op_name}(): {name} must be {what} ({ndim}-D), got shape {tuple(x.shape)}")
    return x


def _same_dtype(op_name: str, a: Tensor, b: Tensor) -> None:
    if a.array.dtype != b.array.dtype:
        raise TypeError(f"{op_name}(): expected both operands to have the same dtype, got "
                        f"{a.array.dtype} and {b.array.dtype}")


def _product(op_name: str, a: Tensor, b: Tensor, out: Tensor | None) -> Tensor:
    _same_dtype(op_name, a, b)
    if out is not None:
        check_out(op_name, out, a, b)
    result = MatMul.apply(a, b)
    return result if out is None else write_out(op_name, result, out)


@public
def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Matrix product of (n, m) and (m, p) -> (n, p); no broadcasting (see matmul for that)."""
    input = _require_dims("mm", "input", 1, input, 2, "a matrix")
    mat2 = _require_dims("mm", "mat2", 2, mat2, 2, "a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise ValueError(f"mm(): mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} "
                         f"and {mat2.shape[0]}x{mat2.shape[1]})")
    return _product("mm", input, mat2, out)


@public
def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Batched matrix product of (b, n, m) and (b, m, p) -> (b, n, p); equal batch sizes."""
    input = _require_dims("bmm", "input", 1, input, 3, "a batch of matrices")
    mat2 = _require_dims("bmm", "mat2", 2, mat2, 3, "a batch of matrices")
    batch, _, inner = input.shape
    if mat2.shape[0] != batch or mat2.shape[1] != inner:
        raise ValueError(f"bmm(): expected mat2 of shape ({batch}, {inner}, p) to match input "
                         f"{tuple(input.shape)}, got {tuple(mat2.shape)}")
    return _product("bmm", input, mat2, out)


@public
def mv(input: Tensor, vec: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Matrix-vector product of (n, m) and (m,) -> (n,)."""
    input = _require_dims("mv", "input", 1, input, 2, "a matrix")
    vec = _require_dims("mv", "vec", 2, vec, 1, "a vector")
    if input.shape[1] != vec.shape[0]:
        raise ValueError(f"mv(): input of shape {tuple(input.shape)} and vec of size {vec.shape[0]} "
                         "cannot be multiplied")
    return _product("mv", input, vec, out)


@public
def dot(input: Tensor, tensor: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Inner product of two 1-D tensors of equal size -> a 0-d tensor."""
    input = _require_dims("dot", "input", 1, input, 1, "a vector")
    tensor = _require_dims("dot", "tensor", 2, tensor, 1, "a vector")
    if input.shape[0] != tensor.shape[0]:
        raise ValueError(f"dot(): inconsistent sizes: input has {input.shape[0]} elements and tensor "
                         f"has {tensor.shape[0]}")
    return _product("dot", input, tensor, out)


@public
def outer(input: Tensor, vec2: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """Outer product of (n,) and (m,) -> (n, m): result[i, j] = input[i] * vec2[j]."""
    input = _require_dims("outer", "input", 1, input, 1, "a vector")
    vec2 = _require_dims("outer", "vec2", 2, vec2, 1, "a vector")
    # (n,) -> (n, 1) and (m,) -> (1, m): the product of a column and a row is the outer product
    return _product("outer", reshape(input, (-1, 1)), reshape(vec2, (1, -1)), out)


@public
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1,  # noqa: A002
          out: Tensor | None = None) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), with input broadcastable to (n, p).

    With beta = 0, input is ignored (nan and inf in it do not propagate), as in PyTorch.
    """
    input = require_tensor("addmm", input, "input", 1)
    if out is not None:
        check_out("addmm", out, input, mat1, mat2)
    product = mm(mat1, mat2)  # checks mat1 (n, m) and mat2 (m, p)
    product_shape = tuple(product.shape)
    if input.ndim > 2 or any(size not in (1, want) for size, want in
                              zip(reversed(input.shape), reversed(product_shape))):
        raise ValueError(f"addmm(): input of shape {tuple(input.shape)} cannot be broadcast to the "
                         f"product's shape {product_shape}")
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:
        result = product  # already (n, p): input only had to broadcast to it
    else:
        result = add(product, input if beta == 1 else mul(input, beta))
    return result if out is None else write_out("addmm", result, out)
