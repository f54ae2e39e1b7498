"""Idioms students write: each gives PyTorch's gradient or a clear error, never a wrong number.

Expected values are worked out by hand from PyTorch's documented semantics.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim
from helpers import host

MODIFIED = r"modified by an in-place operation"


# --------------------------------------------------- 1. version counters
def test_changing_a_saved_tensor_in_place_is_an_error_at_backward():
    a = tinydl.ones(3, requires_grad=True)
    m = tinydl.ones(3)
    c = a * m                     # Mul saved m
    m += 1
    with pytest.raises(RuntimeError, match=r"MulBackward: .*" + MODIFIED + r".*shape \(3,\) is at version 1; "
                                           r"Mul saved it at version 0"):
        c.sum().backward()
    assert a.grad is None


@pytest.mark.parametrize("change", [
    lambda m: m.__setitem__(1, 5.0), lambda m: m.add_(1), lambda m: m.mul_(2), lambda m: m.zero_(),
    lambda m: m.fill_(3), lambda m: m.copy_(tinydl.zeros(3)), lambda m: m.clamp_(0, 0.5),
    lambda m: m.sub_(1), lambda m: m.div_(2), lambda m: m.data.add_(1), lambda m: m.detach().zero_(),
    lambda m: m.view(3, 1).add_(1), lambda m: m[1:].fill_(0),
], ids=["setitem", "add_", "mul_", "zero_", "fill_", "copy_", "clamp_", "sub_", "div_", "data", "detach",
        "view", "slice"])
def test_every_in_place_writer_bumps_the_version(change):
    a = tinydl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = tinydl.tensor([1.0, 1.0, 1.0])
    before = m._version
    c = a * m
    change(m)
    assert m._version > before
    with pytest.raises(RuntimeError, match=MODIFIED):
        c.sum().backward()


def test_a_change_to_a_tensor_nobody_saved_is_fine():
    a = tinydl.tensor([1.0, 2.0], requires_grad=True)
    m = tinydl.ones(2)
    y = a + m                     # Add saves nothing: PyTorch allows this
    m += 1
    y.sum().backward()
    assert host(a.grad).tolist() == [1.0, 1.0]


def test_changing_an_output_that_backward_needs_is_an_error():
    x = tinydl.tensor([0.5, -1.0], requires_grad=True)
    y = x.exp()                   # ExpBackward uses the output
    with tinydl.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match=r"ExpBackward: .*" + MODIFIED):
        y.sum().backward()


def test_optimizer_step_between_forward_and_backward_is_an_error():
    torch_gan_bug = nn.Linear(2, 1)
    opt = optim.SGD(torch_gan_bug.parameters(), lr=0.1)
    loss = torch_gan_bug(tinydl.ones(4, 2)).pow(2).sum()
    loss.backward(retain_graph=True)
    opt.step()                    # changes weight, which the graph saved
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_adam_step_bumps_versions_too():
    layer = nn.Linear(2, 1)
    opt = optim.Adam(layer.parameters())
    loss = layer(tinydl.ones(4, 2)).sum()
    loss.backward(retain_graph=True)
    version = layer.weight._version
    opt.step()
    assert layer.weight._version == version + 1


def test_manual_sgd_loop_still_works():
    w = tinydl.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with tinydl.no_grad():
            w -= 0.25 * w.grad
        w.grad.zero_()
    np.testing.assert_allclose(host(w), [0.125, -0.25])


# ------------------------------------------ 2. += joins the graph
def test_plus_equals_into_a_plain_tensor_joins_the_graph():
    w = tinydl.tensor([1.0, 2.0], requires_grad=True)
    reg = tinydl.zeros(())
    reg += (w * w).sum()
    assert reg.requires_grad and not reg.is_leaf
    (w.sum() + reg).backward()
    assert host(w.grad).tolist() == [3.0, 5.0]            # 1 + 2w


def test_in_place_ops_on_non_leaf_tensors_record():
    a = tinydl.tensor([1.0, 2.0], requires_grad=True)
    w = tinydl.tensor([3.0, 4.0], requires_grad=True)
    h = a * 2
    y = h + 3                     # recorded before the change: must keep the old h
    h *= w                        # h = 2a * w
    (h.sum() + y.sum()).backward()
    assert host(a.grad).tolist() == [2 * 3 + 2, 2 * 4 + 2]  # d/da (2aw + 2a + 3)
    assert host(w.grad).tolist() == [2.0, 4.0]             # 2a


def test_in_place_clamp_and_sub_record():
    x = tinydl.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    h = x * 1
    h.clamp_(0, 1)
    h.sub_(0.5)
    h.sum().backward()
    assert host(x.grad).tolist() == [0.0, 1.0, 0.0]


# --------------------------------------------- 3. setitem records writes
def test_writing_a_graph_value_into_a_buffer():
    w = tinydl.tensor([1.0, 2.0], requires_grad=True)
    out = tinydl.zeros(2)
    out[0] = w[1] * 3
    (out.sum() + w.sum()).backward()
    assert host(w.grad).tolist() == [1.0, 4.0]


def test_rnn_style_loop_collects_outputs_in_a_buffer():
    w = tinydl.tensor(0.5, requires_grad=True)
    x = tinydl.tensor([1.0, 2.0, 3.0])
    outputs = tinydl.zeros(3)
    h = tinydl.tensor(0.0)
    for t in range(3):
        h = w * h + x[t]          # h1 = 1, h2 = w + 2, h3 = w^2 + 2w + 3
        outputs[t] = h
    outputs.sum().backward()      # d/dw (1 + w + 2 + w^2 + 2w + 3) = 3 + 2w
    assert w.grad.item() == pytest.approx(4.0)


def test_overwritten_region_gets_no_gradient():
    a = tinydl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = a * 2
    h[0] = 5.0
    h.sum().backward()
    assert host(a.grad).tolist() == [0.0, 2.0, 2.0]


def test_augmented_assignment_through_an_index():
    w = tinydl.tensor([1.0, 2.0], requires_grad=True)
    x = tinydl.zeros(2, 2)
    x[0] += w * w                 # Python: tmp = x[0]; tmp += w*w; x[0] = tmp
    x[1, 1] = w[0] * 10
    x.sum().backward()
    assert host(w.grad).tolist() == [2.0 + 10.0, 4.0]
    np.testing.assert_allclose(host(x), [[1.0, 4.0], [0.0, 10.0]])


def test_setitem_with_broadcast_value_sums_its_gradient():
    v = tinydl.tensor([1.0, 2.0], requires_grad=True)
    out = tinydl.zeros(3, 2)
    out[1:] = v                   # v broadcast over 2 rows
    (out * tinydl.tensor([[1.0, 1.0], [2.0, 3.0], [4.0, 5.0]])).sum().backward()
    assert host(v.grad).tolist() == [6.0, 8.0]


def test_fill_and_copy_on_graph_tensors():
    a = tinydl.tensor([1.0, 2.0], requires_grad=True)
    b = tinydl.tensor([5.0, 7.0], requires_grad=True)
    h = a * 3
    h.copy_(b * 2)                # h no longer depends on a
    (h.sum() + a.sum()).backward()
    assert host(a.grad).tolist() == [1.0, 1.0] and host(b.grad).tolist() == [2.0, 2.0]


# --------------------------------- 4. backward returning the wrong kind
class _Double(tinydl.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    returns: object = None

    @staticmethod
    def backward(ctx, grad_out):
        return _Double.returns(grad_out)


@pytest.mark.parametrize("returns, error, message", [
    (lambda g: [1.0, 2.0, 3.0], TypeError, r"_Double.backward returned list for argument 0; expected an array"),
    (lambda g: 2.0, TypeError, r"_Double.backward returned float for argument 0"),
    (lambda g: (g * 2, g), RuntimeError, r"_Double.backward returned 2 gradients, but forward took 1 arguments"),
    (lambda g: g[:1], RuntimeError, r"gradient of shape \(1,\) for argument 0, whose shape is \(3,\)"),
])
def test_a_backward_returning_the_wrong_kind_is_named(monkeypatch, returns, error, message):
    monkeypatch.setattr(_Double, "returns", staticmethod(returns))
    x = tinydl.ones(3, requires_grad=True)
    with pytest.raises(error, match=message):
        (_Double.apply(x * 1) * 3).sum().backward()       # in the middle of a graph
    with pytest.raises(error, match=message):
        _Double.apply(x).sum().backward()                 # on a leaf


def test_extra_trailing_none_gradients_are_dropped_as_in_pytorch():
    """A backward written for an optional argument the call left out: (grad, None) for one input."""
    class Scale(tinydl.autograd.Function):
        @staticmethod
        def forward(ctx, x, factor=3.0):
            ctx.factor = factor
            return x * factor

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * ctx.factor, None

    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    Scale.apply(x).sum().backward()
    assert host(x.grad).tolist() == [3.0, 3.0]


def test_a_backward_returning_a_tensor_or_an_array_is_used():
    for returns in (lambda g: g * 2, lambda g: (g * 2).array):
        _Double.returns = staticmethod(returns)
        x = tinydl.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (_Double.apply(x * 1) * 3).sum().backward()
        assert host(x.grad).tolist() == [6.0, 6.0, 6.0]


# ------------------------------------- property: in place vs out of place
STEPS = ["y*b", "y+b", "b+=1", "b*=2", "b+=y", "b[i]=y[j]", "y=exp", "b.zero_", "y*=b"]


def _run(program: list, in_place: bool):
    """Run ``program`` with in-place ops, or with their out-of-place equivalents (the reference)."""
    a = tinydl.tensor([0.3, -0.2, 0.1], dtype=tinydl.float64, requires_grad=True)
    b = tinydl.tensor([1.0, 2.0, 0.5], dtype=tinydl.float64)
    y = a * 1
    for step, i, j in program:
        onehot = tinydl.tensor(np.eye(3)[i], dtype=tinydl.float64)
        if step == "y*b":
            y = y * b
        elif step == "y+b":
            y = y + b
        elif step == "y=exp":
            y = y.exp()
        elif in_place:
            if step == "b+=1":
                b += 1
            elif step == "b*=2":
                b *= 2
            elif step == "b+=y":
                b += y
            elif step == "b[i]=y[j]":
                b[i] = y[j] * 0.5
            elif step == "b.zero_":
                b.zero_()
            elif step == "y*=b":
                y *= b
        else:
            if step == "b+=1":
                b = b + 1
            elif step == "b*=2":
                b = b * 2
            elif step == "b+=y":
                b = b + y
            elif step == "b[i]=y[j]":
                b = b * (1 - onehot) + onehot * (y[j] * 0.5)
            elif step == "b.zero_":
                b = b * 0
            elif step == "y*=b":
                y = y * b
    loss = y.sum() + (b * b).sum()
    loss.backward()
    return host(a.grad)


@given(st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=6))
def test_in_place_programs_match_out_of_place_or_raise(program):
    expected = _run(program, in_place=False)
    try:
        got = _run(program, in_place=True)
    except RuntimeError as error:
        assert "modified by an in-place operation" in str(error)
        return
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_the_in_place_property_is_not_vacuous():
    # One program that must run, one that must raise: both outcomes are reachable.
    assert np.allclose(_run([("b+=y", 0, 0), ("y*b", 0, 0)], True), _run([("b+=y", 0, 0), ("y*b", 0, 0)], False))
    with pytest.raises(RuntimeError, match=MODIFIED):
        _run([("y*b", 0, 0), ("b+=1", 0, 0)], True)


# --------------------------------- autograd.Function with Tensors (PyTorch's protocol)
class LegendrePolynomial3(tinydl.autograd.Function):
    """From PyTorch's "Learning PyTorch with Examples": P3(x) = (5x^3 - 3x) / 2."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def test_pytorch_style_function_sees_tensors():
    seen = {}

    class Clamp(tinydl.autograd.Function):
        @staticmethod
        def forward(ctx, x, low):
            seen["forward"] = (type(x), tinydl.is_grad_enabled(), ctx.needs_input_grad)
            ctx.save_for_backward(x)
            ctx.low = low
            return x.clamp(min=low)

        @staticmethod
        @tinydl.autograd.once_differentiable
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            seen["backward"] = type(grad_output)
            return grad_output * (x > ctx.low).float(), None

    x = tinydl.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = Clamp.apply(x, 0.0)
    y.sum().backward()
    assert seen == {"forward": (tinydl.Tensor, False, (True, False)), "backward": tinydl.Tensor}
    assert host(x.grad).tolist() == [0.0, 1.0, 1.0]
    assert repr(y.grad_fn) == "<ClampBackward>"


