"""Module parity with PyTorch: Sequential slicing names, shared submodules in state_dict, buffers,
requires_grad_, traversal, print(model), forward hooks (module and global), module paths in errors."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
from tinydl.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook


def test_sequential_slice_keeps_original_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2
    assert [name for name, _ in tail.named_parameters()] == ["2.weight", "2.bias"]
    assert tail[1] is model[2] and model[-1] is model[2]
    x = tinydl.randn(4, 3)
    np.testing.assert_allclose(tail(x).detach().numpy(), model[2](model[1](x)).detach().numpy())


def test_sequential_delete_renumbers_and_setitem_replaces():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    del model[1]
    assert list(model._modules) == ["0", "1"] and isinstance(model[1], nn.Linear)
    assert not hasattr(model, "2")  # no stale attribute left behind
    model[0] = nn.Linear(2, 3, bias=False)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "1.weight", "1.bias"]
    with pytest.raises(IndexError, match="index 5 is out of range for 2 modules"):
        model[5]


def test_shared_submodule_is_in_state_dict_under_every_name_but_a_parameter_once():
    shared = nn.Linear(2, 2)
    model = nn.Module()
    model.first, model.second = shared, shared
    assert list(model.state_dict()) == ["first.weight", "first.bias", "second.weight", "second.bias"]
    assert len(list(model.parameters())) == 2
    assert [name for name, _ in model.named_parameters()] == ["first.weight", "first.bias"]
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    assert [name for name, _ in model.named_modules()] == ["", "first"]
    assert [name for name, _ in model.named_modules(remove_duplicate=False)] == ["", "first", "second"]
    model.load_state_dict(model.state_dict())  # every name is an expected key
    with pytest.raises(RuntimeError, match="missing key"):
        model.load_state_dict({"first.weight": shared.weight.detach(), "first.bias": shared.bias.detach()})


def test_state_dict_order_is_pytorchs_parameters_buffers_then_children():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("running", tinydl.zeros(2))
            self.scale = nn.Parameter(tinydl.ones(1))
    assert list(Block().state_dict()) == ["scale", "running", "fc.weight", "fc.bias"]


def test_buffers_are_saved_moved_and_not_parameters():
    model = nn.Linear(2, 2)
    model.register_buffer("mean", tinydl.zeros(2))
    model.register_buffer("scratch", tinydl.ones(2), persistent=False)
    assert [name for name, _ in model.named_buffers()] == ["mean", "scratch"]
    assert "mean" in model.state_dict() and "scratch" not in model.state_dict()
    assert len(list(model.parameters())) == 2
    model.double()
    assert model.mean.dtype == tinydl.float64 and model.scratch.dtype == tinydl.float64
    model.mean = tinydl.ones(2, dtype=tinydl.float64)  # assigning a tensor keeps it a buffer
    assert model.state_dict()["mean"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="cannot assign a list to buffer 'mean'"):
        model.mean = [1.0, 2.0]
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        model.register_buffer("weight", tinydl.zeros(2))
    with pytest.raises(KeyError, match="must be non-empty and contain no '.'"):
        model.register_buffer("a.b", tinydl.zeros(2))
    with pytest.raises(TypeError, match="must be a Tensor"):
        model.register_buffer("numbers", np.zeros(2))


def test_requires_grad_false_freezes_a_module():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    assert model[0].requires_grad_(False) is model[0]
    model(tinydl.randn(4, 2)).sum().backward()
    assert model[0].weight.grad is None and model[0].bias.grad is None
    assert model[1].weight.grad is not None


def test_children_modules_add_module_apply_get_submodule():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    model.add_module("head", nn.Linear(3, 1))
    assert [name for name, _ in model.named_children()] == ["0", "1", "head"]
    assert [type(m).__name__ for m in model.modules()] == ["Sequential", "Linear", "ReLU", "Linear"]
    assert model.get_submodule("head") is model.head
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "Linear", "Sequential"]  # children first, as PyTorch
    with pytest.raises(TypeError, match="int is not a Module"):
        model.add_module("bad", 3)


def test_print_model_exactly_like_pytorch():
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.2), nn.LeakyReLU(0.1), nn.Softmax(dim=1),
                          nn.Sigmoid(), nn.Tanh(), nn.Identity(), nn.Flatten(), nn.ReLU(inplace=True))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=64, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.2, inplace=False)\n"
        "  (3): LeakyReLU(negative_slope=0.1)\n"
        "  (4): Softmax(dim=1)\n"
        "  (5): Sigmoid()\n"
        "  (6): Tanh()\n"
        "  (7): Identity()\n"
        "  (8): Flatten(start_dim=1, end_dim=-1)\n"
        "  (9): ReLU(inplace=True)\n"
        ")")

    class WithExtra(nn.Module):  # extra_repr and children: extra lines first, all indented
        def __init__(self):
            super().__init__()
            self.inner = nn.Sequential(nn.ReLU())

        def extra_repr(self):
            return "scale=2"
    assert repr(WithExtra()) == "WithExtra(\n  scale=2\n  (inner): Sequential(\n    (0): ReLU()\n  )\n)"


def test_forward_hook_sees_and_may_replace_the_output():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda module, args, output: seen.append((module, args, output)))
    x = tinydl.randn(3, 2)
    out = layer(x)
    assert seen[0][0] is layer and seen[0][1][0] is x and seen[0][2] is out
    replace = layer.register_forward_hook(lambda module, args, output: output * 0)
    assert (layer(x).detach().numpy() == 0).all()
    handle.remove()
    replace.remove()
    replace.remove()  # removing twice is harmless
    layer(x)
    assert len(seen) == 2 and layer(x).detach().numpy().any()


def test_forward_pre_hook_may_replace_the_input_and_prepend_orders():
    layer = nn.Identity()
    order = []
    layer.register_forward_pre_hook(lambda module, args: order.append("second"))
    layer.register_forward_pre_hook(lambda module, args: order.append("first"), prepend=True)
    with layer.register_forward_pre_hook(lambda module, args: args[0] + 1):  # a single value is wrapped
        assert layer(tinydl.tensor([1.0])).tolist() == [2.0]
    assert layer(tinydl.tensor([1.0])).tolist() == [1.0]
    assert order == ["first", "second", "first", "second"]


def test_global_hooks_see_every_module_in_call_order_and_run_first():
    import tinydl.nn.hooks as hooks
    before = hooks.hook_count
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    events = []
    own = model[0].register_forward_hook(lambda m, a, o: events.append("own"))
    pre = register_module_forward_pre_hook(lambda m, a: events.append(f"pre {type(m).__name__}"))
    post = register_module_forward_hook(lambda m, a, o: events.append(f"post {type(m).__name__}"))
    try:
        model(tinydl.randn(1, 2))
    finally:
        pre.remove()
        post.remove()
    assert events == ["pre Sequential", "pre Linear", "post Linear", "own", "pre ReLU", "post ReLU",
                      "post Sequential"]
    events.clear()
    model(tinydl.randn(1, 2))
    assert events == ["own"]
    own.remove()
    assert hooks.hook_count == before  # back on the hook-free path


def _notes(error: BaseException) -> str:
    return "\n".join(getattr(error, "__notes__", [])) if sys.version_info >= (3, 11) else str(error)


def test_errors_inside_forward_name_the_module_path():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.network = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 128))

        def forward(self, x):
            return self.network(x)

    model = Net()
    with pytest.raises(ValueError) as caught:
        model(tinydl.randn(3, 5))
    assert "in module network.0 (Linear 2→64) of Net" in _notes(caught.value)
    assert _notes(caught.value).count("in module") == 1  # one note, rewritten on the way up

    class Bad(nn.Module):
        def forward(self, x):
            raise KeyError("boom")

    model.network[1] = Bad()
    with pytest.raises(KeyError) as caught:  # the same exception type comes out
        model(tinydl.randn(3, 2))
    assert "in module network.1 (Bad()) of Net" in _notes(caught.value)
