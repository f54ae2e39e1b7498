"""save() and load(): checkpoints as .npz files that never run code when loaded.

A checkpoint is an ordinary NumPy ``.npz`` (a zip of ``.npy`` arrays) with

* one array per tensor, named ``t0``, ``t1``, ...;
* ``__tinydl__``: a JSON text describing the saved object (nested dicts,
  lists, tuples, numbers, strings, None) in which tensors appear as
  references ``{"tensor": "t0", "dtype": ..., "shape": ..., "sha256": ...}``.

Loading uses ``numpy.load(allow_pickle=False)`` and ``json``, so a file can
only ever produce numbers and containers, never execute code. Every array is
checked against the dtype, shape and SHA-256 recorded for it, so a truncated
or edited file is refused with an error instead of being half-loaded.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from typing import Any, Callable

import numpy

import tinydl.backend as backend
import tinydl.safetensors_io as safetensors_io
from .engine import Tensor

FORMAT = "tinydl-checkpoint"
VERSION = 1
META_KEY = "__tinydl__"
ALLOWED_KINDS = "biuf"  # bool, integers, floats: nothing that could hold objects


class CheckpointError(ValueError):
    """The file is not a valid tinydl checkpoint (corrupt, truncated, tampered, or foreign)."""


def _digest(array: numpy.ndarray) -> str:
    """SHA-256 of the array's bytes (in C order): recorded at save, compared at load."""
    return hashlib.sha256(numpy.require(array, requirements="C").tobytes()).hexdigest()


# ------------------------------------------------------------------ save
def save(obj: Any, path: str | os.PathLike) -> None:
    """Write a state dict (nested dicts/lists/tuples of tensors, numbers, strings) to ``path``.

    The file is written to a temporary name first and then renamed, so an
    interrupted save never leaves a truncated checkpoint behind.
    """
    # A name ending in .safetensors writes that format instead (PyTorch's interchange format).
    if safetensors_io.is_safetensors_path(path):
        return safetensors_io.save_safetensors(obj, path)
    arrays: dict[str, numpy.ndarray] = {}

    def encode(value: Any, where: str) -> Any:
        """``value`` as JSON; each tensor or array goes into ``arrays`` and is referred to by name.

        ``where`` says where in ``obj`` the value sits ("object['fc.weight']"), for errors.
        """
        if isinstance(value, Tensor) or backend.is_ndarray(value):
            array = backend.to_device(value.array if isinstance(value, Tensor) else value, "cpu")
            if array.dtype.kind not in ALLOWED_KINDS:
                raise TypeError(f"save: {where} has dtype {array.dtype}; only numeric and bool tensors can be saved")
            name = f"t{len(arrays)}"
            arrays[name] = numpy.require(array, requirements="C")  # (ascontiguousarray would make a 0-d array 1-d)
            return {"tensor": name, "dtype": str(array.dtype), "shape": list(array.shape),
                    "device": value.device if isinstance(value, Tensor) else backend.device_of(value),
                    "kind": "tensor" if isinstance(value, Tensor) else "ndarray",
                    "sha256": _digest(array)}
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise TypeError(f"save: {where} has a key of type {type(key).__name__}; keys must be str or int")
                items.append([key, encode(item, f"{where}[{key!r}]")])
            return {"dict": items}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [encode(item, f"{where}[{i}]") for i, item in enumerate(value)]}
        if value is None or isinstance(value, (bool, int, float, str)):
            return {"value": value}
        if backend.is_numpy_scalar(value):
            return {"value": value.item()}
        raise TypeError(f"save: cannot save {where} of type {type(value).__name__} (save state dicts: "
                        "model.state_dict(), optimizer.state_dict())")

    tree = encode(obj, "object")
    meta = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree})
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            numpy.savez(file, **{META_KEY: numpy.array(meta)}, **arrays)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# ------------------------------------------------------------------ load
PICKLE_REFUSAL = (
    "tinydl never unpickles, because loading a pickle can run arbitrary code hidden in the file. "
    "Safe route: in PyTorch, re-export the weights as plain arrays, e.g.\n"
    "    numpy.savez('weights.npz', **{k: v.detach().cpu().numpy() for k, v in model.state_dict().items()})\n"
    "or save them with safetensors (safetensors.torch.save_file(model.state_dict(), 'weights.safetensors')); "
    "then in tinydl:\n"
    "    model.load_state_dict(dict(numpy.load('weights.npz')))   "
    "# or safetensors.numpy.load_file('weights.safetensors')")


def _sniff_pickle(path: str) -> str | None:
    """Why the file looks like a pickle (a PyTorch .pt/.pth zip, or a raw pickle), or None."""
    with open(path, "rb") as file:
        head = file.read(6)
    if head[:1] == b"\x80":  # the PROTO opcode that starts every pickle of protocol 2 and later
        return "it is a Python pickle"
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        if any(name.endswith(".pkl") for name in names):
            return "it is a PyTorch checkpoint (torch.save), a zip holding pickled objects"
    return None