def test_legendre_function_gradchecks():
    x = tinydl.tensor(np.linspace(-0.9, 0.9, 7), dtype=tinydl.float64, requires_grad=True)
    assert tinydl.gradcheck(LegendrePolynomial3.apply, [x])


def test_saved_input_of_a_custom_function_is_version_checked():
    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = LegendrePolynomial3.apply(h)
    with tinydl.no_grad():
        h += 1
    with pytest.raises(RuntimeError, match=r"LegendrePolynomial3Backward: .*" + MODIFIED):
        y.sum().backward()


def test_mark_non_differentiable_output_does_not_require_grad():
    class ArgMax(tinydl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.argmax().float()
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, grad_output):
            return None

    assert not ArgMax.apply(tinydl.tensor([1.0, 3.0], requires_grad=True)).requires_grad


def test_forward_returning_its_input_gets_a_node_of_its_own():
    class Identity(tinydl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2

    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf
    y.sum().backward()
    assert host(x.grad).tolist() == [2.0, 2.0]


def test_forward_with_two_outputs_is_refused_clearly():
    class Two(tinydl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x * 2

    with pytest.raises(TypeError, match="Two.forward returned 2 values; tinydl's Functions have one output"):
        Two.apply(tinydl.ones(2, requires_grad=True))


# ----------------------------------------------------- autograd.grad
def test_autograd_grad_returns_gradients_without_touching_grad():
    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    w = tinydl.tensor([3.0, -1.0], requires_grad=True)
    h = x * w
    loss = (h * h).sum()
    gx, gh = tinydl.autograd.grad(loss, [x, h])
    assert host(gx).tolist() == [2 * 1 * 9, 2 * 2 * 1]     # 2 x w^2
    assert host(gh).tolist() == [6.0, -4.0]                 # 2h
    assert x.grad is None and w.grad is None and h.grad is None


def test_autograd_grad_options():
    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    unused = tinydl.ones(2, requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match="input 1 .* was not used"):
        tinydl.autograd.grad(y.sum(), [x, unused], retain_graph=True)
    gx, gu = tinydl.autograd.grad(y, [x, unused], grad_outputs=tinydl.tensor([1.0, 10.0]),
                                  allow_unused=True, retain_graph=True)
    assert host(gx).tolist() == [3.0, 30.0] and gu is None
    with pytest.raises(NotImplementedError, match="create_graph=True .* not supported"):
        tinydl.autograd.grad(y.sum(), x, create_graph=True)
    (g,) = tinydl.autograd.grad(y.sum(), x)                 # a single tensor is fine too
    assert host(g).tolist() == [3.0, 3.0]


# ------------------------------------------------- hooks, retain_grad, graph
def test_register_hook_sees_and_replaces_gradients():
    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(host(g).tolist()))
    h = x * 3
    h.register_hook(lambda g: g * 10)                        # replaces dL/dh
    h.sum().backward()
    assert seen == [[30.0, 30.0]] and host(x.grad).tolist() == [30.0, 30.0]
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert len(seen) == 1


def test_retain_grad_keeps_intermediate_gradients():
    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    assert h.retains_grad
    (h * 3).sum().backward()
    assert host(h.grad).tolist() == [3.0, 3.0] and host(x.grad).tolist() == [6.0, 12.0]
    other = x * 2
    (other * 1).sum().backward()
    assert other.grad is None                                # not retained: like PyTorch


def test_next_functions_walk_the_graph_after_backward():
    w = tinydl.tensor([1.0, 2.0], requires_grad=True)
    loss = (w.exp() * 2).sum()
    loss.backward()
    mul = loss.grad_fn.next_functions[0][0]
    exp = mul.next_functions[0][0]
    assert [loss.grad_fn.name(), mul.name(), exp.name()] == ["SumBackward", "MulBackward", "ExpBackward"]
    accumulate = exp.next_functions[0][0]
    assert accumulate.name() == "AccumulateGrad" and accumulate.variable is w
    assert mul.next_functions[1] == (None, 0)                # the constant 2


def test_backward_observers_see_every_node_in_order():
    import tinydl.engine as engine  # the module (tinydl.tensor is PyTorch's factory function)
    visited = []

    def observer(node, grad_out, input_grads):
        visited.append((node.name(), host(tinydl.Tensor(grad_out)).tolist()))

    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * 3).sum()
    engine.backward_observers.append(observer)
    try:
        loss.backward()
    finally:
        engine.backward_observers.remove(observer)
    assert visited == [("SumBackward", 1.0), ("MulBackward", [1.0, 1.0])]


def test_grad_assignment_is_checked():
    x = tinydl.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="assigned grad must be a Tensor or None, got float"):
        x.grad = 0.0
    with pytest.raises(RuntimeError, match=r"assigned grad has shape \(3,\), but the tensor has shape \(2,\)"):
        x.grad = tinydl.ones(3)
    x.grad = tinydl.zeros(2)
    x.grad = None


def test_data_is_a_detached_tensor_sharing_storage():
    w = tinydl.tensor([1.0, 2.0], requires_grad=True)
    assert isinstance(w.data, tinydl.Tensor) and not w.data.requires_grad
    w.data -= 0.5 * tinydl.ones(2)
    assert host(w).tolist() == [0.5, 1.5] and w.requires_grad and w.is_leaf
    w.data = tinydl.tensor([7.0, 8.0])
    assert host(w).tolist() == [7.0, 8.0]
