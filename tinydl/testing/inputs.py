"""Example inputs for the layer checks: made from a shape, converted to a dtype and device, cut into batches.

An example is a list with one entry per positional argument of the function
or module. Tensors in it are inputs; anything else (a ``dim=1``, a string,
None) is passed through unchanged. Floating-point tensors are converted to the
dtype a check needs and become leaves that require grad; integer tensors
(class indices, Embedding ids) keep their dtype and are never differentiated.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import tinydl.backend as backend
import tinydl.rng as rng
from ..engine import Tensor

__all__ = ["as_example", "backward_with_weights", "batch_size", "describe", "float_outputs", "from_shape",
           "is_float", "output_weights", "prepare",
           "seeded", "take_rows"]


def as_example(values: Sequence[Any]) -> list:
    """The example as a list: NumPy arrays become Tensors (detached copies), the rest stays."""
    example = []
    for value in values:
        if isinstance(value, Tensor):
            example.append(Tensor(value.array.copy()))
        elif backend.is_ndarray(value):
            example.append(Tensor(value.copy()))
        else:
            example.append(value)
    return example


def from_shape(shape: Sequence[int], seed: int) -> list:
    """One float32 input of ``shape`` with standard normal values (from a generator of its own)."""
    host, generator = backend.module_for_device("cpu"), rng.Generator().manual_seed(seed)
    return [Tensor(rng.standard_normal(host, tuple(shape), "float32", generator))]


def is_float(value: Any) -> bool:
    return isinstance(value, Tensor) and value.dtype.kind == "f"


def prepare(example: list, dtype: Any, device: str = "cpu", requires_grad: bool = True) -> list:
    """Fresh inputs for one run: floating tensors as ``dtype`` leaves (requiring grad), on ``device``."""
    inputs = []
    for value in example:
        if isinstance(value, Tensor):
            array = backend.to_device(value.array, backend.normalize_device(device))
            if value.dtype.kind == "f":
                array = array.astype(dtype)
                inputs.append(Tensor(array, requires_grad=requires_grad))
            else:
                inputs.append(Tensor(array))
        else:
            inputs.append(value)
    return inputs


def batch_size(example: list) -> int | None:
    """N, the size of dimension 0 of the first tensor input (None if no input has a dimension)."""
    for value in example:
        if isinstance(value, Tensor) and value.ndim >= 1:
            return int(value.shape[0])
    return None


def take_rows(example: list, rows: Sequence[int]) -> list:
    """The example with only ``rows`` of the batch: every tensor whose dim 0 has size N is indexed."""
    size = batch_size(example)
    picked = []
    for value in example:
        if isinstance(value, Tensor) and value.ndim >= 1 and value.shape[0] == size:
            picked.append(Tensor(value.array[list(rows)]))  # (N, ...) -> (len(rows), ...)
        else:
            picked.append(value)
    return picked


def describe(example: list) -> str:
    """'input (4, 3) float32' or 'inputs (4, 3) float32, (4,) int64'."""
    parts = [f"{tuple(value.shape)} {value.dtype.numpy_dtype.name}" if isinstance(value, Tensor)
             else repr(value) for value in example]
    return ("input " if len(parts) == 1 else "inputs ") + ", ".join(parts)


def float_outputs(result: Any) -> list[Tensor]:
    """The floating-point tensors among a forward's outputs (a Tensor or a tuple/list of them)."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [item for item in items if isinstance(item, Tensor) and item.dtype.kind == "f"]


# A stream of its own for the output weights v. Drawn from the seed of the inputs that
# from_shape makes, v would equal x for an output shaped like x, and for y = x W^T the
# weight gradient v^T x = x^T x would be symmetric: a transposed dW would go unseen.
_WEIGHTS_SEED_OFFSET = 0x77656967  # "weig"


def output_weights(outputs: list[Tensor], seed: int) -> list[Any]:
    """Fixed random weights v_k, one array per output: backward runs on L = sum_k <v_k, output_k>."""
    generator = rng.Generator().manual_seed(seed + _WEIGHTS_SEED_OFFSET)
    return [rng.standard_normal(backend.get_array_module(out.array), tuple(out.shape), out.dtype,
                                    generator) for out in outputs]


def backward_with_weights(outputs: list[Tensor], seed: int) -> bool:
    """Backpropagate L = sum_k <v_k, output_k> (random v_k); False if no output requires grad."""
    total = None
    for out, weight in zip(outputs, output_weights(outputs, seed)):
        if out.requires_grad:
            term = (out * Tensor(weight)).sum()
            total = term if total is None else total + term
    if total is None:
        return False
    total.backward()
    return True


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run with tinydl's default (CPU) generator restarted from ``seed``, then put the caller's back.

    Every call of a module under ``seeded(s)`` draws the same random numbers (the
    same Dropout mask), so finite differences and repeated runs are comparable,
    and the caller's random stream is left exactly where it was.
    """
    generator = rng.default_generator
    saved = generator.numpy, generator.initial_seed()
    generator.manual_seed(seed)
    try:
        yield
    finally:
        generator.numpy, generator._initial_seed = saved
