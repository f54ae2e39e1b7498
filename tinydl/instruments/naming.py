"""What the instruments call things: tensor names, op formulas, short summaries of arrays.

A graph node only knows its op and its edges. To say "dL/dw" rather than
"dL/d(input 1)", the instruments look for names in three places, in order:
what the user passes (``names={"x": x}``, ``params=dict(model.named_parameters())``),
then the variables of the caller's frame (``w = tinydl.randn(...)`` is "w", a
Module ``model`` contributes "model.0.weight"), then a number ("v3").
"""
from __future__ import annotations

import inspect
import re
from types import FrameType
from typing import Any

import numpy

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Tensor, topological_order

SEARCHED_FRAMES = 3  # how many caller frames are searched for variable names
SHOWN_ELEMENTS = 6  # arrays with more elements are summarised: shape, norm, first values


class GraphNames:
    """Names for the leaves and nodes of one graph (see the module docstring)."""

    def __init__(self, root: Tensor, frame: FrameType | None, names: dict | None = None,
                 params: dict | None = None) -> None:
        self.leaves: dict[int, str] = {}  # id(leaf tensor) -> name
        self.nodes: dict[int, str] = {}   # id(node) -> name of the tensor it made
        for source in (names or {}, params or {}):
            for name, value in source.items():
                self._add(str(name), value)
        # The caller's variables, then its callers' (a helper may sit between): nearest name wins.
        for _ in range(SEARCHED_FRAMES):
            if frame is None:
                break
            for name, value in list(frame.f_locals.items()):
                if not name.startswith("_"):
                    self._add(name, value)
            if frame.f_back is None or frame.f_globals is not frame.f_back.f_globals:
                for name, value in list(frame.f_globals.items()):  # a script's or notebook's globals
                    if not name.startswith("_"):
                        self._add(name, value)
            frame = frame.f_back
        # Nodes without a variable get numbers in forward order: v1 is made first.
        order = topological_order([root.grad_fn]) if root.grad_fn is not None else []
        self.forward_order = order
        for number, node in enumerate(order, start=1):
            self.nodes.setdefault(id(node), f"v{number}")
        self._unnamed_leaves = 0

    def _add(self, name: str, value: Any) -> None:
        if isinstance(value, Tensor):
            if value.grad_fn is None:
                self.leaves.setdefault(id(value), name)
            else:
                self.nodes.setdefault(id(value.grad_fn), name)
        elif hasattr(value, "named_parameters") and callable(value.named_parameters):
            try:
                for parameter_name, parameter in value.named_parameters():
                    self.leaves.setdefault(id(parameter), f"{name}.{parameter_name}")
            except TypeError:  # a class, not an instance
                pass

    def leaf(self, tensor: Tensor) -> str:
        if id(tensor) not in self.leaves:
            self._unnamed_leaves += 1
            self.leaves[id(tensor)] = f"leaf{self._unnamed_leaves}"
        return self.leaves[id(tensor)]

    def node(self, node: Node) -> str:
        return self.nodes.setdefault(id(node), f"v{len(self.nodes) + 1}")

    def of(self, parent: Any) -> str:
        """The name of what an edge points at: a node's output or a leaf tensor."""
        return self.leaf(parent) if isinstance(parent, Tensor) else self.node(parent)


def caller_frame(depth: int) -> FrameType | None:
    """The frame ``depth`` levels above the caller of this function."""
    frame = inspect.currentframe()
    for _ in range(depth + 1):
        frame = frame.f_back if frame is not None else None
    return frame


def argument_names(function: type) -> list[str]:
    """forward's parameter names after ctx: ["a", "b"] for Mul."""
    try:
        return list(inspect.signature(function.forward).parameters)[1:]
    except (TypeError, ValueError):
        return []


def op_definition(function: type) -> str:
    """The op's definition from its docstring's first line: "y = a * b."."""
    first = (function.__doc__ or function.__name__).strip().splitlines()[0]
    return re.split(r"\s{3,}", first)[0].strip()


def local_derivative(function: type, position: int) -> str:
    """The op's derivative for argument ``position``, as its docstring writes it.

    tinydl's ops put the math in the docstring: "y = a * b.   dy/da = b, dy/db = a."
    (or one derivative per line below the first). This picks the clauses about that
    argument ("dy/db = a"), matched by its name or initial (weight -> "dL/dW"); else
    every derivative the docstring gives; else "" (a Function without math in its docstring).
    """
    doc = (function.__doc__ or "").strip()
    first, *rest = doc.splitlines() or [""]
    parts = re.split(r"\s{3,}", first.strip(), maxsplit=1)
    lines = [parts[1]] if len(parts) > 1 else [line.strip() for line in rest if "/d" in line]
    clauses = []
    for line in lines:
        line = re.sub(r"^[^=]*:\s+", "", line)  # drop a lead-in such as "For matrices:"
        for piece in re.split(r"\s{3,}|,\s+(?=d\w*\s*/\s*d)", line):
            piece = piece.strip().rstrip(".,")
            if "/d" in piece:
                clauses.append(piece)
    names = argument_names(function)
    if position < len(names):
        for name in (names[position], names[position][0]):
            pattern = rf"/\s*d\s*{re.escape(name)}(?![A-Za-z0-9])"
            mine = [c for c in clauses if re.search(pattern, c, re.IGNORECASE)]
            if mine:
                return ", ".join(mine)
    return ", ".join(clauses)


def summarize(array: Array) -> str:
    """A small array in full; a large one as shape, norm and its first values."""
    values = numpy.asarray(backend.to_device(array, "cpu"), dtype=numpy.float64)
    if values.size <= SHOWN_ELEMENTS:
        if values.ndim == 0:
            return _number(float(values))
        return numpy.array2string(values, separator=", ", formatter={"float_kind": _number}).replace("\n", "")
    first = ", ".join(_number(float(v)) for v in values.ravel()[:3])
    norm = _number(float(numpy.linalg.norm(values)))
    return f"<shape {tuple(values.shape)}, norm {norm}, first [{first}, ...]>"


def _number(value: float) -> str:
    """A number in 4 significant digits, as the instruments print them."""
    return f"{value + 0.0:.4g}"  # + 0.0 turns -0 into 0
