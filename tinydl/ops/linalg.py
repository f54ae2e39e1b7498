"""Matrix multiplication: the op that does most of a network's arithmetic."""
from __future__ import annotations

from typing import Any

from ..tensor import Context, Function, Tensor


def _swap_last(x: Any) -> Any:
    return x.swapaxes(-1, -2)


class MatMul(Function):
    """Y = A @ B for 1-D, 2-D and batched operands (batch dims broadcast).

    For matrices:   dL/dA = dL/dY @ B^T,   dL/dB = A^T @ dL/dY.
    A 1-D operand is treated as a row (A) or column (B) vector, and the
    dimension that adds is removed again from its gradient.
    """

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Context, grad_out: Any) -> tuple:
        a, b = ctx.saved_tensors
        grad = grad_out
        if b.ndim == 1:  # Y lost B's column dimension: put it back
            b, grad = b[:, None], grad[..., None]
        if a.ndim == 1:  # Y lost A's row dimension: put it back
            a, grad = a[None, :], grad[..., None, :]
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = grad @ _swap_last(b)
            if ctx.saved_tensors[0].ndim == 1:
                grad_a = grad_a[..., 0, :]
        if ctx.needs_input_grad[1]:
            grad_b = _swap_last(a) @ grad
            if ctx.saved_tensors[1].ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


def check_matmul_operands(op_name: str, a: Tensor, b: Tensor) -> None:
    """Raise a readable error unless ``a @ b`` is defined."""
    for name, x in (("first", a), ("second", b)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op_name}: the {name} operand must be a tensor, got {type(x).__name__}")
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


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy's rules for 1-D and batched operands."""
    check_matmul_operands("matmul", a, b)
    try:
        return MatMul.apply(a, b)
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} "
                         "cannot be broadcast together") from None
