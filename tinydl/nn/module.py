"""Module and Parameter: how layers own their weights and nest inside each other.

Assigning a :class:`Parameter` or a :class:`Module` to an attribute registers
it (``self.fc = Linear(2, 3)``), so ``parameters()``, ``state_dict()`` and
``to(device)`` find everything without the user listing it.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, NamedTuple

import tinydl.backend as backend
from ..tensor import Tensor, no_grad


class Parameter(Tensor):
    """A Tensor that a Module registers as one of its weights; requires grad by default."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor(self.array, self.requires_grad).__repr__()


class IncompatibleKeys(NamedTuple):
    """What load_state_dict(strict=False) skipped."""

    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class of every layer and model: subclass it and write ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__.get("_parameters")
        if registries is None and isinstance(value, (Parameter, Module)):
            raise AttributeError(f"cannot assign {type(value).__name__} '{name}' before "
                                 f"Module.__init__() ran: call super().__init__() first in "
                                 f"{type(self).__name__}.__init__")
        if registries is not None:
            for registry in (self._parameters, self._buffers, self._modules):
                registry.pop(name, None)
            if isinstance(value, Parameter):
                self._parameters[name] = value
            elif isinstance(value, Module):
                self._modules[name] = value
        # Also a plain attribute, so that `self.weight` is an ordinary (fast) lookup.
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, parameter: Parameter | None) -> None:
        if parameter is None:
            object.__setattr__(self, name, None)
            self._parameters.pop(name, None)
            return
        setattr(self, name, parameter)

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """A tensor that is state but not a parameter (saved, moved, never trained)."""
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: "Module | None") -> None:
        if module is None:
            self._modules[name] = None
            object.__setattr__(self, name, None)
            return
        setattr(self, name, module)

    # ------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """This module and all below it, depth first, with dotted names ("" for self)."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules() if recurse else [("", self)]
        for module_name, module in modules:
            for name, member in getattr(module, registry).items():
                if member is None or id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """("network.0.weight", Parameter) pairs; a shared parameter is listed once."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse):
            yield parameter

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse):
            yield buffer

    def apply(self, function: Any) -> "Module":
        """Call function(module) on every submodule, then on self (e.g. for custom init)."""
        for module in self.children():
            module.apply(function)
        function(self)
        return self

    # ------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> "Module":
        """Training mode (Dropout drops); ``train(False)`` is ``eval()``."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: Dropout becomes the identity."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        clear_grads(self.parameters(), set_to_none)

    # ------------------------------------------------------------ devices and dtypes
    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """Move parameters (and their grads) and buffers to a device and/or floating dtype, in place.

        The Parameter objects stay the same, so an optimizer made before still
        holds them; build the optimizer after moving, though, as its state is
        not moved.
        """
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        for arg in args:
            if isinstance(arg, str):
                device = arg
            else:
                dtype = arg
        if kwargs:
            raise TypeError(f"to(): unexpected arguments {sorted(kwargs)}")
        device = backend.normalize_device(device) if device is not None else None
        dtype = backend.as_numpy_dtype(dtype) if dtype is not None else None
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to: only floating dtypes are allowed, got {dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            tensor.array = _converted(tensor.array, device, dtype)
            if tensor.grad is not None:
                tensor.grad = Tensor(_converted(tensor.grad.array, device, dtype))
        return self

    def cpu(self) -> "Module":
        return self.to("cpu")

    def cuda(self, device: Any = "cuda") -> "Module":
        return self.to(device)

    def double(self) -> "Module":
        """float64 parameters, e.g. to gradcheck a layer."""
        return self.to(dtype="float64")

    def float(self) -> "Module":  # noqa: A003
        return self.to(dtype="float32")

    # ------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """name -> tensor (sharing data with the model) for every parameter and buffer."""
        state = {}
        for name, tensor in list(self.named_parameters()) + list(self.named_buffers()):
            state[name] = tensor.detach()
        return state

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers, in place.

        Every problem (missing keys, unexpected keys, shape mismatches) is
        reported at once, and nothing is changed unless all is well.
        """
        own = dict(list(self.named_parameters()) + list(self.named_buffers()))
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        problems = []
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            array = value.array if isinstance(value, Tensor) else value
            if not backend.is_ndarray(array):
                problems.append(f"value for {name} is a {type(value).__name__}, not a tensor")
            elif tuple(array.shape) != tuple(target.shape):
                problems.append(f"size mismatch for {name}: the checkpoint has shape "
                                f"{tuple(array.shape)}, the model has {tuple(target.shape)}")
            elif array.dtype.kind not in "fiub":
                problems.append(f"value for {name} has unsupported dtype {array.dtype}")
        if strict:
            if missing:
                problems.insert(0, "missing key(s): " + ", ".join(missing))
            if unexpected:
                problems.insert(1 if missing else 0, "unexpected key(s): " + ", ".join(unexpected))
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n  "
                               + "\n  ".join(problems))
        with no_grad():
            for name, target in own.items():
                if name in state_dict:
                    value = state_dict[name]
                    array = value.array if isinstance(value, Tensor) else value
                    with backend.device_scope(target.array):  # CuPy computes on its current GPU
                        array = backend.to_device(array, target.device).astype(target.dtype, copy=False)
                        target.array[...] = array  # in place: the Parameter object stays the same
                    target._bump_version()
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside this module's parentheses, e.g. "in_features=2, out_features=3"."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n" + "\n".join(lines) + "\n)"


def clear_grads(parameters: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Forget gradients: ``.grad = None``, or fresh zeros with set_to_none=False.

    Zeros are new arrays rather than zeroed in place, because gradient arrays
    may be shared between tensors (see tensor.py, _accumulate_into_leaf).
    """
    for parameter in parameters:
        if set_to_none or parameter.grad is None:
            parameter.grad = None
        else:
            xp = backend.module_for_device(parameter.grad.device)
            parameter.grad = Tensor(xp.zeros_like(parameter.grad.array))


def _converted(array: Any, device: str | None, dtype: Any) -> Any:
    if device is not None:
        array = backend.to_device(array, device)
    if dtype is not None and array.dtype.kind == "f":
        array = array.astype(dtype, copy=False)
    return array


__all__ = ["IncompatibleKeys", "Module", "Parameter", "clear_grads"]
