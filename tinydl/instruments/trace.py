"""A narrated backward pass: ``tinydl.autograd.trace(loss)`` shows the chain rule happen.

    x = tinydl.tensor(2.0, requires_grad=True)
    loss = x * x + x
    records = tinydl.autograd.trace(loss)      # runs loss.backward(), printing each step

For every node, in the order backward visits it, the trace shows the op, the
gradient arriving at its output, dL/d(out), and what its backward passes to each
input, with the local derivative taken from the op's docstring (the math sits
there, next to the code). Where a tensor feeds several ops, the gradients from
each use add up, and the trace shows that sum: "x is used by 2 ops: 4 + 1 = 5".

Why a function and not ``loss.backward(trace=True)``: PyTorch's ``backward`` has
no such argument, and tinydl keeps PyTorch's signatures. ``trace(loss)`` reads
like ``torch.autograd.backward(loss)`` / ``torch.autograd.grad(loss, ...)``, the
functional entry points of the same package, and leaves the core untouched: it
plugs an observer into ``engine.backward_observers`` for the one call.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy

import tinydl.backend as backend
from ..backend import Array
from ..engine import Node, Tensor, backward_observers
from .naming import GraphNames, argument_names, caller_frame, local_derivative, op_definition, summarize


@dataclass
class TraceInput:
    """What one node's backward passed to one of its inputs."""

    name: str          # "w", "v2", "model.0.weight"
    position: int      # which argument of forward it was
    shape: tuple
    role: str          # its name inside the op's formula ("b" in "y = a * b"), or "" if unknown
    derivative: str    # the local derivative from the op's docstring, e.g. "dy/db = a"
    grad: numpy.ndarray  # dL/d(input) from this use alone (on the host, the input's shape)


@dataclass
class TraceRecord:
    """One step of backward: a node (op) visited, or a leaf receiving its ``.grad`` (AccumulateGrad)."""

    step: int
    op: str                       # "MulBackward", or "AccumulateGrad" for a leaf
    name: str                     # the tensor whose gradient arrives here: "loss", "v3", "x"
    shape: tuple
    definition: str               # "y = a * b." (empty for a leaf)
    grad_out: numpy.ndarray       # dL/d(name), summed over all its uses (on the host)
    inputs: list[TraceInput] = field(default_factory=list)
    # (op that used it, gradient from that use) when more than one op used this tensor
    uses: list[tuple[str, Any]] = field(default_factory=list)
    node: Any = None              # the graph node (Node); None for a leaf


def trace(tensor: Tensor, gradient: Tensor | None = None, retain_graph: bool | None = None, *,
          names: dict | None = None, params: dict | None = None, file: TextIO | None = None,
          quiet: bool = False) -> list[TraceRecord]:
    """Run ``tensor.backward(gradient, retain_graph)`` and narrate every step; return the steps.

    ``names`` ({"x": x}) and ``params`` (``dict(model.named_parameters())``) name
    tensors; otherwise the caller's variable names are used, and other
    intermediate results are numbered v1, v2, ... in the order forward made them.
    The printout goes to ``file`` (default stdout) unless ``quiet``. The leaves'
    ``.grad`` are filled in exactly as by ``backward()``.
    """
    graph_names = GraphNames(tensor, caller_frame(1), names, params)
    tracer = _Tracer(graph_names)
    backward_observers.append(tracer)
    try:
        tensor.backward(gradient, retain_graph=retain_graph)
    finally:
        backward_observers.remove(tracer)
    records = tracer.records + tracer.leaf_records()
    if not quiet:
        print(format_trace(records), file=file or sys.stdout)
    return records


