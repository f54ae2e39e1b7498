"""The skip summary plugin: one line per reason, counted, instead of one line per skipped test."""
from __future__ import annotations

import pathlib
import subprocess
import sys

from tests.skip_summary import summary_lines

TESTS = pathlib.Path(__file__).resolve().parent


def test_reasons_are_counted_and_grouped_most_first():
    reasons = ["cuda: CuPy is not installed"] * 3 + ["needs torch"]
    assert summary_lines(reasons) == ["3 cuda tests skipped: CuPy is not installed",
                                      "1 test skipped: needs torch"]


def test_a_reason_whose_prefix_is_not_one_word_is_kept_whole():
    lines = summary_lines(["PyTorch is absent: install it"] * 2)
    assert lines == ["2 tests skipped: PyTorch is absent: install it"]


def test_a_pytest_run_prints_one_line_instead_of_one_per_test(tmp_path):
    (tmp_path / "test_many.py").write_text(
        "import pytest\n"
        "@pytest.mark.parametrize('i', range(5))\n"
        "def test_gpu(i):\n    pytest.skip('cuda: CuPy is not installed')\n"
        "def test_cpu():\n    pass\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "skip_summary", "-p", "no:cacheprovider",
                          str(tmp_path)], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 cuda tests skipped: CuPy is not installed" in run.stdout
    assert run.stdout.count("CuPy is not installed") == 1
    assert "1 passed, 5 skipped" in run.stdout
