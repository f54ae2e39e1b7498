"""Module semantics: registration, names, train/eval, state_dict, strict loading, devices, repr."""
from __future__ import annotations

import numpy as np
import pytest

import tinydl
import tinydl.nn as nn
from helpers import host


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.drop = nn.Dropout(0.5)
        self.scale = nn.Parameter(tinydl.ones(4))
        self.not_a_parameter = tinydl.ones(2)   # plain tensors are not registered

    def forward(self, x):
        return self.drop(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))
        self.extra = nn.ModuleList([nn.Linear(2, 2), nn.Tanh()])

    def forward(self, x):
        return self.extra[0](self.head(self.block(x)))


def test_registration_and_dotted_names():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    # PyTorch's order: a module's own parameters, then its children's, depth first
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "head.1.weight", "head.1.bias",
                     "extra.0.weight", "extra.0.bias"]
    assert len(list(net.parameters())) == 7
    assert [type(m).__name__ for m in net.children()] == ["Block", "Sequential", "ModuleList"]
    assert len(list(net.modules())) == 10  # Net, Block, fc, drop, Sequential, ReLU, Linear, ModuleList, Linear, Tanh
    assert all(p.requires_grad for p in net.parameters())


def test_named_parameters_order_follows_definition():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_shared_parameter_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)
    assert len(list(model.parameters())) == 2


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError):
        nn.Linear(2, 3).wieght  # noqa: B018


def test_assigning_before_init_is_explained():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first"):
        Forgetful()


def test_train_eval_propagates_and_dropout_obeys():
    net = Net()
    net.eval()
    assert all(not m.training for m in net.modules())
    x = tinydl.ones(5, 3)
    np.testing.assert_array_equal(host(net.block.drop(x)), host(x))
    net.train()
    assert all(m.training for m in net.modules())
    dropped = host(net.block.drop(tinydl.ones(1000)))
    assert set(np.unique(dropped)) == {0.0, 2.0}


def test_zero_grad():
    model = nn.Linear(2, 1)
    model(tinydl.ones(3, 2)).sum().backward()
    assert model.weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert host(model.weight.grad).tolist() == [[0.0, 0.0]]
    model.zero_grad()
    assert model.weight.grad is None


def test_state_dict_round_trip():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for (name_a, pa), (name_b, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert name_a == name_b
        np.testing.assert_array_equal(host(pa), host(pb))
    weight = b.block.fc.weight
    b.load_state_dict(Net().state_dict())
    assert b.block.fc.weight is weight  # loaded in place


def test_strict_load_reports_every_problem_at_once_and_changes_nothing():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    before = {k: host(v).copy() for k, v in model.state_dict().items()}
    state = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)).state_dict()
    del state["1.bias"]
    state["0.weight"] = tinydl.zeros(4, 2)
    state["surprise"] = tinydl.zeros(1)
    state["0.bias"] = tinydl.full((3,), 7.0)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "Error(s) in loading state_dict for Sequential" in message
    assert "missing key(s): 1.bias" in message
    assert "unexpected key(s): surprise" in message
    assert "size mismatch for 0.weight: the checkpoint has shape (4, 2), the model has (3, 2)" in message
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(host(v), before[k])  # 0.bias not half-loaded


def test_non_strict_load_returns_incompatible_keys():
    model = nn.Linear(2, 3)
    result = model.load_state_dict({"weight": tinydl.zeros(3, 2), "other": tinydl.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    assert host(model.weight).sum() == 0


def test_linear_initialisation_and_shapes():
    layer = nn.Linear(16, 5)
    assert layer.weight.shape == (5, 16) and layer.bias.shape == (5,)
    bound = 1 / np.sqrt(16)
    assert np.abs(host(layer.weight)).max() <= bound and np.abs(host(layer.bias)).max() <= bound
    assert np.abs(host(layer.weight)).max() > 0.8 * bound  # really uniform over the range, not tiny
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


def test_linear_wrong_feature_count_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear\(in_features=2, out_features=64, bias=True\): expected input "
                                         r"with 2 features .* got shape \(8, 3\)"):
        nn.Linear(2, 64)(tinydl.ones(8, 3))


def test_repr_is_nested_like_pytorch():
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.1))
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=2, out_features=64, bias=True)\n"
                           "  (1): ReLU()\n  (2): Dropout(p=0.1, inplace=False)\n)")


def test_sequential_and_module_list_containers():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[0], nn.Linear) and isinstance(model[-1], nn.Linear)
    assert isinstance(model[:2], nn.Sequential) and len(model[:2]) == 2
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 2))
    assert len(layers) == 2 and len(list(layers.parameters())) == 4


def test_double_for_gradcheck_of_a_layer():
    layer = nn.Linear(3, 2).double()
    assert layer.weight.dtype == tinydl.float64
    x = tinydl.randn(4, 3, dtype=tinydl.float64, requires_grad=True)
    assert tinydl.gradcheck(layer, [x])  # checks x, weight and bias


@pytest.mark.parametrize("layer, reference", [
    (nn.ReLU(), lambda a: np.maximum(a, 0)),
    (nn.LeakyReLU(0.1), lambda a: np.where(a > 0, a, 0.1 * a)),
    (nn.Sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    (nn.Tanh(), np.tanh),
    (nn.Softmax(dim=1), lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    (nn.LogSoftmax(dim=1), lambda a: a - np.log(np.exp(a).sum(1, keepdims=True))),
    (nn.Flatten(), lambda a: a.reshape(len(a), -1)),
    (nn.Identity(), lambda a: a),
])
def test_activation_layers(layer, reference):
    array = np.random.default_rng(0).uniform(-2, 2, (4, 3))
    array = np.where(np.abs(array) < 0.1, 0.5, array)
    x = tinydl.tensor(array, requires_grad=True)
    np.testing.assert_allclose(host(layer(x)), reference(array), rtol=1e-12)
    assert tinydl.gradcheck(layer, [x])


def test_to_device_moves_parameters_and_grads(device):
    model = nn.Linear(2, 2)
    weight = model.weight
    model(tinydl.ones(1, 2)).sum().backward()
    model.to(device)
    assert model.weight is weight and model.weight.device.startswith(device)
    assert model.weight.grad.device.startswith(device)
    out = model(tinydl.ones(1, 2, device=device))
    assert out.device.startswith(device)
