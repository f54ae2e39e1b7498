"""Embedding: a trainable lookup table from integer ids (tokens, categories) to vectors."""
from __future__ import annotations

from typing import Any

import tinydl.functional as F
import tinydl.nn.init as init
from ..ops.embedding import check_padding_idx
from ..engine import Tensor, no_grad
from .module import Module, Parameter, parameter_factory


class Embedding(Module):
    """A table weight (num_embeddings, embedding_dim), N(0, 1) at first: ids (*) -> rows (*, embedding_dim).

    Looking up row i is the same as multiplying a one-hot vector by weight,
    without building the one-hot: only the rows used get a gradient.
    ``padding_idx``'s row starts at zero and is never updated by gradients.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if max_norm is not None:
            raise NotImplementedError("Embedding: max_norm is not supported by tinydl (it rescales weight "
                                      "in place during forward); renormalise the weight yourself under "
                                      "no_grad()")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = check_padding_idx("Embedding", padding_idx, num_embeddings)
        self.max_norm = max_norm
        xp, dtype = parameter_factory(device, dtype)
        self.weight = Parameter(xp.empty((num_embeddings, embedding_dim), dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.array[self.padding_idx] = 0
                self.weight._bump_version()

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None) -> "Embedding":
        """An Embedding holding a copy of ``embeddings`` (rows, dim); frozen (no gradient) by default."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            raise ValueError("Embedding.from_pretrained: embeddings must be a 2-d tensor (num_embeddings, "
                             "embedding_dim)")
        rows, dim = embeddings.shape
        layer = cls(rows, dim, padding_idx, device=embeddings.device, dtype=embeddings.dtype)
        layer.weight.array[...] = embeddings.array  # keep the given rows, padding row included
        layer.weight._bump_version()
        layer.weight.requires_grad = not freeze
        return layer

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.embedding(input, self.weight, self.padding_idx)  # ids (*) -> weight rows (*, embedding_dim)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"
