"""Sequential and ModuleList: modules that hold other modules."""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from .module import Module


class Sequential(Module):
    """Runs its modules one after the other: Sequential(Linear(2, 8), ReLU(), Linear(8, 1))."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                if not isinstance(module, Module):
                    raise TypeError(f"Sequential: argument {index} is a {type(module).__name__}, not a Module")
                self.add_module(str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)  # each module's output is the next one's input (its shape is theirs to say)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        """seq[i] is the i-th module; seq[1:] is a Sequential that keeps the original names
        ("1", "2", ...), so its parameters are "2.weight", ..., as in PyTorch."""
        if isinstance(index, slice):
            return Sequential(dict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, self._key(index), module)

    def __delitem__(self, index: int | slice) -> None:
        removed = set(list(self._modules)[index] if isinstance(index, slice) else [self._key(index)])
        kept = [module for key, module in self._modules.items() if key not in removed]
        for key in list(self._modules):
            delattr(self, key)
        for number, module in enumerate(kept):  # PyTorch renumbers what is left: 0, 1, 2, ...
            self.add_module(str(number), module)

    def _key(self, index: int) -> str:
        keys = list(self._modules)
        if not isinstance(index, int) or not -len(keys) <= index < len(keys):
            raise IndexError(f"Sequential: index {index!r} is out of range for {len(keys)} modules")
        return keys[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "Sequential":
        for module in modules:
            self.append(module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list's would not be)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> "ModuleList":
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: can only hold Modules, got {type(module).__name__}")
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())
