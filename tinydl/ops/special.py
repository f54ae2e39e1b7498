"""erf on raw arrays: NumPy has no erf, so we compute it, as W. J. Cody did (1969).

Cody's rational approximations (the CALERF routine of SPECFUN) reach float64's
precision with three fits, one per range of |x|:

    |x| <= 0.46875:    erf(x)    = x P1(x^2) / Q1(x^2)
    0.46875 < |x| <= 4: erfc(|x|) = e^(-x^2) P2(|x|) / Q2(|x|)
    |x| > 4:           erfc(|x|) = e^(-x^2) / |x| (1/sqrt(pi) - z P3(z) / Q3(z)),  z = 1/x^2

and erf(x) = sign(x) (1 - erfc(|x|)) outside the first range. On CUDA,
``cupyx.scipy.special.erf`` (one fused kernel) is used instead.
"""
from __future__ import annotations

import math
from typing import Any

import tinydl.backend as backend
from ..backend import Array

# Numerators list the highest power's coefficient first; each denominator is
# monic (its leading coefficient, 1, is left out).
_SMALL_NUM = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
              3.77485237685302021e02, 3.20937758913846947e03)
_SMALL_DEN = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
              2.84423683343917062e03)
_MIDDLE_NUM = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
               6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
               1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03)
_MIDDLE_DEN = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
               1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
               3.43936767414372164e03, 1.23033935480374942e03)
_LARGE_NUM = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
              1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_LARGE_DEN = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
              6.05183413124413191e-2, 2.33520497626869185e-3)

_SMALL_END, _MIDDLE_END = 0.46875, 4.0
_LARGE_END = 32.0  # erfc(32) ~ 1e-447 is 0 even in float64: beyond it erf is exactly +-1


def _rational(t: Array, numerator: tuple, denominator: tuple) -> Array:
    """P(t) / Q(t) by Horner's rule; Q is monic with one coefficient fewer listed than P."""
    top = numerator[0] * t + numerator[1]
    bottom = t + denominator[0]
    for a, b in zip(numerator[2:], denominator[1:]):
        top = top * t + a
        bottom = bottom * t + b
    return top / bottom


def _exp_minus_square(y: Array, xp: Any) -> Array:
    """e^(-y^2), without the rounding error of squaring y first (Cody's trick).

    Split y = r + d with r = y rounded down to a multiple of 1/16: r^2 is exact,
    and y^2 = r^2 + (y - r)(y + r).
    """
    r = xp.trunc(y * 16) / 16
    return xp.exp(-r * r) * xp.exp(-(y - r) * (y + r))


def erf_array(x: Array) -> Array:
    """erf(x) elementwise, in x's floating dtype (float64: within a few ulps)."""
    gpu_erf = backend.gpu_special_function(x, "erf")
    if gpu_erf is not None:
        return gpu_erf(x)
    xp = backend.get_array_module(x)
    y = xp.abs(x)
    # Each fit is evaluated on |x| clipped into its own range, so no branch sees
    # an argument (like 1/0) that would warn; where() then picks the right one.
    small = xp.minimum(y, _SMALL_END)
    small_fit = small * _rational(small * small, _SMALL_NUM, _SMALL_DEN)
    middle = xp.clip(y, _SMALL_END, _MIDDLE_END)
    middle_erfc = _exp_minus_square(middle, xp) * _rational(middle, _MIDDLE_NUM, _MIDDLE_DEN)
    large = xp.clip(y, _MIDDLE_END, _LARGE_END)
    z = 1 / (large * large)
    large_erfc = _exp_minus_square(large, xp) / large * (1 / math.sqrt(math.pi)
                                                         - z * _rational(z, _LARGE_NUM, _LARGE_DEN))
    erfc = xp.where(y <= _MIDDLE_END, middle_erfc, large_erfc)
    magnitude = xp.where(y <= _SMALL_END, small_fit, 1 - erfc)
    return xp.copysign(magnitude, x).astype(x.dtype, copy=False)