class _Tracer:
    """The backward observer: turns each visited node into a TraceRecord."""

    def __init__(self, names: GraphNames) -> None:
        self.names = names
        self.records: list[TraceRecord] = []
        self.uses: dict[int, list] = {}   # id(node or leaf) -> [(op name, grad), ...]
        self.leaves: dict[int, Tensor] = {}

    def __call__(self, node: Node, grad_out: Array, input_grads: tuple) -> None:
        """Called by backward for each node, after its backward returned ``input_grads``."""
        names = self.names
        record = TraceRecord(step=len(self.records) + 1, op=node.name(), name=names.node(node),
                             shape=tuple(node.output_shape), definition=op_definition(node.function),
                             grad_out=_host(grad_out), uses=self._uses_of(id(node)), node=node)
        for position, (parent, grad) in enumerate(zip(node.parents, input_grads)):
            if parent is None or grad is None:
                continue
            shape = tuple(parent.shape) if isinstance(parent, Tensor) else tuple(parent.output_shape)
            record.inputs.append(TraceInput(names.of(parent), position, shape, _role(node.function, position),
                                            local_derivative(node.function, position),
                                            _host(grad)))
            self.uses.setdefault(id(parent), []).append((node.name(), _host(grad)))
            if isinstance(parent, Tensor):
                self.leaves.setdefault(id(parent), parent)
        self.records.append(record)

    def _uses_of(self, key: int) -> list:
        """The uses gathered for a tensor, listed only when there was more than one (a sum to show)."""
        uses = self.uses.pop(key, [])
        return uses if len(uses) > 1 else []

    def leaf_records(self) -> list[TraceRecord]:
        """One AccumulateGrad record per leaf: the sum of what every use sent it."""
        records = []
        for key, leaf in self.leaves.items():
            uses = self.uses.get(key, [])
            total = sum(grad for _, grad in uses)
            records.append(TraceRecord(step=len(self.records) + len(records) + 1, op="AccumulateGrad",
                                       name=self.names.leaf(leaf), shape=tuple(leaf.shape), definition="",
                                       grad_out=total, uses=self._uses_of(key)))
        return records


def format_trace(records: list[TraceRecord]) -> str:
    """The printout of :func:`trace`: one block per step."""
    lines = ["backward, in the order the engine visits the graph (dL/dv: the gradient of the loss L "
             "with respect to v)"]
    for record in records:
        if record.op == "AccumulateGrad":
            continue
        lines.append(f"[{record.step}] {record.op}: {record.name}, shape {record.shape}    "
                     f"{record.definition}")
        if record.uses:
            lines.append("    " + _sum_of_uses(record))
        lines.append(f"    in:  dL/d{record.name} = {summarize(record.grad_out)}")
        for item in record.inputs:
            op = record.op[:-len("Backward")] if record.op.endswith("Backward") else record.op
            role = f"{item.name} is {op}'s {item.role}" if item.role else ""
            local = "; ".join(part for part in (role, item.derivative) if part)
            note = f"    ({local})" if local else ""
            lines.append(f"    out: dL/d{item.name} = {summarize(item.grad)}{note}")
    leaves = [r for r in records if r.op == "AccumulateGrad"]
    if leaves:
        lines.append("leaves: AccumulateGrad adds each leaf's gradient into its .grad")
        for record in leaves:
            if record.uses:
                lines.append("    " + _sum_of_uses(record))
            lines.append(f"    {record.name}.grad = {summarize(record.grad_out)}")
    return "\n".join(lines)


def _sum_of_uses(record: TraceRecord) -> str:
    """The line that shows a tensor's gradient as the sum over its uses."""
    parts = " + ".join(summarize(grad) for _, grad in record.uses)
    ops = ", ".join(op for op, _ in record.uses)
    return (f"{record.name} is used {len(record.uses)} times (by {ops}), so its gradients add up: "
            f"{parts} = {summarize(record.grad_out)}")


def _role(function: type, position: int) -> str:
    """The name forward gives argument ``position`` ("b" for Mul's second), or ""."""
    names = argument_names(function)
    return names[position] if position < len(names) else ""


def _host(array: Array) -> numpy.ndarray:
    """A float64 copy on the host: what the records keep (small, printable, any device's array)."""
    return numpy.array(backend.to_device(array, "cpu"), dtype=numpy.float64)
