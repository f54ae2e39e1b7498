"""Module and Parameter: how layers own their weights and nest inside each other.

Assigning a :class:`Parameter` or a :class:`Module` to an attribute registers
it (``self.fc = Linear(2, 3)``), so ``parameters()``, ``state_dict()`` and
``to(device)`` find everything without the user listing it.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, NamedTuple

import tinydl.backend as backend
import tinydl.dtypes as dtypes
from ..engine import Tensor, no_grad
from ..ops.convert import to_arguments
import tinydl.nn.hooks as hooks
from .hooks import RemovableHandle, add_module_note


class Parameter(Tensor):
    """A Tensor that a Module registers as one of its weights; requires grad by default."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor(self.array, self.requires_grad).__repr__()


def parameter_factory(device: Any, dtype: Any) -> tuple[Any, Any]:
    """(xp, dtype): the array module and float numpy dtype a layer makes its parameters and buffers with.

    ``device=None`` is the default device, ``dtype=None`` the default float dtype,
    as for every layer's ``device=`` and ``dtype=`` arguments in PyTorch.
    """
    return backend.module_for_device(backend.normalize_device(device)), dtypes.float_dtype(dtype)


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
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run forward (and any hooks). An error raised inside gets a note naming the module path."""
        try:
            if hooks.hook_count:  # the one check a network without hooks pays
                return hooks.call_with_hooks(self, args, kwargs)
            return self.forward(*args, **kwargs)
        except Exception as error:  # free on Python 3.11+ unless raised
            add_module_note(error, self)
            raise

    # ------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each forward; a non-None result replaces args.

        Returns a handle: ``handle.remove()`` unregisters the hook. (PyTorch's
        ``with_kwargs=`` is not supported.)
        """
        return RemovableHandle(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each forward; a non-None result replaces output.

        E.g. to look at activations: ``layer.register_forward_hook(lambda m, a, out: seen.append(out))``.
        Returns a handle: ``handle.remove()`` unregisters the hook.
        """
        return RemovableHandle(self._forward_hooks, hook, prepend)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__.get("_parameters")
        if registries is None and isinstance(value, (Parameter, Module)):
            raise AttributeError(f"cannot assign {type(value).__name__} '{name}' before "
                                 f"Module.__init__() ran: call super().__init__() first in "
                                 f"{type(self).__name__}.__init__")
        if registries is not None:
            if name in self._buffers and not isinstance(value, (Parameter, Module)):
                if value is not None and not isinstance(value, Tensor):
                    raise TypeError(f"cannot assign a {type(value).__name__} to buffer '{name}' of "
                                    f"{type(self).__name__} (a Tensor or None is expected)")
                self._buffers[name] = value  # a buffer stays a buffer, as in PyTorch
            else:
                target = (self._parameters if isinstance(value, Parameter)
                          else self._modules if isinstance(value, Module) else None)
                for registry in (self._parameters, self._buffers, self._modules):
                    if registry is not target:
                        registry.pop(name, None)
                if target is not None:
                    target[name] = value  # replacing keeps the name's place in the order
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

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is state but not a parameter: moved by ``to()``, never trained.

        Persistent buffers (e.g. BatchNorm's running mean) are in ``state_dict()``;
        ``persistent=False`` ones are not.
        """
        _check_member_name("register_buffer", self, name)
        if tensor is not None and (not isinstance(tensor, Tensor) or isinstance(tensor, Parameter)):
            raise TypeError(f"register_buffer: buffer '{name}' must be a Tensor (not a Parameter) or "
                            f"None, got {type(tensor).__name__}")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"register_buffer: attribute '{name}' already exists in {type(self).__name__}")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Register ``module`` as a child called ``name`` (what ``self.name = module`` does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module")
        _check_member_name("add_module", self, name)
        if module is None:
            self._modules[name] = None
            object.__setattr__(self, name, None)
            return
        setattr(self, name, module)

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """This module and all below it, depth first, with dotted names ("" for self).

        A module registered under two names is listed once (under the first)
        unless ``remove_duplicate=False``.
        """
        seen: set[int] = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
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
        """(name, module) for the direct children, each once."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse
                   else [(prefix, self)])
        for module_name, module in modules:
            for name, member in getattr(module, registry).items():
                if member is None or (remove_duplicate and id(member) in seen):
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """("network.0.weight", Parameter) pairs; a shared parameter is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, function: Callable[["Module"], Any]) -> "Module":
        """Call function(module) on every submodule, then on self (e.g. for custom init)."""
        for module in self.children():
            module.apply(function)
        function(self)
        return self

    def get_submodule(self, target: str) -> "Module":
        """The submodule at a dotted path such as "network.2" ("" is self)."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"get_submodule: {type(module).__name__} has no submodule {part!r} "
                                     f"(looking for {target!r})")
            module = child
        return module

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

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set requires_grad on every parameter: ``requires_grad_(False)`` freezes the module.

        Frozen parameters get no ``.grad``, and optimizers skip them.
        """
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    # ------------------------------------------------------------ devices and dtypes
    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """Move parameters (and their grads) and buffers to a device and/or floating dtype, in place.

        The Parameter objects stay the same, so an optimizer made before still
        holds them; build the optimizer after moving, though, as its state is
        not moved.
        """
        device, dtype = to_arguments(args, kwargs)  # read as Tensor.to reads them
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
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict:
        """name -> tensor (sharing data with the model) for every parameter and persistent buffer.

        As in PyTorch: each module lists its parameters, then its buffers, then
        its children's entries; a submodule or parameter registered under two
        names appears under both (``parameters()`` yields it once). The values are
        detached unless ``keep_vars=True``.
        """
        state = {} if destination is None else destination
        for name, parameter in self._parameters.items():
            if parameter is not None:
                state[prefix + name] = parameter if keep_vars else parameter.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                state[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(state, prefix + name + ".", keep_vars)
        return state

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers, in place.

        Every problem (missing keys, unexpected keys, shape mismatches) is
        reported at once, and nothing is changed unless all is well.
        """
        own = self.state_dict(keep_vars=True)  # every name a value can be loaded under
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
        """PyTorch's layout: ``Name(extra)``, or the extra lines and ``(name): child`` lines indented."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(module).replace("\n", "\n  ")
                       for name, module in self._modules.items()]
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra_lines[0]})"
        if not extra_lines and not child_lines:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra_lines + child_lines) + "\n)"


def _check_member_name(op_name: str, module: Module, name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{op_name}: name must be a string, got {type(name).__name__}")
    if "." in name or name == "":
        raise KeyError(f"{op_name}: name {name!r} must be non-empty and contain no '.'")
    if "_parameters" not in module.__dict__:
        raise AttributeError(f"{op_name}: call super().__init__() first in {type(module).__name__}.__init__")


def clear_grads(parameters: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Forget gradients: ``.grad = None``, or fresh zeros with set_to_none=False.

    Zeros are new arrays rather than zeroed in place, because gradient arrays
    may be shared between tensors (see engine.py, _deliver_to_leaf).
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
