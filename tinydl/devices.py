"""``tinydl.device``: the name of a place where tensors live, as PyTorch's ``torch.device``.

Only names here: whether a device is usable (CuPy installed, a GPU present) is
``backend.py``'s business, asked when a tensor is put there.
"""
from __future__ import annotations

import builtins


class DeviceError(RuntimeError):
    """A device was asked for that cannot be used, or tensors on two devices met."""


class Device(str):
    """``tinydl.device("cpu")``, ``device("cuda:0")``, ``device("cuda", 0)``: where a tensor lives.

    As PyTorch's ``torch.device``: ``.type`` ("cpu" or "cuda") and ``.index``
    (None for "cpu" and for a bare "cuda", which means the current GPU);
    ``repr`` is ``device(type='cuda', index=0)``. It is also the string
    ``"cuda:0"`` itself, so ``t.device == "cpu"``, ``f"{t.device}"`` and dict
    keys keep working, and it is accepted wherever a device string is.
    Making one never checks that the device is usable; putting a tensor there does.
    """

    __slots__ = ()

    def __new__(cls, type: "str | Device | int", index: int | None = None) -> "Device":  # noqa: A002
        if isinstance(type, Device) and index is None:
            return type
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            type, index = "cuda", type  # PyTorch: device(0) is cuda:0
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string such as 'cpu' or 'cuda:0', "
                            f"got {builtins.type(type).__name__}")
        name = type.strip().lower()
        kind, _, index_text = name.partition(":")
        if index_text:
            if index is not None:
                raise DeviceError(f"device({type!r}, {index}): the string must not include an index "
                                  "when index is passed explicitly")
            if not index_text.isdigit():
                raise DeviceError(f"device {type!r}: expected 'cuda' or 'cuda:N' with N an integer")
            index = int(index_text)
        if kind not in ("cpu", "cuda"):
            raise DeviceError(f"unknown device {type!r}: expected 'cpu', 'cuda' or 'cuda:N' "
                              "(tinydl runs on NumPy or, for NVIDIA GPUs, CuPy)")
        if index is not None:
            if kind == "cpu":
                raise DeviceError(f"device {type!r}: tinydl's cpu device has no index; use 'cpu'")
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise DeviceError(f"device: the index must be a non-negative integer, got {index!r}")
        return super().__new__(cls, kind if index is None else f"{kind}:{index}")

    @property
    def type(self) -> str:  # noqa: A003  (PyTorch's name)
        return self.partition(":")[0]

    @property
    def index(self) -> int | None:
        index_text = self.partition(":")[2]
        return int(index_text) if index_text else None

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self) -> tuple:
        return (Device, (str(self),))
