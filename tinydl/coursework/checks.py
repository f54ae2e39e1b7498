"""Assertions for assignment tests, whose messages tell a student what to fix.

Every check raises AssertionError (the grader's "FAIL", with this message) or
returns. Tests call them with the name of what they check:

    expect_close(student.Sigmoid.apply(x), expected, "sigmoid(x)")
    expect_gradients(student.Sigmoid.apply, [x], "Sigmoid.backward")
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy

import tinydl
from tinydl.autograd import GradcheckError

__all__ = ["as_numpy", "expect_close", "expect_dtype", "expect_gradients", "expect_shape"]


def as_numpy(value: Any) -> numpy.ndarray:
    """A Tensor, array or number as a NumPy array (on the CPU)."""
    if isinstance(value, tinydl.Tensor):
        return value.detach().cpu().numpy()
    return numpy.asarray(value)


def expect_shape(actual: Any, shape: Sequence[int], what: str) -> None:
    """``actual`` (a Tensor or array) has exactly ``shape``."""
    got = tuple(as_numpy(actual).shape)
    if got != tuple(shape):
        raise AssertionError(f"{what} has shape {got}, expected {tuple(shape)}")


def expect_dtype(actual: Any, dtype: Any, what: str) -> None:
    """``actual`` has ``dtype`` (float32 in must stay float32 out: no float64 leaking in)."""
    got = actual.dtype
    if got != dtype:
        raise AssertionError(f"{what} has dtype {got}, expected {dtype} (float32 in must give float32 out: "
                             "look for a Python float array or numpy float64 constant mixed in)")


def expect_close(actual: Any, expected: Any, what: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """``actual`` equals ``expected`` elementwise within atol + rtol * |expected|; the message names the worst element."""
    if actual is None:
        raise AssertionError(f"{what} is None, expected an array of shape {numpy.shape(expected)}")
    got, want = as_numpy(actual).astype(numpy.float64), numpy.asarray(expected, dtype=numpy.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{what} has shape {got.shape}, expected {want.shape}")
    if not numpy.isfinite(got).all() and numpy.isfinite(want).all():
        bad = tuple(int(k) for k in numpy.argwhere(~numpy.isfinite(got))[0])
        raise AssertionError(f"{what} is {got[bad]} at {bad} where {want[bad]:.6g} was expected: an overflow "
                             "(exp of a large number) or a division by zero; is it numerically stable?")
    error = numpy.abs(got - want)
    allowed = atol + rtol * numpy.abs(want)
    if (error > allowed).any():
        worst = numpy.unravel_index(numpy.argmax(error - allowed), got.shape) if got.ndim else ()
        raise AssertionError(f"{what} is wrong: at {tuple(int(k) for k in worst)} got {got[worst]:.6g}, expected "
                             f"{want[worst]:.6g} ({int((error > allowed).sum())} of {got.size} elements differ)")


def expect_gradients(fn: Callable, inputs: Sequence[tinydl.Tensor], what: str, **options: Any) -> None:
    """``tinydl.gradcheck(fn, inputs, strict=True)`` passes; its diagnosis becomes the message.

    Inputs are float64 tensors (finite differences need the precision); strict mode
    calls your backward directly and demands exactly each input's shape and dtype.
    """
    try:
        tinydl.gradcheck(fn, list(inputs), strict=True, **options)
    except GradcheckError as error:
        raise GradcheckError(f"{what}: {error}") from None
