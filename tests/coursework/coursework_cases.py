"""The reference solutions and planted bugs of tests/coursework/, found by walking the folders.

    solutions/a<N>_<slug>/<STUDENT_FILE>         the reference solution (full marks)
    planted/a<N>_<slug>/<bug>/bug.json           a planted bug:
        {"loses": ["2.4"],                       exactly these tasks lose their points,
         "diagnosis": "not summed over the batch",   and each one's message contains this;
         "replace": [["old code", "new code"]]}  the bug, as edits of the reference solution
                                                 (each "old code" must occur exactly once)
    planted/a<N>_<slug>/<bug>/<STUDENT_FILE>     or the whole wrong file instead of "replace"
"""
from __future__ import annotations

import json
import pathlib

from tinydl.coursework import Assignment

HERE = pathlib.Path(__file__).resolve().parent
SOLUTIONS = HERE / "solutions"
PLANTED = HERE / "planted"


def solution(assignment: Assignment) -> pathlib.Path:
    return SOLUTIONS / assignment.name / assignment.student_file


def bug_spec(bug_dir: pathlib.Path) -> dict:
    return json.loads((bug_dir / "bug.json").read_text())


def planted_bug_dirs() -> list[pathlib.Path]:
    return sorted(path.parent for path in PLANTED.glob("*/*/bug.json"))


def write_planted(assignment: Assignment, bug: str, folder: pathlib.Path) -> pathlib.Path:
    """Write planted bug ``bug`` of ``assignment`` as ``folder/<STUDENT_FILE>`` and return its path."""
    bug_dir = PLANTED / assignment.name / bug
    whole_file = bug_dir / assignment.student_file
    if whole_file.is_file():
        source = whole_file.read_text()
    else:
        source = solution(assignment).read_text()
        for old, new in bug_spec(bug_dir)["replace"]:
            assert source.count(old) == 1, f"{bug_dir}/bug.json: {old!r} must occur once in the solution"
            source = source.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / assignment.student_file
    path.write_text(source)
    return path
