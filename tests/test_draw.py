"""draw: the picture of a known graph has the expected boxes and arrows."""
from __future__ import annotations

import re

import numpy as np

import tinydl


def boxes(svg: str) -> dict[str, list[str]]:
    """{box id: its lines of text} from the SVG."""
    found = {}
    for key, body in re.findall(r'<g class="\w+" id="node-(\w+)">(.*?)</g>', svg, re.S):
        found[key] = re.findall(r">([^<]+)</text>", body)
    return found


def edges(svg: str, names: dict[str, list[str]]) -> set[tuple[str, str]]:
    """Arrows as (first line of source box, first line of target box)."""
    pairs = re.findall(r'class="edge" data-from="(\w+)" data-to="(\w+)"', svg)
    return {(names[a][0], names[b][0]) for a, b in pairs}


def test_known_graph_has_its_nodes_and_edges(tmp_path):
    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    w = tinydl.tensor([3.0, -1.0], requires_grad=True)
    loss = (x * w).sum()
    path = tmp_path / "graph.svg"
    svg = tinydl.autograd.draw(loss, str(path))
    assert path.read_text() == svg and svg.startswith("<svg")
    found = boxes(svg)
    assert sorted(lines[0] for lines in found.values()) == ["MulBackward", "SumBackward", "loss", "w", "x"]
    assert ["x", "(2,) float32"] in found.values()
    assert edges(svg, found) == {("x", "MulBackward"), ("w", "MulBackward"), ("MulBackward", "SumBackward"),
                                 ("SumBackward", "loss")}
    assert "‖g‖" not in svg  # no backward yet


def test_gradient_norms_on_edges_after_backward():
    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    w = tinydl.tensor([3.0, -1.0], requires_grad=True)
    loss = (x * w).sum()
    svg = tinydl.autograd.draw(loss, backward=True)
    labels = re.findall(r'fill="#a33" font-size="10">([^<]+)</text>', svg)
    pairs = set(zip(labels, labels[1:]))
    assert ("(2,) float32", f"‖g‖={np.linalg.norm([3.0, -1.0]):.3g}") in pairs   # dL/dx = w, edge x -> Mul
    assert ("(2,) float32", f"‖g‖={np.linalg.norm([1.0, 2.0]):.3g}") in pairs    # dL/dw = x
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, -1.0])     # backward really ran


def test_module_parameters_are_named_and_a_linear_is_one_box():
    model = tinydl.nn.Sequential(tinydl.nn.Linear(4, 8), tinydl.nn.ReLU(), tinydl.nn.Linear(8, 2))
    out = model(tinydl.randn(3, 4)).sum()
    out.backward(retain_graph=True)
    svg = tinydl.autograd.draw(out, params=dict(model.named_parameters()))
    found = boxes(svg)
    firsts = sorted(lines[0] for lines in found.values())
    assert firsts.count("LinearBackward") == 2
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= set(firsts)
    assert any(line.startswith(".grad ‖g‖=") for lines in found.values() for line in lines)


def test_dot_text_and_png(tmp_path):
    a = tinydl.tensor(2.0, requires_grad=True)
    b = (a * a).exp()
    dot = tinydl.autograd.draw(b, str(tmp_path / "g.dot"))
    assert dot.startswith("digraph tinydl {") and '"op2" -> "op1"' in dot and '"leaf1" -> "op2"' in dot
    tinydl.autograd.draw(b, str(tmp_path / "g.png"))
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
