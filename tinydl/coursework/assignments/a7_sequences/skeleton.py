"""Assignment 7: Embedding and a vanilla RNN cell, backprop through time, a character-level model.

Read statement.md first. Fill in every ``raise NotImplementedError("Task 7.x ...")``,
then grade with ``python -m tinydl.coursework grade .``

The Functions receive Tensors: work on ``x.detach().numpy()`` (integer indices need no
detach: ``indices.numpy()``), keep what backward needs on ``ctx``, and return
``tinydl.from_numpy(array)``. backward returns one gradient per forward argument
(None for the indices: they are not differentiable).
"""
from __future__ import annotations

import math

import numpy as np

import tinydl
from tinydl import Tensor
from tinydl.autograd import Function
from tinydl.nn import Module, Parameter


class EmbeddingFunction(Function):
    """y[..., :] = weight[indices[...], :]: a lookup of rows. indices: any shape of ints; weight: (V, D).

    y has shape indices.shape + (D,).
    """

    @staticmethod
    def forward(ctx, indices: Tensor, weight: Tensor) -> Tensor:
        raise NotImplementedError("Task 7.1: EmbeddingFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        """Return (None, dL/dweight); dL/dweight has weight's shape (V, D)."""
        raise NotImplementedError("Task 7.1: EmbeddingFunction.backward (a scatter-add)")


class Embedding(Module):
    """PyTorch's nn.Embedding(num_embeddings, embedding_dim): Parameter weight (V, D) drawn from N(0, 1)."""

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        raise NotImplementedError("Task 7.1: Embedding.__init__")

    def forward(self, indices: Tensor) -> Tensor:
        raise NotImplementedError("Task 7.1: Embedding.forward, through EmbeddingFunction.apply")


class RNNCellFunction(Function):
    """h' = tanh(x @ weight_ih^T + bias_ih + h @ weight_hh^T + bias_hh).

    x: (N, I); h: (N, H); weight_ih: (H, I); weight_hh: (H, H); biases: (H,); h': (N, H).
    """

    @staticmethod
    def forward(ctx, x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor,
                bias_hh: Tensor) -> Tensor:
        raise NotImplementedError("Task 7.2: RNNCellFunction.forward")

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple:
        """Return (dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh), each of its input's shape."""
        raise NotImplementedError("Task 7.2: RNNCellFunction.backward")


class RNNCell(Module):
    """PyTorch's nn.RNNCell(input_size, hidden_size) with tanh.

    Parameters weight_ih (H, I), weight_hh (H, H), bias_ih (H,), bias_hh (H,), each drawn from
    U(-1/sqrt(H), 1/sqrt(H)). forward(x, hx=None): hx defaults to zeros (N, H).
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        raise NotImplementedError("Task 7.3: RNNCell.__init__")

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        raise NotImplementedError("Task 7.3: RNNCell.forward, through RNNCellFunction.apply")


def run_rnn(cell: RNNCell, xs: Tensor, h0: Tensor | None = None) -> Tensor:
    """Unroll ``cell`` over time: xs (T, N, I) -> hidden states (T, N, H), h_t = cell(x_t, h_{t-1}).

    Use tensor operations only (the cell, tinydl.stack): autograd then backpropagates through time.
    """
    raise NotImplementedError("Task 7.3: run_rnn")


class CharRNN(Module):
    """Next-character model: Embedding(V, D) -> RNNCell(D, H) over time -> tinydl.nn.Linear(H, V).

    forward(indices (T, N) of ints) -> logits (T, N, V) for the next character at every step.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 8, hidden_size: int = 32) -> None:
        super().__init__()
        raise NotImplementedError("Task 7.4: CharRNN.__init__: the three layers")

    def forward(self, indices: Tensor) -> Tensor:
        raise NotImplementedError("Task 7.4: CharRNN.forward")
