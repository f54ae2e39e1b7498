"""Small checks that assignments' public tests share; each failure says what to look at.

    expect_close("LayerNorm(x)", y, expected)      # shape, dtype-free value comparison
    expect_shape("Conv2d(x)", y, (2, 4, 5, 5))
    grad_inputs(x, w, b)                            # float64 leaves that require grad, for gradcheck

They use only numpy and tinydl's public API, so a student can read them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import tinydl


def as_numpy(value: Any) -> np.ndarray:
    """A Tensor (detached), an ndarray or a number, as a NumPy array."""
    if isinstance(value, tinydl.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def expect_shape(what: str, actual: Any, expected_shape: tuple[int, ...], hint: str = "") -> None:
    """Raise AssertionError unless ``actual`` has ``expected_shape``."""
    shape = tuple(as_numpy(actual).shape)
    if shape != tuple(expected_shape):
        raise AssertionError(f"{what} has shape {shape}, expected {tuple(expected_shape)}"
                             + (f": {hint}" if hint else ""))


def expect_close(what: str, actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6,
                 hint: str = "") -> None:
    """Raise AssertionError unless ``actual`` matches ``expected`` (same shape, values within tolerance).

    The message names the worst element: its index, both values, and ``hint``.
    """
    if actual is None:
        raise AssertionError(f"{what} is None" + (f": {hint}" if hint else ""))
    got, want = as_numpy(actual).astype(np.float64), as_numpy(expected).astype(np.float64)
    expect_shape(what, got, want.shape, hint)
    error = np.abs(got - want) - (atol + rtol * np.abs(want))
    if not (error <= 0).all():       # NaN compares False: a NaN fails too
        worst = np.unravel_index(np.nanargmax(np.where(np.isnan(error), np.inf, error)), error.shape)
        index = tuple(int(i) for i in worst)
        raise AssertionError(
            f"{what} is wrong at {int((~(error <= 0)).sum())} of {error.size} elements; at index {index} "
            f"it is {got[worst]:.6g}, expected {want[worst]:.6g}" + (f": {hint}" if hint else ""))


def grad_inputs(*arrays: Any) -> list[tinydl.Tensor]:
    """float64 leaf tensors that require grad (gradcheck's finite differences need float64)."""
    return [tinydl.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
