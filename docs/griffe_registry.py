"""A Griffe extension for the API reference: the names of ``tinydl.functional`` come from the op registry.

mkdocstrings reads the source without running it, and ``tinydl/functional.py``
publishes its names at import time (``globals().update(registry.FUNCTIONS)``,
see ``tinydl/ops/registry.py``). This extension imports tinydl once and gives
the static reader the same list: each registered name becomes an alias of the
function where it is defined (``tinydl.functional.relu`` -> ``tinydl.ops.activation.relu``).
Loaded by mkdocs.yml (``extensions:``).
"""
from __future__ import annotations

import pathlib
import sys
from typing import Any

import griffe

ROOT = pathlib.Path(__file__).resolve().parent.parent


class RegisteredFunctions(griffe.Extension):
    def on_module_members(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        if mod.path != "tinydl.functional":
            return
        if str(ROOT) not in sys.path:  # the `mkdocs` script does not put the checkout on sys.path
            sys.path.insert(0, str(ROOT))
        from tinydl.ops import registry

        for name, function in sorted(registry.FUNCTIONS.items()):
            target = f"{function.__module__}.{function.__qualname__}"
            mod.set_member(name, griffe.Alias(name, target, parent=mod))
        mod.exports = sorted(registry.FUNCTIONS)
