"""Embedding lookup: row ``i`` of a weight table for every index ``i``."""
from __future__ import annotations

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Function, Tensor
from .checks import shape_or_type
from .indexing import scatter_add
from .registry import public


class Embedding(Function):
    """out[..., :] = weight[indices[...], :], with weight (num_embeddings, embedding_dim).

    dL/dweight[r] = sum of dL/dout[...] over every position whose index is r:
    an index that appears twice gets both gradients added (a scatter-add), and
    rows never looked up get 0. The row ``padding_idx`` gets no gradient.
    """

    @staticmethod
    def forward(ctx: Node, indices: Array, weight: Array, padding_idx: int | None) -> Array:
        ctx.save_for_backward(indices)
        ctx.weight_shape, ctx.padding_idx = weight.shape, padding_idx
        return weight[indices]                                     # indices.shape + (embedding_dim,)

    @staticmethod
    def backward(ctx: Node, grad_out: Array) -> tuple:
        (indices,) = ctx.saved_tensors
        xp = backend.get_array_module(grad_out)
        grad_weight = xp.zeros(ctx.weight_shape, dtype=grad_out.dtype)
        # (*, D) -> (number of lookups, D), added row by row into the table
        scatter_add(grad_weight, indices.reshape(-1), grad_out.reshape(-1, ctx.weight_shape[1]))
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0
        return None, grad_weight, None


def check_padding_idx(op_name: str, padding_idx: int | None, num_embeddings: int) -> int | None:
    """padding_idx in [-num_embeddings, num_embeddings), negative counted from the end; None stays None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{op_name}: padding_idx must be within the table of {num_embeddings} rows "
                         f"([-{num_embeddings}, {num_embeddings})), got {padding_idx}")
    return padding_idx % num_embeddings


@public(method=False)
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,  # noqa: A002
              max_norm: float | None = None) -> Tensor:
    """Look up rows of weight (num_embeddings, embedding_dim) for int64 indices of any shape.

    Output: input.shape + (embedding_dim,). ``padding_idx``'s row gets no
    gradient (it usually holds zeros: the embedding of "no token").
    """
    if max_norm is not None:
        raise NotImplementedError("embedding: max_norm is not supported by tinydl (it rescales weight in "
                                  "place during the forward pass); renormalise the weight yourself under "
                                  "no_grad()")
    if not isinstance(input, Tensor) or input.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must be a tensor of integer indices (int64, e.g. "
                        f"tinydl.LongTensor(...)), got "
                        f"{input.dtype if isinstance(input, Tensor) else type(input).__name__}")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a 2-d tensor (num_embeddings, embedding_dim), got "
                         f"{shape_or_type(weight)}")
    rows = weight.shape[0]
    if input.numel():
        low, high = int(input.array.min()), int(input.array.max())
        if low < 0 or high >= rows:
            raise IndexError(f"embedding: index {low if low < 0 else high} is out of range for a table of "
                             f"{rows} rows (weight shape {tuple(weight.shape)}); indices must be in "
                             f"[0, {rows})")
    return Embedding.apply(input, weight, check_padding_idx("embedding", padding_idx, rows))
