"""The report of a layer check: one line per check, PASS / FAIL / SKIP and a few words.

    check_module(Linear(3, 2), (4, 3))
      forward ...................................... PASS  output (4, 2) float32
      gradcheck float64, train() (x, weight, bias) . PASS
      ...

A failed check's full message (a gradcheck diagnosis, an ``assert_close``
report) follows its line, indented.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CheckResult", "LayerCheckError", "LayerCheckReport", "PASS", "FAIL", "SKIP"]

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"

_NAME_WIDTH = 50  # the dots end here, so the statuses line up


@dataclass
class CheckResult:
    """One check: its ``name``, ``status`` (PASS, FAIL or SKIP), a short ``note``, a failure's ``details``."""

    key: str      # a short identifier for the kind of check: "gradcheck", "batch", "cuda", ...
    name: str     # what the report prints: "gradcheck float64, train() (x, weight, bias)"
    status: str
    note: str = ""
    details: str = ""

    def __bool__(self) -> bool:
        return self.status != FAIL

    def line(self) -> str:
        dots = "." * max(3, _NAME_WIDTH - len(self.name))
        text = f"  {self.name} {dots} {self.status}" + (f"  {self.note}" if self.note else "")
        if self.details:
            text += "\n" + "\n".join("      " + row for row in self.details.splitlines())
        return text


class LayerCheckReport(list):
    """The results of ``check_function`` / ``check_module``: a list of CheckResult, truthy if none failed.

    ``report["gradcheck"]`` is the list of results of that kind (``key``);
    ``str(report)`` is the printed report.
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title = title

    def add(self, key: str, name: str, status: str, note: str = "", details: str = "") -> CheckResult:
        result = CheckResult(key, name, status, note, details)
        self.append(result)
        return result

    @property
    def failures(self) -> list[CheckResult]:
        return [result for result in self if result.status == FAIL]

    @property
    def passed(self) -> bool:
        return not self.failures

    def __bool__(self) -> bool:
        return len(self) > 0 and self.passed

    def __getitem__(self, key):  # type: ignore[override]  (an int or slice as for any list, or a check's key)
        if isinstance(key, str):
            return [result for result in self if result.key == key]
        return super().__getitem__(key)

    def __str__(self) -> str:
        lines = [self.title] + [result.line() for result in self]
        failed = self.failures
        if failed:
            names = ", ".join(result.name for result in failed)
            lines.append(f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed: {names}")
        else:
            lines.append(f"all {sum(r.status == PASS for r in self)} checks passed"
                         + (f" ({sum(r.status == SKIP for r in self)} skipped)"
                            if any(r.status == SKIP for r in self) else ""))
        return "\n".join(lines)

    __repr__ = __str__


class LayerCheckError(AssertionError):
    """A layer check failed; ``.report`` is the whole LayerCheckReport, and the message prints it."""

    def __init__(self, report: LayerCheckReport) -> None:
        super().__init__(str(report))
        self.report = report
