"""A pytest plugin: skipped tests summarised once per reason, not one line per test.

Without a GPU, every cuda-parametrised test skips for the same reason. Listed one
by one (`pytest -rs`), dozens of SKIPPED lines look like failures to a newcomer;
this prints one line per distinct reason instead:

    71 cuda tests skipped: CuPy is not installed (...)

Loaded from conftest.py (`pytest_plugins`). `pytest -rs` still lists every test.
"""
from __future__ import annotations

from collections import Counter

import pytest


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The text given to pytest.skip / skipif, without pytest's "Skipped: " prefix."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


def summary_lines(reasons: list[str]) -> list[str]:
    """["cuda: CuPy is not installed", ...] -> ["71 cuda tests skipped: CuPy is not installed"], most first.

    A reason written as "<group>: <why>" (one word before the colon, as the
    device fixture writes "cuda: ...") names its tests' group."""
    lines = []
    for reason, count in Counter(reasons).most_common():
        group, separator, why = reason.partition(": ")
        tests = "test" if count == 1 else "tests"
        if separator and group.isidentifier():
            lines.append(f"{count} {group} {tests} skipped: {why}")
        else:
            lines.append(f"{count} {tests} skipped: {reason}")
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    terminalreporter.write_sep("-", "skipped (pytest -rs lists them)")
    for line in summary_lines([skip_reason(report) for report in skipped]):
        terminalreporter.write_line(line)
