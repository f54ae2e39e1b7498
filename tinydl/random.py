"""Sampling: normal, randperm, bernoulli, multinomial, the ``*_like`` samplers, seeds.

Everything draws from tinydl's default generator, so ``tinydl.manual_seed(s)``
makes it reproducible, or from the ``generator=`` given (a ``tinydl.Generator``).
Samples are data, not part of the graph: unlike PyTorch, ``normal(mean_tensor, 1.)``
does not carry a (zero) gradient back to ``mean``; write ``mean + std * randn_like(mean)``
for a sample that gradients flow through (the reparameterisation trick).

The generators and the raw draws (arrays) live in ``rng.py``, under creation.py's
``rand``/``randn`` too; this module checks the arguments and makes the tensors.
"""
from __future__ import annotations

from typing import Any, Sequence

import tinydl.backend as backend
import tinydl.dtypes as dtypes
import tinydl.rng as rng
from .creation import _shape, manual_seed  # noqa: F401  (tinydl.random.manual_seed, as torch.random)
from .ops.arguments import require_tensor
from .engine import Tensor

Generator = rng.Generator


def initial_seed() -> int:
    """The seed of the default generator (as set by ``manual_seed``)."""
    return rng.default_generator.initial_seed()


def seed() -> int:
    """Reseed the default generator from fresh entropy; returns the new seed."""
    return rng.manual_seed(rng.default_generator.seed()).initial_seed()


def _device_module(device: Any) -> Any:
    return backend.module_for_device(backend.normalize_device(device))


def _float_dtype(op_name: str, dtype: Any) -> Any:
    dtype = dtypes.float_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{op_name}(): expected a floating-point dtype, got {dtype}")
    return dtype


# ------------------------------------------------------------ normal
def normal(mean: Any, std: Any = 1.0, size: Sequence[int] | None = None, *, generator: Any = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std^2), in PyTorch's three forms:

    * ``normal(mean_tensor, std_tensor)``: one sample per element (shapes broadcast);
    * ``normal(mean_tensor, std=1.0)`` or ``normal(0.0, std_tensor)``: the tensor's shape;
    * ``normal(0.0, 1.0, size=(2, 3))``: numbers for both and an explicit size.
    """
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal(): with a number for both mean and std, give size= "
                            "(e.g. tinydl.normal(0.0, 1.0, size=(2, 3)))")
        xp = _device_module(device)
        shape = _shape((size,) if isinstance(size, int) else tuple(size))
        noise = rng.standard_normal(xp, shape, _float_dtype("normal", dtype), generator)
        return Tensor(noise * noise.dtype.type(std) + noise.dtype.type(mean), requires_grad=requires_grad)
    if size is not None:
        raise TypeError("normal(): size= is only for a number mean and std; a tensor mean/std "
                        "gives the shape itself")
    for name, x in (("mean", mean), ("std", std)):
        if isinstance(x, Tensor) and x.array.dtype.kind != "f":
            raise TypeError(f"normal(): {name} must be a floating-point tensor, got {x.array.dtype}")
    if len(tensors) == 2 and mean.device != std.device:
        raise backend.DeviceError(f"normal(): mean is on {mean.device} but std is on {std.device}")
    xp = backend.get_array_module(tensors[0].array)
    mean_array = mean.array if isinstance(mean, Tensor) else mean
    std_array = std.array if isinstance(std, Tensor) else std
    if (xp.asarray(std_array) < 0).any():
        raise ValueError("normal(): std must be >= 0")
    shape = xp.broadcast(*(x.array for x in tensors)).shape
    dtype = dtypes.result_dtype([(x.array.dtype, x.array.ndim) for x in tensors], [])
    noise = rng.standard_normal(xp, shape, dtype, generator)
    return Tensor((noise * std_array + mean_array).astype(dtype, copy=False))


# ------------------------------------------------------------ *_like
def _like(op_name: str, input: Any, dtype: Any, device: Any) -> tuple:  # noqa: A002
    input = require_tensor(op_name, input)
    device = input.device if device is None else backend.normalize_device(device)
    dtype = input.array.dtype if dtype is None else backend.as_numpy_dtype(dtype)
    return backend.module_for_device(device), tuple(input.shape), dtype


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
              generator: Any = None) -> Tensor:  # noqa: A002
    """Uniform samples in [0, 1) with input's shape (and dtype, device unless given)."""
    xp, shape, dtype = _like("rand_like", input, dtype, device)
    dtype = _float_dtype("rand_like", dtype)
    return Tensor(rng.uniform(xp, 0.0, 1.0, shape, dtype, generator), requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               generator: Any = None) -> Tensor:  # noqa: A002
    """Standard normal samples with input's shape (and dtype, device unless given)."""
    xp, shape, dtype = _like("randn_like", input, dtype, device)
    dtype = _float_dtype("randn_like", dtype)
    return Tensor(rng.standard_normal(xp, shape, dtype, generator), requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None,
                 device: Any = None, requires_grad: bool = False, generator: Any = None) -> Tensor:  # noqa: A002
    """Integers in [low, high) with input's shape and dtype (``randint_like(x, high)`` also works).

    As in PyTorch the dtype is input's, so a float tensor gives whole numbers as floats.
    """
    if high is None:
        low, high = 0, low
    if low >= high:
        raise ValueError(f"randint_like(): expected low < high, got low={low}, high={high}")
    xp, shape, dtype = _like("randint_like", input, dtype, device)
    return Tensor(rng.integers(xp, low, high, shape, dtype, generator), requires_grad=requires_grad)


