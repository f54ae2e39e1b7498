"""Every example runs (fast settings, figures into a temporary folder) and shows what it claims."""
from __future__ import annotations

import pathlib

import pytest

from examples import depth_vs_width, digits_mlp, moons_mlp, perceptron, xor_mlp
from examples import cnn_vs_mlp  # Beyond the MLP (issue 13)


def figures_written(result, out):
    paths = [pathlib.Path(p) for p in result["figures"]]
    assert paths and all(p.parent == pathlib.Path(out) and p.stat().st_size > 5000 for p in paths)
    return paths


def test_perceptron_converges_on_blobs_and_fails_on_xor(tmp_path):
    result = perceptron.main(["--epochs", "50", "--out", str(tmp_path)])
    assert result["blobs"]["converged_epoch"] is not None and result["blobs"]["best_accuracy"] == 1.0
    assert result["blobs"]["updates"] >= 1
    assert result["xor"]["converged_epoch"] is None            # Minsky & Papert
    assert result["xor"]["best_accuracy"] <= 0.75
    assert [p.name for p in figures_written(result, tmp_path)] == ["perceptron.png"]


def test_xor_mlp_solves_xor(tmp_path):
    result = xor_mlp.main(["--out", str(tmp_path)])
    assert result["accuracy"] == 1.0
    figures_written(result, tmp_path)


def test_moons_mlp_fast_mode_writes_figures(tmp_path, capsys):
    result = moons_mlp.main(["--epochs", "50", "--samples", "300", "--out", str(tmp_path)])
    output = capsys.readouterr().out
    assert "Epoch 50: Loss=" in output and "Test Accuracy:" in output
    assert result["losses"][-1] < result["losses"][0]
    assert {p.name for p in figures_written(result, tmp_path)} == {"moons_boundary.png", "moons_curves.png"}


def test_moons_mlp_hidden_option_adds_a_layer(tmp_path, capsys):
    result = moons_mlp.main(["--hidden", "64,128,64,256", "--epochs", "5", "--no-plot", "--out", str(tmp_path)])
    # 2-64-128-64-256-2: (2*64+64) + (64*128+128) + (128*64+64) + (64*256+256) + (256*2+2)
    assert result["parameters"] == 192 + 8320 + 8256 + 16640 + 514
    assert "figures" not in result and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_moons_mlp_defaults_reach_the_tutorials_accuracy():
    result = moons_mlp.main(["--no-plot"])
    assert result["test_accuracy"] >= 0.95


def test_digits_fast_mode(tmp_path):
    result = digits_mlp.main(["--epochs", "2", "--out", str(tmp_path)])
    assert result["confusion"].sum() == 450
    assert {p.name for p in figures_written(result, tmp_path)} == {"digits_confusion.png", "digits_predictions.png"}


@pytest.mark.slow
def test_digits_defaults_reach_95_percent():
    result = digits_mlp.main(["--no-plot"])
    assert result["test_accuracy"] >= 0.95


def test_depth_vs_width_matches_budgets(tmp_path, capsys):
    result = depth_vs_width.main(["--epochs", "20", "--out", str(tmp_path)])
    table = capsys.readouterr().out
    assert "| model | parameters | time (s) | train acc | test acc |" in table
    budgets = [r["parameters"] for name, r in result.items() if name != "figures"]
    assert len(budgets) == 2 and abs(budgets[0] - budgets[1]) <= 5
    figures_written(result, tmp_path)


# Every example with --device cuda (a real GPU, or the strict CuPy stand-in in CI): short runs that
# check the example computes on the device and still shows what it claims.
@pytest.mark.parametrize("example, args, check", [
    (perceptron, ["--epochs", "20"], lambda r: r["blobs"]["best_accuracy"] == 1.0),
    (xor_mlp, [], lambda r: r["accuracy"] == 1.0),
    (moons_mlp, ["--epochs", "20", "--samples", "200"], lambda r: r["losses"][-1] < r["losses"][0]),
    (digits_mlp, ["--epochs", "1"], lambda r: r["confusion"].sum() == 450 and r["test_accuracy"] > 0.5),
    (depth_vs_width, ["--epochs", "3"], lambda r: len([k for k in r if k != "figures"]) == 2),
], ids=["perceptron", "xor_mlp", "moons_mlp", "digits_mlp", "depth_vs_width"])
def test_every_example_runs_with_device_cuda(example, args, check, cuda, tmp_path, capsys):
    result = example.main(args + ["--device", cuda, "--no-plot", "--out", str(tmp_path)])
    assert check(result)


# ---- Beyond the MLP (issue 13)
def test_cnn_vs_mlp_fast_mode_matches_budgets_and_writes_figures(tmp_path, capsys):
    result = cnn_vs_mlp.main(["--epochs", "1", "--canvas", "8", "--out", str(tmp_path)])
    output = capsys.readouterr().out
    assert "| model | parameters | time (s) | train acc | test acc |" in output and "inductive bias" not in output
    cnn_size, mlp_size = result["CNN"]["parameters"], result["MLP"]["parameters"]
    assert cnn_size == (8 * 9 + 8) + (16 * 72 + 16) + (16 * 2 * 2 * 10 + 10)   # conv, conv, linear on 2x2 maps
    assert abs(cnn_size - mlp_size) <= 0.02 * cnn_size
    assert {p.name for p in figures_written(result, tmp_path)} == {"cnn_vs_mlp_accuracy.png", "cnn_vs_mlp_filters.png"}


def test_cnn_vs_mlp_canvas_must_fit_two_poolings():
    with pytest.raises(SystemExit):
        cnn_vs_mlp.main(["--canvas", "10", "--no-plot"])


@pytest.mark.slow
def test_cnn_beats_mlp_on_wandering_digits(capsys):
    result = cnn_vs_mlp.main(["--epochs", "10", "--no-plot"])
    assert result["CNN"]["test_accuracy"] >= 0.75          # about 0.79 after 10 epochs (0.89 after 15)
    assert result["MLP"]["test_accuracy"] <= 0.45          # about 0.34 (0.39 after 15)
    assert "inductive bias" in capsys.readouterr().out
