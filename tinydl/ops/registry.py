"""The one place an op becomes public: ``@public`` on the function users call.

    @public                          # tinydl.exp, F.exp, tinydl.nn.functional.exp and x.exp()
    def exp(x: Tensor) -> Tensor: ...

    @public(method=False)            # a function only: tinydl.cat(...), never x.cat(...)
    def cat(tensors, dim=0): ...

    @public(aliases=("clip",))       # also tinydl.clip and x.clip(), the same function
    def clamp(x, min=None, max=None): ...

The decorator only writes the function into two tables and returns it
unchanged (no wrapper, so ``x + y`` costs no extra call). ``tinydl/functional.py``
imports every family of ops, which fills the tables, and publishes ``FUNCTIONS``;
``tinydl/methods.py`` attaches ``METHODS`` to Tensor. Adding an op is then one
edit: the decorator on its function, in its own family file.

This module imports nothing from tinydl, so every ops file can import it.
"""
from __future__ import annotations

from typing import Callable, Sequence, TypeVar

Op = TypeVar("Op", bound=Callable)

FUNCTIONS: dict[str, Callable] = {}  # name -> function: tinydl.<name>, tinydl.functional.<name>, F.<name>
METHODS: dict[str, Callable] = {}    # name -> function: Tensor.<name> (x.<name>(...) is <name>(x, ...))


def public(function: Op | None = None, *, method: bool = True,
           aliases: Sequence[str] = ()) -> Op | Callable[[Op], Op]:
    """Register ``function`` under its own name and ``aliases``; as a Tensor method too unless method=False.

    Usable bare (``@public``) or with options (``@public(method=False)``).
    Returns the function itself.
    """
    def register(function: Op) -> Op:
        for name in (function.__name__, *aliases):
            _refuse_a_second_owner(name, function)
            FUNCTIONS[name] = function
            if method:
                METHODS[name] = function
        return function
    return register if function is None else register(function)


def _refuse_a_second_owner(name: str, function: Callable) -> None:
    """Two different ops claiming one public name would silently hide one of them."""
    previous = FUNCTIONS.get(name)
    if previous is not None and (previous.__module__, previous.__qualname__) != (function.__module__,
                                                                                 function.__qualname__):
        raise ValueError(f"public: the name {name!r} is already registered by "
                         f"{previous.__module__}.{previous.__qualname__}")
