"""The W4 CNN written by hand in NumPy: the floor a NumPy engine can approach on convolutions.

The network of examples/cnn_vs_mlp.py: conv 3x3 (1 -> 8, padding 1), ReLU,
2x2 max pool, conv 3x3 (8 -> 16, padding 1), ReLU, 2x2 max pool, Linear
(256 -> 10), softmax cross-entropy. Written as a careful NumPy programmer
would: im2col copies into columns (C kh kw, N H W) and one GEMM per conv,
activations kept in the (C, N, H, W) memory order the GEMM produces (no
transposes between layers), max pooling as elementwise maximums over the
four taps, col2im as one strided add per tap. No graph, no checks, no
Python objects per op.
"""
from __future__ import annotations

import numpy as np

KERNEL = 3


def im2col(x: np.ndarray) -> np.ndarray:
    """x (C, N, H, W) -> columns (C*3*3, N*H*W) of the zero-padded (padding 1) image."""
    channels, n, height, width = x.shape
    padded = np.zeros((channels, n, height + 2, width + 2), dtype=x.dtype)
    padded[:, :, 1:-1, 1:-1] = x
    s_c, s_n, s_h, s_w = padded.strides
    patches = np.lib.stride_tricks.as_strided(padded, (channels, KERNEL, KERNEL, n, height, width),
                                              (s_c, s_h, s_w, s_n, s_h, s_w))
    return patches.reshape(channels * KERNEL * KERNEL, n * height * width)


def col2im(grad_cols: np.ndarray, shape: tuple) -> np.ndarray:
    """Columns (C*3*3, N*H*W) -> gradient of the unpadded image (C, N, H, W): one add per tap."""
    channels, n, height, width = shape
    grad = grad_cols.reshape(channels, KERNEL, KERNEL, n, height, width)
    padded = np.zeros((channels, n, height + 2, width + 2), dtype=grad_cols.dtype)
    for a in range(KERNEL):
        for b in range(KERNEL):
            padded[:, :, a:a + height, b:b + width] += grad[:, a, b]
    return padded[:, :, 1:-1, 1:-1]


def max_pool(x: np.ndarray) -> np.ndarray:
    """2x2, stride 2, on (C, N, H, W)."""
    return np.maximum(np.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]),
                      np.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]))


def max_pool_backward(x: np.ndarray, out: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """The gradient goes to the first maximum of each window (ties as PyTorch)."""
    grad = np.zeros_like(x)
    unclaimed = np.ones(out.shape, dtype=bool)
    for a in range(2):
        for b in range(2):
            winner = x[:, :, a::2, b::2] == out
            winner &= unclaimed
            unclaimed &= ~winner
            grad[:, :, a::2, b::2] = grad_out * winner
    return grad


def loss_and_grads(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Cross-entropy of the CNN on x (N, 1, H, W) with labels y, and its gradients in ``params`` order."""
    w1, b1, w2, b2, w3, b3 = params
    n = len(x)
    image = x.transpose(1, 0, 2, 3)                                     # (1, N, 16, 16), a view
    cols1 = im2col(image)                                               # (9, N*256)
    z1 = w1.reshape(8, -1) @ cols1
    z1 += b1[:, None]
    h1 = np.maximum(z1, 0).reshape(8, n, 16, 16)
    p1 = max_pool(h1)                                                   # (8, N, 8, 8)
    cols2 = im2col(p1)                                                  # (72, N*64)
    z2 = w2.reshape(16, -1) @ cols2
    z2 += b2[:, None]
    h2 = np.maximum(z2, 0).reshape(16, n, 8, 8)
    p2 = max_pool(h2)                                                   # (16, N, 4, 4)
    flat = p2.transpose(1, 0, 2, 3).reshape(n, -1)                      # (N, 256) in PyTorch's order
    logits = flat @ w3.T
    logits += b3

    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.log(total[:, 0]).mean() - shifted[rows, y].mean())
    grad = exp / total
    grad[rows, y] -= 1
    grad /= n                                                           # dL/dlogits (N, 10)

    grad_w3, grad_b3 = grad.T @ flat, grad.sum(axis=0)
    grad_p2 = (grad @ w3).reshape(n, 16, 4, 4).transpose(1, 0, 2, 3)   # (16, N, 4, 4)
    grad_z2 = max_pool_backward(h2, p2, grad_p2).reshape(16, -1)
    grad_z2 *= z2 > 0
    grad_w2, grad_b2 = (grad_z2 @ cols2.T).reshape(w2.shape), grad_z2.sum(axis=1)
    grad_p1 = col2im(w2.reshape(16, -1).T @ grad_z2, p1.shape)          # (8, N, 8, 8)
    grad_z1 = max_pool_backward(h1, p1, grad_p1).reshape(8, -1)
    grad_z1 *= z1 > 0
    grad_w1, grad_b1 = (grad_z1 @ cols1.T).reshape(w1.shape), grad_z1.sum(axis=1)
    return loss, [grad_w1, grad_b1, grad_w2, grad_b2, grad_w3, grad_b3]
