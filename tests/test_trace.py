"""trace narrates backward: its records match the chain rule worked out by hand."""
from __future__ import annotations

import io
import math

import numpy as np

import tinydl
from tinydl.engine import backward_observers


def quiet_trace(loss, **options):
    return tinydl.autograd.trace(loss, quiet=True, **options)


def test_diamond_gradients_add_up_at_the_shared_leaf():
    x = tinydl.tensor(1.0, dtype=tinydl.float64, requires_grad=True)
    a = x * 3          # dL/da = b = e
    b = x.exp()        # dL/db = a = 3
    loss = a * b       # dL/dx = 3 * e (via a) + 3 * e^x (via b) = 6e
    records = quiet_trace(loss)
    assert [r.op for r in records] == ["MulBackward", "ExpBackward", "MulBackward", "AccumulateGrad"] or \
        [r.op for r in records] == ["MulBackward", "MulBackward", "ExpBackward", "AccumulateGrad"]
    root = records[0]
    assert root.name == "loss" and float(root.grad_out) == 1.0
    assert [(i.name, i.role) for i in root.inputs] == [("a", "a"), ("b", "b")]
    np.testing.assert_allclose([float(i.grad) for i in root.inputs], [math.e, 3.0])
    leaf = records[-1]
    assert leaf.name == "x" and leaf.op == "AccumulateGrad"
    np.testing.assert_allclose(sorted(float(g) for _, g in leaf.uses), [3 * math.e, 3 * math.e])
    np.testing.assert_allclose(float(leaf.grad_out), 6 * math.e)
    np.testing.assert_allclose(x.grad.item(), 6 * math.e)


def test_reused_intermediate_shows_the_sum_of_its_uses():
    a = tinydl.tensor(3.0, requires_grad=True)
    b = a * a          # used twice below
    c = b + a
    d = c * b          # d = a^4 + a^3, dd/da = 4a^3 + 3a^2 = 135
    out = io.StringIO()
    records = tinydl.autograd.trace(d, file=out)
    by_name = {r.name: r for r in records}
    assert [float(g) for _, g in by_name["b"].uses] == [12.0, 9.0]   # from d = c*b (c = 12) and c = b + a
    assert float(by_name["b"].grad_out) == 21.0
    assert [float(g) for _, g in by_name["a"].uses] == [9.0, 63.0, 63.0]
    assert float(by_name["a"].grad_out) == 135.0 == a.grad.item()
    text = out.getvalue()
    assert "b is used 2 times (by MulBackward, AddBackward), so its gradients add up: 12 + 9 = 21" in text
    assert "a.grad = 135" in text


def test_broadcast_input_receives_the_summed_gradient():
    x = tinydl.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=tinydl.float64, requires_grad=True)
    bias = tinydl.tensor([0.5, -1.0, 2.0], dtype=tinydl.float64, requires_grad=True)
    loss = ((x + bias) ** 2).sum()
    records = quiet_trace(loss)
    add = next(r for r in records if r.op == "AddBackward")
    grads = {i.name: i.grad for i in add.inputs}
    expected = 2 * (x.detach().numpy() + bias.detach().numpy())
    np.testing.assert_allclose(grads["x"], expected)
    assert grads["bias"].shape == (3,)
    np.testing.assert_allclose(grads["bias"], expected.sum(axis=0))   # summed over the broadcast rows
    np.testing.assert_allclose(bias.grad.numpy(), expected.sum(axis=0))


def test_local_derivatives_come_from_the_op_docstrings():
    p = tinydl.tensor(2.0, requires_grad=True)
    q = tinydl.tensor(5.0, requires_grad=True)
    records = quiet_trace((p * q).relu())
    mul = next(r for r in records if r.op == "MulBackward")
    assert mul.definition == "y = a * b."
    assert [i.derivative for i in mul.inputs] == ["dy/da = b", "dy/db = a"]
    relu = records[0]
    assert relu.inputs[0].derivative == "dy/dx = 1[x > 0]"


def test_the_issue_example_and_large_arrays_are_summarised():
    x = tinydl.randn(4, 5, requires_grad=True)
    w = tinydl.randn(5, 3, requires_grad=True)
    out = io.StringIO()
    records = tinydl.autograd.trace(((x @ w).relu() ** 2).mean(), file=out)
    assert [r.op for r in records] == ["MeanBackward", "PowBackward", "ReLUBackward", "MatMulBackward",
                                       "AccumulateGrad", "AccumulateGrad"]
    text = out.getvalue()
    norm = np.linalg.norm(x.grad.numpy())
    assert f"x.grad = <shape (4, 5), norm {norm:.4g}, first [" in text
    assert "dL/dA = dL/dY @ B^T" in text


def test_trace_matches_plain_backward_and_unplugs_itself():
    values = np.array([0.3, -1.2, 2.0])
    x1 = tinydl.tensor(values, requires_grad=True)
    x2 = tinydl.tensor(values, requires_grad=True)
    (x1.tanh() * x1).sum().backward()
    quiet_trace((x2.tanh() * x2).sum())
    np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())
    assert backward_observers == []


def test_names_can_be_given_and_modules_name_their_parameters():
    model = tinydl.nn.Linear(2, 1)
    records = quiet_trace(model(tinydl.ones(3, 2)).sum())
    assert {r.name for r in records if r.op == "AccumulateGrad"} == {"model.weight", "model.bias"}
    t = tinydl.ones(2, requires_grad=True)
    records = quiet_trace((t * 2).sum(), names={"input": t})
    assert records[-1].name == "input"


def test_readme_trace_output_is_what_trace_prints(tmp_path, monkeypatch):
    import contextlib
    import pathlib
    import re

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## Watching backprop"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    expected = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    assert printed.getvalue() == expected
    assert (tmp_path / "docs" / "backprop_graph.svg").read_text().startswith("<svg")
