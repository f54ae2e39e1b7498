"""Helpers for the op tests: data away from kinks, hypothesis shape strategies."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinydl

# Shapes with 0 to 3 dimensions of size 1 to 4: scalars, size-1 dims, small tensors.
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
# Two shapes that broadcast together (one may have fewer dimensions or size-1 dims).
broadcast_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1,
                                                    max_side=4)
seeds = st.integers(0, 2**32 - 1)


def values(shape: tuple, seed: int, low: float = -2.0, high: float = 2.0, away_from_zero: float = 0.0,
           ) -> np.ndarray:
    """float64 values in [low, high); with away_from_zero=d, none closer than d to 0 (kinks)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=shape)
    if away_from_zero:
        magnitude = rng.uniform(away_from_zero, max(abs(low), abs(high)), size=shape)
        x = np.where(x >= 0, magnitude, -magnitude)
        x = np.clip(x, low, high)
    return np.asarray(x)


def leaf(array: np.ndarray, device: str = "cpu") -> tinydl.Tensor:
    """A float64 leaf that requires grad, on device."""
    return tinydl.tensor(array, dtype=tinydl.float64, device=device, requires_grad=True)


def host(x: tinydl.Tensor) -> np.ndarray:
    return np.asarray(x.detach().cpu().array)


def check_op(fn: Callable[..., Any], reference: Callable[..., Any], arrays: list, device: str,
             rtol: float = 1e-10) -> None:
    """fn's forward matches the NumPy reference and its gradient passes gradcheck."""
    inputs = [leaf(a, device) for a in arrays]
    out = fn(*inputs)
    expected = reference(*arrays)
    np.testing.assert_allclose(host(out), expected, rtol=rtol, atol=1e-12)
    assert out.dtype == tinydl.float64
    assert tinydl.gradcheck(fn, inputs)


def both_signs(x: np.ndarray) -> np.ndarray:
    """x with its first element made positive and (if it has two) its second negative.

    For ops with a flat side (relu): every drawn input then reaches the side with a
    gradient, and the flat side too when there are two elements, so gradcheck is never
    vacuous (an all-negative input before a relu proves nothing about its backward).
    """
    x = np.array(x, dtype=np.float64)
    x.flat[0] = abs(x.flat[0])
    if x.size > 1:
        x.flat[1] = -abs(x.flat[1])
    return x


def check_routed_op(fn: Callable[..., Any], reference: Callable[..., Any], arrays: list, device: str,
                    receives: int) -> None:
    """For a single output element that only input ``receives`` decides (where, maximum):
    forward against NumPy, and the exact gradients: 1 for that input, 0 for the others.

    gradcheck would prove nothing about the others (their gradient is 0 everywhere),
    so the zeros are asserted directly.
    """
    inputs = [leaf(a, device) for a in arrays]
    out = fn(*inputs)
    assert out.numel() == 1
    np.testing.assert_allclose(host(out), reference(*arrays), rtol=1e-12)
    out.sum().backward()
    for index, x in enumerate(inputs):
        expected = np.ones(x.shape) if index == receives else np.zeros(x.shape)
        np.testing.assert_array_equal(host(x.grad), expected)
