"""meshgrid: coordinate grids from 1-D tensors, as ``torch.meshgrid``.

Each grid is its input reshaped to stand along its own axis and expanded over
the others (a broadcast view, like PyTorch's), so the gradient of a grid flows
back through expand and reshape: dL/dt_k is dL/dG_k summed over every axis
but t_k's own, with no backward of its own to write.
"""
from __future__ import annotations

import warnings
from typing import Any

import tinydl.backend as backend
from ..engine import Tensor
from .registry import public
from .shape import expand, reshape


def _grid_inputs(tensors: tuple) -> list[Tensor]:
    """meshgrid(x, y) and meshgrid([x, y]) both give [x, y]; checked as PyTorch checks them."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise ValueError("meshgrid: expects a non-empty sequence of tensors")
    for position, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid: expected tensors, got {type(t).__name__} at position {position}")
        if t.ndim > 1:
            raise ValueError(f"meshgrid: expected 0-D or 1-D tensors, got shape {tuple(t.shape)} "
                             f"at position {position}")
    if len({str(t.dtype) for t in tensors}) > 1:
        raise TypeError(f"meshgrid: all tensors must have the same dtype, got {[str(t.dtype) for t in tensors]}")
    if len({t.device for t in tensors}) > 1:
        raise backend.DeviceError(f"meshgrid: all tensors must be on the same device, got "
                                  f"{[t.device for t in tensors]}")
    return list(tensors)


@public(method=False)
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """N grids G_0 .. G_{N-1} from N 1-D tensors t_0 .. t_{N-1} of sizes S_0 .. S_{N-1}.

    indexing="ij" (matrix indexing, PyTorch's default): every grid has shape
    (S_0, S_1, ..., S_{N-1}) and G_k[i_0, ..., i_{N-1}] = t_k[i_k].
    indexing="xy" (Cartesian, NumPy's default): the first two axes swap, shape
    (S_1, S_0, S_2, ...), so that X, Y = meshgrid(x, y, indexing="xy") has
    X[j, i] = x[i] and Y[j, i] = y[j], as in plotting.

    A 0-D input counts as a 1-D input of one element. Leaving ``indexing`` out
    means "ij" and warns, as PyTorch does (its default may become "xy").
    Returns a tuple of N tensors; each is a broadcast view of its input.
    """
    inputs = _grid_inputs(tensors)
    if indexing is None:
        warnings.warn("meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument (PyTorch's default is indexing='ij', used here)", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be one of 'xy' or 'ij', got {indexing!r}")
    sizes = [t.numel() for t in inputs]
    axis_of = list(range(len(inputs)))  # which output axis input k runs along
    if indexing == "xy" and len(inputs) >= 2:
        axis_of[0], axis_of[1] = 1, 0
    grid_shape = [0] * len(inputs)
    for k, size in enumerate(sizes):
        grid_shape[axis_of[k]] = size
    grids = []
    for k, t in enumerate(inputs):
        # (S_k,) -> (1, .., S_k, .., 1) with S_k at axis_of[k] -> grid_shape
        standing = [1] * len(inputs)
        standing[axis_of[k]] = sizes[k]
        grids.append(expand(reshape(t, *standing), *grid_shape))
    return tuple(grids)
