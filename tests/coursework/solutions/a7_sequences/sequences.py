"""Assignment 7: Embedding and a vanilla RNN cell, backprop through time, a character-level model.

Reference solution (repository only).
"""
from __future__ import annotations

import math

import numpy as np

import tinydl
from tinydl import Tensor
from tinydl.autograd import Function
from tinydl.nn import Module, Parameter


class EmbeddingFunction(Function):
    """y[..., :] = weight[indices[...], :]: a lookup of rows. indices: any shape of ints; weight: (V, D)."""

    @staticmethod
    def forward(ctx, indices: Tensor, weight: Tensor) -> Tensor:
        # Task 7.1
        ctx.indices, ctx.num_embeddings = indices.numpy(), weight.shape[0]
        return tinydl.from_numpy(weight.detach().numpy()[ctx.indices])      # indices.shape + (D,)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        # Task 7.1
        grad_out = grad_out.numpy()
        grad_weight = np.zeros((ctx.num_embeddings, grad_out.shape[-1]), dtype=grad_out.dtype)
        # Scatter-add: a row looked up k times receives the sum of its k gradients.
        np.add.at(grad_weight, ctx.indices, grad_out)
        return None, tinydl.from_numpy(grad_weight)


class Embedding(Module):
    """PyTorch's nn.Embedding(num_embeddings, embedding_dim): weight (V, D) drawn from N(0, 1)."""

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        # Task 7.1
        self.weight = Parameter(tinydl.randn(num_embeddings, embedding_dim))

    def forward(self, indices: Tensor) -> Tensor:
        # Task 7.1
        return EmbeddingFunction.apply(indices, self.weight)


class RNNCellFunction(Function):
    """h' = tanh(x @ weight_ih^T + bias_ih + h @ weight_hh^T + bias_hh).

    x: (N, I); h: (N, H); weight_ih: (H, I); weight_hh: (H, H); biases: (H,); h': (N, H).
    """

    @staticmethod
    def forward(ctx, x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor,
                bias_hh: Tensor) -> Tensor:
        # Task 7.2
        x, h = x.detach().numpy(), h.detach().numpy()
        weight_ih, weight_hh = weight_ih.detach().numpy(), weight_hh.detach().numpy()
        bias = bias_ih.detach().numpy() + bias_hh.detach().numpy()
        h_next = np.tanh(x @ weight_ih.T + h @ weight_hh.T + bias)              # (N, H)
        ctx.x, ctx.h, ctx.weight_ih, ctx.weight_hh, ctx.h_next = x, h, weight_ih, weight_hh, h_next
        return tinydl.from_numpy(h_next)

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        # Task 7.2
        grad_pre = grad_out.numpy() * (1 - ctx.h_next ** 2)          # through tanh: (N, H)
        grad_x = grad_pre @ ctx.weight_ih                            # (N, H) @ (H, I) -> (N, I)
        grad_h = grad_pre @ ctx.weight_hh                            # (N, H) @ (H, H) -> (N, H)
        grad_weight_ih = grad_pre.T @ ctx.x                          # (H, N) @ (N, I) -> (H, I)
        grad_weight_hh = grad_pre.T @ ctx.h                          # (H, N) @ (N, H) -> (H, H)
        grad_bias = grad_pre.sum(axis=0)                             # summed over the batch: (H,)
        return tuple(tinydl.from_numpy(g) for g in
                     (grad_x, grad_h, grad_weight_ih, grad_weight_hh, grad_bias, grad_bias))


class RNNCell(Module):
    """PyTorch's nn.RNNCell(input_size, hidden_size) with tanh; parameters from U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        # Task 7.3
        self.hidden_size = hidden_size
        bound = 1 / math.sqrt(hidden_size)

        def uniform(*shape: int) -> Parameter:
            return Parameter(tinydl.rand(*shape) * 2 * bound - bound)

        self.weight_ih = uniform(hidden_size, input_size)
        self.weight_hh = uniform(hidden_size, hidden_size)
        self.bias_ih = uniform(hidden_size)
        self.bias_hh = uniform(hidden_size)

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        # Task 7.3
        if hx is None:
            hx = tinydl.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        return RNNCellFunction.apply(x, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


def run_rnn(cell: RNNCell, xs: Tensor, h0: Tensor | None = None) -> Tensor:
    """Unroll ``cell`` over time: xs (T, N, I) -> hidden states (T, N, H), h_t = cell(x_t, h_{t-1})."""
    # Task 7.3
    h, hidden_states = h0, []
    for x in xs:                       # x: (N, I), the inputs at one time step
        h = cell(x, h)
        hidden_states.append(h)
    return tinydl.stack(hidden_states)


class CharRNN(Module):
    """Next-character model: Embedding(V, D) -> RNNCell(D, H) over time -> Linear(H, V).

    forward(indices (T, N) of ints) -> logits (T, N, V) for the next character at every step.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 8, hidden_size: int = 32) -> None:
        super().__init__()
        # Task 7.4
        self.embedding = Embedding(vocab_size, embedding_dim)
        self.cell = RNNCell(embedding_dim, hidden_size)
        self.head = tinydl.nn.Linear(hidden_size, vocab_size)

    def forward(self, indices: Tensor) -> Tensor:
        # Task 7.4
        return self.head(run_rnn(self.cell, self.embedding(indices)))
