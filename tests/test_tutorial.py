"""The yardstick: the tutorial's PyTorch example runs on tinydl with only its imports changed."""
from __future__ import annotations

import pathlib
import re
import runpy

import numpy as np
import pytest

SCRIPT = pathlib.Path(__file__).parent / "ported" / "tutorial_deep_mlp.py"


def test_only_the_imports_differ_from_pytorch():
    lines = SCRIPT.read_text().splitlines()
    assert "import tinydl as torch" in lines
    assert "import tinydl.nn as nn" in lines
    assert "import tinydl.optim as optim" in lines
    assert not any("tinydl" in line for line in lines if not line.startswith(("import", '"""')))


@pytest.mark.slow
def test_tutorial_example_reaches_95_percent(capsys):
    np.random.seed(0)  # train_test_split in the tutorial has no random_state
    runpy.run_path(str(SCRIPT), run_name="__main__")
    output = capsys.readouterr().out
    progress = re.findall(r"Epoch (\d+): Loss=([\d.]+), Acc=([\d.]+)", output)
    assert [int(epoch) for epoch, _, _ in progress] == [50, 100, 150, 200]
    losses = [float(loss) for _, loss, _ in progress]
    assert losses == sorted(losses, reverse=True)  # training makes progress
    accuracy = float(re.search(r"Test Accuracy: ([\d.]+)", output).group(1))
    assert accuracy >= 0.95, output