# ------------------------------------------------------------ permutations and draws
def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random ordering of 0, 1, ..., n-1 (int64 unless dtype is given)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"randperm(): n must be a non-negative int, got {n!r}")
    order = rng.permutation(_device_module(device), n, generator)
    if dtype is not None:
        order = order.astype(backend.as_numpy_dtype(dtype))
    return Tensor(order, requires_grad=requires_grad)


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    """1 with probability ``input`` (elementwise), else 0, in input's dtype.

    ``bernoulli(x, p)`` uses the one probability p for every element of x's shape.
    """
    input = require_tensor("bernoulli", input)
    if input.array.dtype.kind != "f":
        raise TypeError(f"bernoulli(): expected a floating-point tensor of probabilities, got {input.array.dtype}")
    xp = backend.get_array_module(input.array)
    probability = input.array if p is None else p
    if ((xp.asarray(probability) < 0) | (xp.asarray(probability) > 1)).any():
        raise ValueError("bernoulli(): probabilities must be in [0, 1]")
    draws = rng.uniform(xp, 0.0, 1.0, input.shape, input.array.dtype, generator)
    return Tensor((draws < probability).astype(input.array.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Any = None) -> Tensor:
    """Indices drawn from the rows of ``input``: weights (N, C) or (C,), not necessarily normalised.

    Returns int64 of shape (N, num_samples) or (num_samples,). Without replacement
    an index appears at most once per row (and only indices of non-zero weight).
    """
    input = require_tensor("multinomial", input)
    if input.ndim not in (1, 2):
        raise ValueError(f"multinomial(): input must be 1-D or 2-D weights, got shape {tuple(input.shape)}")
    if input.array.dtype.kind != "f":
        raise TypeError(f"multinomial(): expected floating-point weights, got {input.array.dtype}")
    xp = backend.get_array_module(input.array)
    weights = input.array.reshape(-1, input.shape[-1]).astype("float64")  # (N, C)
    categories = weights.shape[1]
    if not isinstance(num_samples, int) or num_samples <= 0:
        raise ValueError(f"multinomial(): num_samples must be a positive int, got {num_samples!r}")
    if not bool(xp.isfinite(weights).all()) or bool((weights < 0).any()):
        raise ValueError("multinomial(): weights must be finite and non-negative")
    nonzero = (weights > 0).sum(axis=1)  # (N,)
    if bool((nonzero == 0).any()):
        raise ValueError("multinomial(): a row of weights sums to 0")
    if not replacement and num_samples > int(nonzero.min()):
        raise ValueError(f"multinomial(): cannot draw {num_samples} samples without replacement from a "
                         f"row with {int(nonzero.min())} non-zero weight(s) (of {categories} categories)")
    draws = rng.uniform(xp, 0.0, 1.0, (weights.shape[0], num_samples if replacement else categories),
                            "float64", generator)
    if replacement:
        # Invert the cumulative distribution: the first category whose running total passes u.
        cumulative = weights.cumsum(axis=1)
        targets = draws * cumulative[:, -1:]  # (N, num_samples)
        index = (cumulative[:, None, :] <= targets[:, :, None]).sum(axis=2)  # (N, num_samples)
        index = xp.minimum(index, categories - 1)
    else:
        # Gumbel top-k: the k largest log(w) + Gumbel noise are a draw of k without replacement.
        with backend.quiet_floating_errors(xp):
            keys = xp.log(weights) - xp.log(-xp.log(draws))  # log 0 = -inf: never picked
        index = xp.argsort(-keys, axis=1)[:, :num_samples]
    index = index.astype("int64")
    return Tensor(index if input.ndim == 2 else index[0])


# ------------------------------------------------------------ in-place samplers' values
def normal_values(x: Tensor, mean: float, std: float, generator: Any) -> Any:
    """Samples of N(mean, std^2) with x's shape, dtype and device (for ``x.normal_()``)."""
    xp = backend.get_array_module(x.array)
    noise = rng.standard_normal(xp, x.shape, _float_dtype("normal_", x.array.dtype), generator)
    return noise * noise.dtype.type(std) + noise.dtype.type(mean)


def uniform_values(x: Tensor, low: float, high: float, generator: Any) -> Any:
    """Uniform samples in [low, high) with x's shape, dtype and device (for ``x.uniform_()``)."""
    xp = backend.get_array_module(x.array)
    return rng.uniform(xp, low, high, x.shape, _float_dtype("uniform_", x.array.dtype), generator)


def bernoulli_values(x: Tensor, p: float, generator: Any) -> Any:
    """1 with probability p, else 0, with x's shape, dtype (any) and device (for ``x.bernoulli_()``)."""
    if not 0 <= p <= 1:
        raise ValueError(f"bernoulli_(): p must be in [0, 1], got {p}")
    xp = backend.get_array_module(x.array)
    return (rng.uniform(xp, 0.0, 1.0, x.shape, "float64", generator) < p).astype(x.array.dtype)


def random_values(x: Tensor, low: int, high: int | None, generator: Any) -> Any:
    """Whole numbers in [low, high) with x's shape and dtype (for ``x.random_()``).

    With no ``high``: up to the largest integer the dtype holds exactly, as PyTorch
    (2^24 for float32, 2^53 for float64, the maximum for integer dtypes).
    """
    dtype = x.array.dtype
    if high is None:
        bits = dtype.itemsize * 8
        if dtype.kind == "f":  # mantissa bits + 1: 11, 24, 53
            high = 2 ** (bits - {16: 5, 32: 8, 64: 11}[bits]) + 1
        else:  # the dtype's largest value (int64's is one short: numpy draws at most 2^63 - 2)
            high = {"b": 2, "u": 2 ** bits, "i": 2 ** (bits - 1) - 1}[dtype.kind]
    if low >= high:
        raise ValueError(f"random_(): expected from < to, got from={low}, to={high}")
    xp = backend.get_array_module(x.array)
    return rng.integers(xp, low, high, x.shape, dtype, generator)
