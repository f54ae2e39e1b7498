"""tinydl.nn.summary: output shapes, parameter counts, totals and memory, as torchinfo reports them."""
from __future__ import annotations

import pytest

import tinydl
import tinydl.nn as nn
from examples.moons_mlp import DeepMLP


def tutorial_model() -> DeepMLP:
    return DeepMLP([64, 128, 64])                # the tutorial's 2-64-128-64-2


def test_tutorial_deep_mlp_counts_and_shapes():
    result = nn.summary(tutorial_model(), (32, 2))
    assert [(r.name, r.type_name, r.depth) for r in result.rows] == [
        ("", "DeepMLP", 0), ("network", "Sequential", 1),
        ("0", "Linear", 2), ("1", "ReLU", 2), ("2", "Linear", 2), ("3", "ReLU", 2),
        ("4", "Linear", 2), ("5", "ReLU", 2), ("6", "Linear", 2)]
    assert [r.parameters for r in result.rows] == \
        [0, 0, 2 * 64 + 64, 0, 64 * 128 + 128, 0, 128 * 64 + 64, 0, 64 * 2 + 2]
    assert [r.output_shapes for r in result.rows] == [
        [[32, 2]], [[32, 2]], [[32, 64]], [[32, 64]], [[32, 128]], [[32, 128]], [[32, 64]], [[32, 64]],
        [[32, 2]]]
    assert (result.total_params, result.trainable_params, result.non_trainable_params) == (16898, 16898, 0)


def test_memory_estimate_in_bytes():
    result = nn.summary(tutorial_model(), (32, 2))
    assert result.input_bytes == 32 * 2 * 4
    assert result.params_bytes == 16898 * 4
    leaf_outputs = 32 * (64 + 64 + 128 + 128 + 64 + 64 + 2)       # floats out of the 7 leaf layers
    assert result.forward_backward_bytes == 2 * 4 * leaf_outputs   # activation + gradient
    assert result.total_bytes == 32 * 2 * 4 + 16898 * 4 + 2 * 4 * leaf_outputs


def test_printed_table():
    text = str(nn.summary(tutorial_model(), (1, 2)))
    lines = text.splitlines()
    assert lines[1].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert lines[3].split() == ["DeepMLP", "[1,", "2]", "--"]
    assert lines[5].split() == ["└─0", "(Linear)", "[1,", "64]", "192"]
    assert lines[7].split() == ["└─2", "(Linear)", "[1,", "128]", "8,320"]
    for expected in ("Total params: 16,898", "Trainable params: 16,898", "Non-trainable params: 0",
                     "Params size (MB): 0.07", "Estimated Total Size (MB): 0.07"):
        assert expected in lines
    assert repr(nn.summary(tutorial_model(), (1, 2))) == text


def test_frozen_parameters_are_non_trainable():
    model = tutorial_model()
    model.network[0].weight.requires_grad_(False)
    result = nn.summary(model, (1, 2))
    counts = (result.total_params, result.trainable_params, result.non_trainable_params)
    assert counts == (16898, 16898 - 128, 128)


def test_the_model_is_left_as_it_was():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    model.train()
    before = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    result = nn.summary(model, (5, 3))
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert all(m.training for m in model.modules())
    assert all((p.detach().numpy() == before[name]).all() for name, p in model.named_parameters())
    assert result.rows[2].output_shapes == [[5, 4]] and result.rows[2].type_name == "Dropout"


def test_a_failing_forward_still_restores_the_modules():
    model = nn.Sequential(nn.Linear(3, 4))
    with pytest.raises(Exception):
        nn.summary(model, (5, 7))               # wrong width: Linear refuses it
    assert all("forward" not in m.__dict__ for m in model.modules())


def test_a_module_used_twice_appears_at_each_call_and_counts_once():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    result = nn.summary(model, (2, 4))
    assert [r.type_name for r in result.rows] == ["Sequential", "Linear", "ReLU", "Linear"]
    assert result.total_params == 20


def test_several_inputs_and_tuple_outputs():
    class Pair(nn.Module):
        def forward(self, a, b):
            return a + 1, b * 2

    result = nn.summary(Pair(), [(2, 3), (4,)])
    assert result.rows[0].output_shapes == [[2, 3], [4]]
    assert result.input_bytes == (6 + 4) * 4


def test_bad_input_size_is_refused():
    with pytest.raises(ValueError, match="input_size"):
        nn.summary(tutorial_model(), (1, -2))
    with pytest.raises(TypeError, match="Module"):
        nn.summary(lambda x: x, (1, 2))


def test_float64_input_doubles_the_input_bytes():
    model = tutorial_model().double()
    assert nn.summary(model, (1, 2), dtype=tinydl.float64).input_bytes == 16
