"""Anomaly mode: find where a NaN or inf gradient was born.

    with tinydl.autograd.detect_anomaly():
        loss = model(x).log().mean()
        loss.backward()     # RuntimeError: Function 'LogBackward' returned nan values ...
                            #   created at train.py:42, in model.network.2 (Linear 64→128)

Forward records, for every node, the user's file:line that created it and the
module path (found by walking the Python stack up to the Modules whose
``forward`` is running). Backward checks every gradient a node returns and
raises at the first NaN/inf, naming the op, the module path and the line.
Both cost time, which is why they are off unless asked for (as in PyTorch).

Outside anomaly mode, :func:`warn_if_diverged` is what an optimizer step calls:
once per optimizer, it warns when the gradients became NaN/inf (the classic
sign of a learning rate that is too large).
"""
from __future__ import annotations

import os
import sys
import traceback
import warnings
from types import FrameType
from typing import Any

import numpy

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Tensor, backward_observers, node_observers

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../tinydl


def _is_user_frame(frame: FrameType) -> bool:
    """True for a frame of the user's code (any file outside the tinydl package)."""
    path = os.path.abspath(frame.f_code.co_filename)
    return not path.startswith(_PACKAGE_DIR + os.sep)


def user_line(frame: FrameType | None) -> str:
    """``file:line`` of the first frame outside the tinydl package, and its source line."""
    while frame is not None and not _is_user_frame(frame):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    summary = traceback.extract_stack(frame, limit=1)[0]
    source = f"  ({summary.line.strip()})" if summary.line else ""
    return f"{summary.filename}:{summary.lineno}{source}"


def describe_module(module: Any) -> str:
    """A short description: "Linear 64→128", else the class name."""
    in_features, out_features = getattr(module, "in_features", None), getattr(module, "out_features", None)
    if isinstance(in_features, int) and isinstance(out_features, int):
        return f"{type(module).__name__} {in_features}→{out_features}"
    return type(module).__name__


def module_path(frame: FrameType | None) -> str | None:
    """The dotted path of the innermost running Module, e.g. "network.2 (Linear 64→128)".

    Walks the Python stack: a frame of a ``forward`` whose ``self`` has
    ``named_modules`` is a Module at work. The outermost one is the model; the
    innermost one's path is its name among the model's ``named_modules()``.
    (A global forward pre-hook could keep the same stack; reading the
    interpreter's stack needs no hook and no change to Module.)
    """
    running = []
    while frame is not None:
        owner = frame.f_locals.get("self") if frame.f_code.co_name == "forward" else None
        if owner is not None and hasattr(owner, "named_modules"):
            running.append(owner)
        frame = frame.f_back
    if not running:
        return None
    innermost, model = running[0], running[-1]
    for name, module in model.named_modules():
        if module is innermost:
            return f"{name} ({describe_module(module)})" if name else describe_module(module)
    return describe_module(innermost)


def _record_creation(node: Node, output: Tensor) -> None:
    """node_observer: remember where this node was made."""
    frame = sys._getframe(1)
    node.metadata["created_at"] = user_line(frame)
    node.metadata["module"] = module_path(frame)


def where_created(node: Node) -> str:
    """"created at file:line, in module path" as anomaly mode recorded it (else a hint)."""
    created = node.metadata.get("created_at") if node.metadata else None
    if created is None:
        return "(its creation site was not recorded: run the forward pass inside detect_anomaly() too)"
    module = node.metadata.get("module")
    return f"created at {created}" + (f", in module {module}" if module else "")


def _check_gradients(node: Node, grad_out: Array, input_grads: tuple) -> None:
    """backward_observer: raise at the first gradient with NaN or inf."""
    for position, grad in enumerate(input_grads):
        if grad is None:
            continue
        xp = backend.get_array_module(grad)
        if not bool(xp.isfinite(grad).all()):
            kind = "nan" if bool(xp.isnan(grad).any()) else "inf"
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {position}th output "
                f"(the gradient for argument {position} of {node.function.__name__}; the gradient "
                f"arriving from above was finite: {bool(xp.isfinite(grad_out).all())}).\n"
                f"The {node.function.__name__} op was {where_created(node)}.")


class detect_anomaly:
    """Context manager (PyTorch's ``torch.autograd.detect_anomaly``): see the module docstring.

    ``check_nan=False`` records creation sites but does not check gradients.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> "detect_anomaly":
        node_observers.append(_record_creation)
        if self.check_nan:
            backward_observers.append(_check_gradients)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        node_observers.remove(_record_creation)
        if self.check_nan:
            backward_observers.remove(_check_gradients)


_global_mode: list[detect_anomaly] = []


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off for the rest of the program (PyTorch's ``set_detect_anomaly``)."""
    if mode and not _global_mode:
        _global_mode.append(detect_anomaly(check_nan))
        node_observers.append(_record_creation)
        if check_nan:
            backward_observers.append(_check_gradients)
    elif not mode and _global_mode:
        _global_mode.pop().__exit__(None, None, None)


# ------------------------------------------------ outside anomaly mode: diverged training
class DivergedWarning(UserWarning):
    """Training diverged: the gradients are NaN or inf."""


def warn_if_diverged(optimizer: Any) -> None:
    """Warn once per optimizer when the gradients have become NaN or inf.

    Called at the start of ``Optimizer.step``. It looks at one gradient only, the
    last parameter's (usually the output layer's bias: a few numbers), so a step
    pays almost nothing: once the loss is NaN or inf, backprop spreads it into
    every gradient, and that one too. CPU tensors only: on a GPU reading the
    number back would stall every step (use ``detect_anomaly`` there).
    """
    if getattr(optimizer, "_warned_diverged", False):
        return
    for group in reversed(optimizer.param_groups):
        for parameter in reversed(group["params"]):
            grad = parameter._grad
            if grad is None:
                continue
            if type(grad.array) is not numpy.ndarray:
                return
            # One sum instead of a test per element: NaN or inf anywhere makes the sum NaN or inf
            # (a finite array can overflow to inf, too; then the gradients are useless anyway).
            with numpy.errstate(over="ignore", invalid="ignore"):
                finite = numpy.isfinite(grad.array.sum())
            if not finite:
                optimizer._warned_diverged = True
                warnings.warn(
                    f"{type(optimizer).__name__}.step: the gradients are NaN or inf (parameter of shape "
                    f"{tuple(parameter.shape)}): the loss has diverged. The usual cause is a learning rate "
                    f"that is too large (lr={group.get('lr')}): try one 10x smaller. To find the op that "
                    "made the first NaN, run a step under `with tinydl.autograd.detect_anomaly():`.",
                    DivergedWarning, stacklevel=4)
            return
