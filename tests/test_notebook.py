"""examples/moons_tutorial.ipynb runs from top to bottom, so it never goes stale."""
from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "moons_tutorial.ipynb"


def cell_text(cell) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []))


def test_notebook_is_stored_without_outputs():
    nbformat = pytest.importorskip("nbformat", reason="nbformat: the test extra is not installed")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.slow
def test_notebook_trains_plots_and_answers_exercise_2():
    nbformat = pytest.importorskip("nbformat", reason="nbformat: the test extra is not installed")
    nbclient = pytest.importorskip("nbclient", reason="nbclient: the test extra is not installed")
    pytest.importorskip("ipykernel", reason="ipykernel: the test extra is not installed")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # the kernel starts in the repository root, where `import tinydl` finds this checkout
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    printed = "\n".join(cell_text(cell) for cell in code)
    assert "Total params: 16,898" in printed
    assert "Epoch 200: Loss=" in printed and "Test Accuracy: 0.9" in printed
    assert any(output.get("output_type") == "display_data" and "image/png" in output.get("data", {})
               for cell in code for output in cell.get("outputs", []))           # the decision boundary
    assert "5 layers (2-64-128-64-256-2)" in printed and "33922" in printed
    assert "The 5th layer doubles the parameters (16898 -> 33922)" in printed
