"""The backprop notebook runs from top to bottom; the vanishing-gradients example shows what it claims."""
from __future__ import annotations

import pathlib

import pytest

from examples import vanishing_gradients

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_vanishing_gradients_sigmoid_vanishes_relu_does_not(tmp_path):
    result = vanishing_gradients.main(["--depth", "6", "--epochs", "3", "--out", str(tmp_path)])
    sigmoid, relu = result["norms"]["sigmoid"], result["norms"]["relu"]
    assert len(sigmoid) == len(relu) == 7                 # 6 hidden Linear layers + the output layer
    assert sigmoid[0] / sigmoid[-1] < 1e-2                # shrinks layer by layer towards the input
    assert relu[0] / relu[-1] > 0.1                       # He init + ReLU: about constant
    assert all(a < b for a, b in zip(sigmoid, sigmoid[1:]))
    figure = pathlib.Path(result["figures"][0])
    assert figure.name == "vanishing_gradients.png" and figure.stat().st_size > 5000


@pytest.mark.slow
def test_backprop_notebook_executes():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(ROOT / "examples" / "backprop_explained.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if a cell fails
    outputs = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    assert "a is used 2 times" in outputs and "constant factor" in outputs and "(strict)" in outputs
    svgs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
            if "image/svg+xml" in output.get("data", {})]
    assert len(svgs) == 2
