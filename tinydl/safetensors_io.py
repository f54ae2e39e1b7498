"""State dicts in the safetensors format, which PyTorch and the wider ecosystem read.

    tinydl.save(model.state_dict(), "model.safetensors")     # tinydl -> file
    torch_model.load_state_dict(safetensors.torch.load_file("model.safetensors"))
    model.load_state_dict(tinydl.load("model.safetensors"))  # and back

``tinydl.save`` / ``tinydl.load`` come here when the file name ends in
``.safetensors`` (see serialize.py); every other name keeps tinydl's .npz
checkpoints. A safetensors file is an 8-byte header length, a JSON header
(name -> dtype, shape, byte range) and the raw little-endian bytes: it holds
a flat ``{name: tensor}`` dict and, like .npz under ``allow_pickle=False``,
can never run code when loaded. tinydl's layers store their weights in
PyTorch's layout (``Linear.weight`` is (out_features, in_features)), so the
names and shapes of ``state_dict()`` match PyTorch's module for module.

The format is read and written by the ``safetensors`` library (Hugging Face's
reference implementation, NumPy interface), an optional extra:
``pip install "tinydl-edu[safetensors]"``.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy

import tinydl.backend as backend
from .engine import Tensor

SUFFIX = ".safetensors"
# safetensors' NumPy interface knows these kinds: bool, signed/unsigned integers, floats
ALLOWED_KINDS = "biuf"
INSTALL_HINT = ('pip install "tinydl-edu[safetensors]" (in a clone of tinydl: '
                '.venv/bin/pip install -e ".[safetensors]")')


class SafetensorsError(ValueError):
    """The file is not a valid safetensors file, or the object cannot be stored in one."""


def is_safetensors_path(path: str | os.PathLike) -> bool:
    """Does ``path`` name a safetensors file (by its extension)?"""
    return os.fspath(path).lower().endswith(SUFFIX)


def _library() -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        message = ("tinydl.save/load of a .safetensors file need the `safetensors` library, which is not "
                   f"installed: {INSTALL_HINT}. Or save as .npz, which needs nothing more.")
        raise ImportError(message) from None
    return safetensors.numpy


def save_safetensors(state_dict: Any, path: str | os.PathLike) -> None:
    """Write a flat ``{name: tensor}`` dict (a model's ``state_dict()``) to ``path`` as safetensors.

    The file is written under a temporary name and renamed, so an interrupted
    save never leaves half a file. Nested objects (an optimizer's state dict)
    do not fit the format: save those as .npz.
    """
    if not isinstance(state_dict, dict):
        raise SafetensorsError(f"save: a .safetensors file holds a dict of tensors (model.state_dict()), "
                               f"not a {type(state_dict).__name__}; save other objects as .npz")
    arrays: dict[str, numpy.ndarray] = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise SafetensorsError(f"save: safetensors names must be str, got {name!r}")
        if not (isinstance(value, Tensor) or backend.is_ndarray(value)):
            raise SafetensorsError(
                f"save: {name!r} is a {type(value).__name__}; a .safetensors file holds only tensors "
                "(a model's state_dict()). Nested state such as optimizer.state_dict() goes in a .npz file.")
        array = backend.to_device(value.array if isinstance(value, Tensor) else value, "cpu")
        if array.dtype.kind not in ALLOWED_KINDS:
            raise SafetensorsError(f"save: {name!r} has dtype {array.dtype}; "
                                   "only numeric and bool tensors fit")
        arrays[name] = numpy.require(array, requirements="C")  # (ascontiguousarray would make a 0-d array 1-d)
    # "format": "pt" tells readers such as Hugging Face transformers that names and layouts
    # are PyTorch's, which tinydl's state dicts follow.
    payload = _library().save(arrays, metadata={"format": "pt", "written_by": "tinydl"})

    path = os.fspath(path)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def load_safetensors(path: str | os.PathLike, map_location: Any = None) -> dict[str, Tensor]:
    """Read a safetensors file into ``{name: Tensor}``, on "cpu" or on ``map_location``."""
    path = os.fspath(path)
    device = backend.normalize_device(map_location) if map_location is not None else "cpu"
    with open(path, "rb") as file:
        payload = file.read()
    try:
        arrays = _library().load(payload)
    except Exception as error:  # the library's SafetensorError and deserialisation errors
        raise SafetensorsError(f"load: {path!r} is not a valid safetensors file: {error}") from None
    state = {}
    for name, array in arrays.items():
        if array.dtype.kind not in ALLOWED_KINDS:
            raise SafetensorsError(f"load: {path!r}: {name!r} has dtype {array.dtype}, "
                                   "which tinydl cannot hold")
        writable = numpy.array(array, copy=True)  # the library may hand out read-only views of its buffer
        state[name] = Tensor(backend.to_device(writable, device))
    return state
