"""A picture of the graph: ``tinydl.autograd.draw(loss, "graph.svg")``.

Boxes are the leaves (blue: name, shape, dtype), the ops (grey: the node's
name, e.g. LinearBackward, and the module that made it when anomaly mode
recorded one: run the forward pass inside ``detect_anomaly()`` to see them)
and the output (green). Arrows run the way forward did, from
inputs to the op that used them, labelled with the shape that flows; after
backward they also carry the gradient's norm ‖g‖ (pass ``records=`` from
:func:`trace`, or ``backward=True`` to run backward here; otherwise a leaf box
shows the norm of its ``.grad``).

The SVG is written by the code below (a layered layout, leaves on top): it
needs no Graphviz and no matplotlib. ``path`` ending in ".dot" writes Graphviz
DOT text instead, for those who have Graphviz. tinydl's Linear is one fused op,
so a Linear layer is already one box.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy

import tinydl.backend as backend
from ..backend import Array
from ..engine import Tensor
from .naming import GraphNames, caller_frame
from .trace import TraceRecord, trace

CHAR_WIDTH, LINE_HEIGHT, PAD, ROW_GAP, COLUMN_GAP = 7.2, 15, 8, 56, 24
COLORS = {"leaf": "#cfe2ff", "op": "#e9ecef", "output": "#d1f2d1"}


@dataclass
class Box:
    """One box of the picture: a leaf tensor, an op (graph node) or the output; x, y set by layout()."""

    key: str
    kind: str                   # "leaf", "op" or "output"
    lines: list[str]
    rank: int = 0               # 0 for the output, growing towards the leaves
    x: float = 0.0
    y: float = 0.0

    @property
    def width(self) -> float:
        return max(len(line) for line in self.lines) * CHAR_WIDTH + 2 * PAD

    @property
    def height(self) -> float:
        return len(self.lines) * LINE_HEIGHT + PAD


@dataclass
class Graph:
    """What build_graph() finds and to_svg() / to_dot() / to_image() draw."""

    boxes: dict = field(default_factory=dict)   # key -> Box
    edges: list = field(default_factory=list)   # (source key, target key, label)


def draw(tensor: Tensor, path: str | None = None, *, params: dict | None = None, names: dict | None = None,
         records: list[TraceRecord] | None = None, backward: bool = False) -> str:
    """Draw the graph that produced ``tensor``; write it to ``path`` and return the SVG (or DOT) text.

    ``path`` ending in .svg (or anything else) gets SVG, .dot Graphviz text, .png/.pdf
    an image drawn with matplotlib (the same layout).

    ``params=dict(model.named_parameters())`` (as torchviz's ``make_dot``) and
    ``names={"x": x}`` name leaves; the caller's variable names are used too.
    ``records`` (from :func:`trace`) or ``backward=True`` (runs ``tensor.backward()``
    first, keeping the graph) put gradient norms on the edges.
    """
    graph_names = GraphNames(tensor, caller_frame(1), names, params)
    if backward:
        records = trace(tensor, retain_graph=True, names=names, params=params, quiet=True)
    graph = build_graph(tensor, graph_names, records)
    text = to_dot(graph) if path is not None and str(path).endswith(".dot") else to_svg(graph)
    if path is not None and str(path).endswith((".png", ".pdf", ".jpg")):
        to_image(graph, str(path))
    elif path is not None:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    return text


def build_graph(tensor: Tensor, names: GraphNames, records: list[TraceRecord] | None = None) -> Graph:
    """Boxes and labelled edges for the graph that made ``tensor``."""
    edge_grads: dict[tuple[int, int], Any] = {}
    root_grad = None
    for record in records or ():
        if record.node is not None:
            for item in record.inputs:
                edge_grads[(id(record.node), item.position)] = item.grad
            if record.node is tensor.grad_fn:
                root_grad = record.grad_out
    graph = Graph()
    keys: dict[int, str] = {}  # id(node or leaf) -> "op1", "leaf2": short, stable names for SVG/DOT

    def key(item: Any, prefix: str) -> str:
        return keys.setdefault(id(item), f"{prefix}{sum(k.startswith(prefix) for k in keys.values()) + 1}")

    root = tensor.grad_fn
    output_label = f"{tuple(tensor.shape)} {tensor.dtype.name}"
    graph.boxes["output"] = Box("output", "output", [names.node(root) if root else names.leaf(tensor),
                                                     output_label])
    if root is None:
        return graph
    root_label = output_label + (f"\n{_norm(root_grad)}" if root_grad is not None else "")
    graph.edges.append((key(root, "op"), "output", root_label))
    for node in names.forward_order:
        lines = [node.name()]
        # node.metadata would make an empty dict on every node: look only where anomaly mode wrote one
        module = node.metadata.get("module") if "_metadata" in node.__dict__ else None
        if module:
            lines.append(module)
        graph.boxes[key(node, "op")] = Box(key(node, "op"), "op", lines)
    for node in names.forward_order:
        for position, parent in enumerate(node.parents):
            if parent is None:
                continue
            if isinstance(parent, Tensor):
                if key(parent, "leaf") not in graph.boxes:
                    lines = [names.leaf(parent), f"{tuple(parent.shape)} {parent.dtype.name}"]
                    if not records and parent.grad is not None:
                        lines.append(f".grad {_norm(parent.grad.array)}")
                    graph.boxes[key(parent, "leaf")] = Box(key(parent, "leaf"), "leaf", lines)
                shape, dtype = tuple(parent.shape), parent.dtype
            else:
                shape, dtype = tuple(parent.output_shape), parent.output_dtype
            grad = edge_grads.get((id(node), position))
            label = f"{shape} {dtype.name}" + (f"\n{_norm(grad)}" if grad is not None else "")
            source = key(parent, "leaf" if isinstance(parent, Tensor) else "op")
            graph.edges.append((source, key(node, "op"), label))
    return graph


def _norm(array: Array) -> str:
    """A gradient's size for an edge label: its Euclidean norm, ‖g‖=1.23."""
    values = numpy.asarray(backend.to_device(array, "cpu"), dtype=float)
    return f"‖g‖={float(numpy.linalg.norm(values)):.3g}"


def layout(graph: Graph) -> tuple[float, float]:
    """Place the boxes in rows by distance from the output; return the picture's size."""
    consumers: dict = {}
    for source, target, _ in graph.edges:
        consumers.setdefault(source, []).append(target)
    # Edges were added in forward order from the output's side, so one backward sweep sets ranks.
    for source, target, _ in reversed(graph.edges):
        graph.boxes[source].rank = max(graph.boxes[source].rank, graph.boxes[target].rank + 1)
    for _ in range(len(graph.boxes)):  # settle ranks on long chains (cheap: graphs here are small)
        changed = False
        for source, target, _ in graph.edges:
            wanted = graph.boxes[target].rank + 1
            if graph.boxes[source].rank < wanted:
                graph.boxes[source].rank, changed = wanted, True
        if not changed:
            break
    rows: dict[int, list[Box]] = {}
    for box in graph.boxes.values():
        rows.setdefault(box.rank, []).append(box)
    deepest = max(rows)
    width = max(sum(b.width for b in row) + COLUMN_GAP * (len(row) + 1) for row in rows.values())
    row_height = max(b.height for b in graph.boxes.values()) + ROW_GAP
    for rank in sorted(rows):  # from the output upwards: order each row under its consumers
        row = rows[rank]
        row.sort(key=lambda b: numpy.mean([graph.boxes[t].x for t in consumers.get(b.key, [])]
                                          or [width / 2]))
        row_width = sum(b.width for b in row) + COLUMN_GAP * (len(row) - 1)
        x = (width - row_width) / 2
        for box in row:
            box.x, box.y = x + box.width / 2, PAD + (deepest - rank) * row_height
            x += box.width + COLUMN_GAP
    return width, PAD * 2 + deepest * row_height + max(b.height for b in graph.boxes.values())


def _label_position(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float]:
    """A quarter of the way from the source: edges that meet at one op are still apart there."""
    return x1 + (x2 - x1) / 4 + 4, y1 + (y2 - y1) / 4


def to_svg(graph: Graph) -> str:
    """The picture as SVG text: boxes, arrows and their labels, placed by layout()."""
    width, height = layout(graph)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'font-family="monospace" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for source, target, label in graph.edges:
        a, b = graph.boxes[source], graph.boxes[target]
        x1, y1, x2, y2 = a.x, a.y + a.height, b.x, b.y
        parts.append(f'<line class="edge" data-from="{source}" data-to="{target}" '
                     f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#555" '
                     'marker-end="url(#arrow)"/>')
        label_x, label_y = _label_position(x1, y1, x2, y2)
        for i, line in enumerate(label.split("\n")):
            parts.append(f'<text x="{label_x:.1f}" y="{label_y + 11 * i:.1f}" fill="#a33" font-size="10">'
                         f'{html.escape(line)}</text>')
    for box in graph.boxes.values():
        parts.append(f'<g class="{box.kind}" id="node-{box.key}">')
        parts.append(f'<rect x="{box.x - box.width / 2:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" '
                     f'height="{box.height:.1f}" rx="5" fill="{COLORS[box.kind]}" stroke="#333"/>')
        for i, line in enumerate(box.lines):
            parts.append(f'<text x="{box.x:.1f}" y="{box.y + PAD / 2 + (i + 0.8) * LINE_HEIGHT:.1f}" '
                         f'text-anchor="middle">{html.escape(line)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def to_image(graph: Graph, path: str) -> None:
    """The same picture through matplotlib, for .png/.pdf paths (matplotlib is then needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width, height = layout(graph)
    fig = plt.figure(figsize=(width / 72, height / 72))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # y grows downwards, as in the SVG
    ax.axis("off")
    for source, target, label in graph.edges:
        a, b = graph.boxes[source], graph.boxes[target]
        ax.annotate("", xy=(b.x, b.y), xytext=(a.x, a.y + a.height),
                    arrowprops=dict(arrowstyle="-|>", color="#555", shrinkA=0, shrinkB=0))
        ax.text(*_label_position(a.x, a.y + a.height, b.x, b.y), label, color="#a33", fontsize=7,
                family="monospace", va="center")
    for box in graph.boxes.values():
        ax.add_patch(matplotlib.patches.FancyBboxPatch(
            (box.x - box.width / 2, box.y), box.width, box.height, boxstyle="round,pad=0,rounding_size=5",
            facecolor=COLORS[box.kind], edgecolor="#333"))
        ax.text(box.x, box.y + box.height / 2, "\n".join(box.lines), ha="center", va="center",
                family="monospace", fontsize=8.5)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def to_dot(graph: Graph) -> str:
    """Graphviz DOT text for the same graph (``dot -Tpng graph.dot -o graph.png``)."""
    lines = ["digraph tinydl {", '  node [fontname="monospace", style="filled,rounded"];']
    for box in graph.boxes.values():
        text = "\\n".join(line.replace('"', '\\"') for line in box.lines)
        lines.append(f'  "{box.key}" [label="{text}", shape=box, fillcolor="{COLORS[box.kind]}"];')
    for source, target, label in graph.edges:
        text = label.replace("\n", "\\n")
        lines.append(f'  "{source}" -> "{target}" [label="{text}"];')
    lines.append("}")
    return "\n".join(lines)
