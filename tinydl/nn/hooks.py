"""Forward hooks, and the module path that errors raised inside a forward are given.

A hook is a function called around a Module's ``forward``, for looking at (or
replacing) what flows through a network without editing its code:

* a forward *pre*-hook ``hook(module, args)`` runs before ``forward``; if it
  returns something other than None, that becomes the arguments (a single
  value is wrapped in a tuple);
* a forward hook ``hook(module, args, output)`` runs after it; if it returns
  something other than None, that replaces the output.

Hooks registered on one module (``module.register_forward_hook``) see only
that module; global ones (``register_module_forward_hook``, PyTorch's
``torch.nn.modules.module`` functions) see every module, and run first.

``Module.__call__`` only looks at hooks when :data:`hook_count` is non-zero,
so a network without hooks pays one truth test per call.
"""
from __future__ import annotations

import itertools
import sys
from typing import Any, Callable

# Every registered hook, global or per module, counts here until its handle is
# removed; Module.__call__ takes the hook-aware path only while this is non-zero.
hook_count = 0

global_forward_pre_hooks: dict[int, Callable] = {}
global_forward_hooks: dict[int, Callable] = {}

_next_hook_id = itertools.count()


class RemovableHandle:
    """What ``register_*_hook`` returns: ``handle.remove()`` unregisters the hook.

    Also a context manager: ``with model.register_forward_hook(show): model(x)``.
    """

    def __init__(self, hooks: dict[int, Callable], hook: Callable, prepend: bool = False) -> None:
        global hook_count
        self.hooks_dict = hooks
        self.id = next(_next_hook_id)
        if prepend:
            items = list(hooks.items())
            hooks.clear()
            hooks[self.id] = hook
            hooks.update(items)
        else:
            hooks[self.id] = hook
        hook_count += 1

    def remove(self) -> None:
        global hook_count
        if self.hooks_dict.pop(self.id, None) is not None:  # removing twice is harmless
            hook_count -= 1

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """Run ``hook(module, args)`` before the forward of every Module (see the module docstring)."""
    return RemovableHandle(global_forward_pre_hooks, hook)


def register_module_forward_hook(hook: Callable) -> RemovableHandle:
    """Run ``hook(module, args, output)`` after the forward of every Module (see the module docstring)."""
    return RemovableHandle(global_forward_hooks, hook)


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """Module.__call__ while hooks exist: global then own pre-hooks, forward, global then own hooks."""
    for hook in (*global_forward_pre_hooks.values(), *module._forward_pre_hooks.values()):
        new_args = hook(module, args)
        if new_args is not None:
            args = new_args if isinstance(new_args, tuple) else (new_args,)
    output = module.forward(*args, **kwargs)
    for hook in (*global_forward_hooks.values(), *module._forward_hooks.values()):
        new_output = hook(module, args, output)
        if new_output is not None:
            output = new_output
    return output


# ------------------------------------------------------------------ error notes
def module_path(chain: list) -> str:
    """Dotted name of chain[0] inside chain[-1], for chain = [innermost, ..., outermost] modules.

    Each module's name is the one its caller registered it under ("network.2");
    a module called without being registered in its caller is shown by type.
    """
    names = []
    for inner, outer in zip(chain, chain[1:]):
        name = next((key for key, child in outer._modules.items() if child is inner), None)
        names.append(name if name is not None else f"<{type(inner).__name__}>")
    return ".".join(reversed(names))


def describe(module: Any) -> str:
    """A short description of a module: "Linear 64→128", or its repr's first line."""
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{type(module).__name__} {module.in_features}→{module.out_features}"
    return repr(module).split("\n")[0].rstrip("(") or type(module).__name__


def add_module_note(error: BaseException, module: Any) -> None:
    """Record that ``error`` came out of ``module``'s forward, and name the path in a note.

    Called as the error passes up through each Module.__call__, innermost first;
    the note is rewritten each time so it ends up relative to the outermost module:
    "in module network.2 (Linear 64→128) of NeuralNetwork".
    """
    chain = error.__dict__.setdefault("_tinydl_module_chain", []) if hasattr(error, "__dict__") else None
    if chain is None:
        return
    chain.append(module)
    innermost = chain[0]
    if len(chain) == 1:
        note = f"in module {describe(innermost)}"
    else:
        note = f"in module {module_path(chain)} ({describe(innermost)}) of {type(module).__name__}"
    previous = error.__dict__.get("_tinydl_module_note")
    error._tinydl_module_note = note
    if sys.version_info >= (3, 11):
        notes = getattr(error, "__notes__", None)
        if previous is not None and notes and previous in notes:
            notes[notes.index(previous)] = note
        else:
            error.add_note(note)
    elif error.args and isinstance(error.args[0], str):  # Python 3.10: no notes; extend the message
        message = error.args[0]
        if previous is not None and message.endswith("\n" + previous):
            message = message[: -len(previous) - 1]
        error.args = (f"{message}\n{note}",) + error.args[1:]