def load(path: str | os.PathLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = True, mmap: Any = None, **pickle_load_args: Any) -> Any:
    """Read a checkpoint written by save(). Tensors go back to the device they were saved from,
    or to ``map_location`` ("cpu", "cuda", "cuda:1") if given.

    tinydl's format holds only arrays and JSON, so loading is always safe:
    ``weights_only`` is accepted for PyTorch code (True or False, the same
    safe loading either way), and ``pickle_module``/``mmap`` must be left unset.
    A pickle (such as a PyTorch ``.pth``) is refused with an error that shows
    how to convert it.
    """
    # A .safetensors file (written by tinydl, PyTorch, ...) reads as {name: Tensor}.
    if safetensors_io.is_safetensors_path(path):
        return safetensors_io.load_safetensors(path, map_location)
    path = os.fspath(path)
    if pickle_module is not None or pickle_load_args:
        raise TypeError("load: tinydl checkpoints contain no pickles; pickle_module and pickle load "
                        "arguments are not accepted")
    if mmap:
        raise NotImplementedError("load: mmap=True is not supported by tinydl")
    if map_location is not None and (callable(map_location) or isinstance(map_location, dict)):
        raise TypeError("load: map_location must be a device such as 'cpu' or 'cuda'; tinydl does not take "
                        "a function or a dict")
    target = backend.normalize_device(map_location) if map_location is not None else None

    def refuse(reason: str) -> CheckpointError:
        return CheckpointError(f"load: {path!r} is not a valid tinydl checkpoint: {reason}")

    pickled = _sniff_pickle(path)
    if pickled is not None:
        raise refuse(f"{pickled}. {PICKLE_REFUSAL}")
    try:
        archive = numpy.load(path, allow_pickle=False)
        if not hasattr(archive, "files"):
            raise refuse("it is a single .npy array, not a .npz checkpoint (read it with numpy.load)")
        with archive:
            if META_KEY not in archive.files:
                raise refuse(f"it has no {META_KEY} entry (was it written by tinydl.save? A plain NumPy "
                             "archive of weights loads with model.load_state_dict(dict(numpy.load(path))))")
            meta_array = archive[META_KEY]
            if meta_array.dtype.kind != "U" or meta_array.shape != ():
                raise refuse(f"its {META_KEY} entry is not a text")
            try:
                meta = json.loads(str(meta_array))
            except json.JSONDecodeError as error:
                raise refuse(f"its description is not valid JSON ({error})") from None
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise refuse("its description does not say it is a tinydl checkpoint")
            if meta.get("version") != VERSION:
                raise refuse(f"it has format version {meta.get('version')!r}; this tinydl reads {VERSION}")
            return _decode(meta.get("tree"), archive, target, refuse)
    except CheckpointError:
        raise
    except FileNotFoundError:  # the user's mistake, not a bad file: not wrapped like the OSErrors below
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        if "pickle" in str(error):  # numpy found pickled data: never pass on its allow_pickle advice
            raise refuse(f"NumPy could read it only as pickled Python objects. {PICKLE_REFUSAL}") from None
        raise refuse(f"{type(error).__name__}: {error}") from None


def _decode(node: Any, archive: Any, target: str | None, refuse: Callable[[str], CheckpointError]) -> Any:
    """Rebuild the saved object from its JSON ``node``, checking every array against its record.

    ``archive`` is the open .npz; tensors go to ``target`` (map_location) or to the
    device they were saved from; ``refuse(reason)`` makes the error for a bad file.
    """
    if not isinstance(node, dict) or len(node) == 0:
        raise refuse(f"malformed entry {node!r:.80}")
    if "tensor" in node:
        name = node["tensor"]
        if not isinstance(name, str) or name not in archive.files or name == META_KEY:
            raise refuse(f"it refers to a missing array {name!r}")
        array = archive[name]
        if array.dtype.kind not in ALLOWED_KINDS:
            raise refuse(f"array {name} has dtype {array.dtype}, which tinydl never writes")
        if str(array.dtype) != node.get("dtype") or list(array.shape) != node.get("shape"):
            raise refuse(f"array {name} is {array.dtype}{list(array.shape)} but was saved as "
                         f"{node.get('dtype')}{node.get('shape')}")
        if _digest(array) != node.get("sha256"):
            raise refuse(f"array {name} does not match its recorded checksum (the file was modified)")
        device = target or node.get("device", "cpu")
        if node.get("kind") == "ndarray":
            return backend.to_device(array, backend.normalize_device(device))
        return Tensor(backend.to_device(array, backend.normalize_device(device)))
    if "dict" in node:
        result = {}
        for pair in node["dict"]:
            if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], (str, int)):
                raise refuse(f"malformed dict entry {pair!r:.80}")
            result[pair[0]] = _decode(pair[1], archive, target, refuse)
        return result
    if "list" in node:
        return [_decode(item, archive, target, refuse) for item in node["list"]]
    if "tuple" in node:
        return tuple(_decode(item, archive, target, refuse) for item in node["tuple"])
    if "value" in node:
        value = node["value"]
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise refuse(f"malformed value {value!r:.80}")
        return value
    raise refuse(f"unknown entry {node!r:.80}")
