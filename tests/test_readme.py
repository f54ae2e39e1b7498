"""The README's autograd example prints exactly what the README says it prints."""
from __future__ import annotations

import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_autograd_example_output_matches_readme():
    text = README.read_text()
    section = text[text.index("## Autograd in ten lines"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    expected = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 12
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    assert printed.getvalue() == expected


def test_adding_your_own_op_section_runs_and_prints_what_it_shows():
    """The three ways (compose, Function, Module) run, and check_module prints the README's report."""
    text = README.read_text()
    section = text[text.index("## Adding your own op/layer"):text.index("## Watching backprop")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 3
    assert all("check_function(" in block or "check_module(" in block for block in blocks)
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    report = re.search(r"```text\n(check_module.*?)```", section, re.S).group(1)
    # (the cuda line and the total differ on a machine with a GPU: compare the rest)
    def portable(lines: list) -> list:
        return [line for line in lines if "cuda" not in line and "checks passed" not in line]
    lines = portable(printed.getvalue().splitlines())
    shown = portable(report.splitlines())
    start = lines.index(shown[0])
    assert lines[start:start + len(shown)] == shown
