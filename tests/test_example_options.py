"""The examples speak one command-line language, and say what their results mean."""
from __future__ import annotations

import argparse
import importlib
import pathlib

import numpy as np
import pytest

from examples import common, depth_vs_width, digits_mlp, moons_mlp, xor_mlp

# every example script, including ones added later: they all speak the same options
EXAMPLES = [importlib.import_module(f"examples.{path.stem}")
            for path in sorted((pathlib.Path(__file__).resolve().parent.parent / "examples").glob("*.py"))
            if path.stem not in ("__init__", "common")]


def parser_of(example, monkeypatch) -> argparse.ArgumentParser:
    """The parser an example's main() builds (caught when it parses)."""
    caught = {}

    def catch(self, args=None, namespace=None):
        caught["parser"] = self
        raise SystemExit(0)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", catch)
    with pytest.raises(SystemExit):
        example.main([])
    return caught["parser"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.__name__.split(".")[-1])
def test_every_option_has_help_that_shows_its_default(example, monkeypatch):
    parser = parser_of(example, monkeypatch)
    assert isinstance(parser.formatter_class, type) and \
        issubclass(parser.formatter_class, argparse.ArgumentDefaultsHelpFormatter)
    for action in parser._actions:
        if action.dest == "help":
            continue
        assert action.help, f"{example.__name__}: {action.option_strings} has no help text"
    help_text = " ".join(parser.format_help().split())
    assert "(default: 0)" in help_text and "(default: out)" in help_text


@pytest.mark.parametrize("example, default", [(xor_mlp, [8]), (moons_mlp, [64, 128, 64]), (digits_mlp, [128]),
                                              (depth_vs_width, [32, 32, 32, 32])],
                         ids=["xor_mlp", "moons_mlp", "digits_mlp", "depth_vs_width"])
def test_hidden_is_the_same_comma_list_everywhere(example, default, monkeypatch):
    parser = parser_of(example, monkeypatch)
    monkeypatch.undo()
    assert parser.parse_args([]).hidden == default
    assert parser.parse_args(["--hidden", "16,8"]).hidden == [16, 8]
    assert "(default: " + ",".join(map(str, default)) + ")" in " ".join(parser.format_help().split())


@pytest.mark.parametrize("text", ["", "a,b", "16,0", "-4"])
def test_bad_widths_are_refused_with_an_example(text):
    with pytest.raises(argparse.ArgumentTypeError, match="like 64,128,64"):
        common.widths(text)


def test_mlp_layers_builds_the_stack():
    layers = common.mlp_layers(2, [4, 3], 5, dropout=0.1)
    assert [type(layer).__name__ for layer in layers] == \
        ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert [(layer.in_features, layer.out_features) for layer in layers if hasattr(layer, "in_features")] == \
        [(2, 4), (4, 3), (3, 5)]


def test_xor_takes_several_hidden_layers(tmp_path):
    result = xor_mlp.main(["--hidden", "8,4", "--no-plot"])
    assert result["accuracy"] == 1.0


def test_moons_repeats_report_every_run_and_the_median(capsys):
    result = moons_mlp.main(["--epochs", "5", "--samples", "100", "--repeats", "3", "--no-plot"])
    printed = capsys.readouterr().out
    assert len(result["training_times"]) == 3 and len(result["test_accuracies"]) == 3
    assert result["training_time"] == sorted(result["training_times"])[1]
    assert "run 3/3 (seed 2)" in printed and "over 3 runs: training time median" in printed
    assert printed.count("Epoch 5:") == 1        # the tutorial's progress lines once, for the first run


def test_moons_first_repeat_is_the_single_run():
    single = moons_mlp.main(["--epochs", "5", "--samples", "100", "--no-plot"])
    repeated = moons_mlp.main(["--epochs", "5", "--samples", "100", "--repeats", "2", "--no-plot"])
    assert single["losses"] == repeated["losses"]
    assert len(single["test_losses"]) == 5       # the test curve is recorded every epoch


def test_digits_grid_shows_mistakes_first_then_correct_ones():
    truth = np.arange(40) % 10
    predicted = truth.copy()
    predicted[[30, 35, 39]] = (truth[[30, 35, 39]] + 1) % 10
    shown = digits_mlp.digits_to_show(predicted, truth, count=32)
    assert len(shown) == 32 and {30, 35, 39} <= set(shown) and shown == sorted(shown)


def depth_results(wide: float, deep: float) -> dict:
    return {"wide 2-666-2": {"parameters": 3332, "test_accuracy": wide, "time": 1.0},
            "deep 2-32-32-32-32-2": {"parameters": 3330, "test_accuracy": deep, "time": 2.0}}


def test_depth_vs_width_lesson_says_what_the_numbers_mean():
    same = depth_vs_width.lesson(depth_results(0.867, 0.870), test_count=300)
    assert "the same within noise" in same and "3332 and 3330 parameters" in same
    assert "universal approximation" in same
    deep_wins = depth_vs_width.lesson(depth_results(0.70, 0.90), test_count=300)
    assert "the deep model is better by 0.200" in deep_wins
    wide_wins = depth_vs_width.lesson(depth_results(0.90, 0.70), test_count=300)
    assert "the wide model is better by 0.200" in wide_wins
