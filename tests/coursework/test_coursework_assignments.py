"""Every shipped assignment, checked against its reference solution, its skeleton and its planted bugs.

Discovered from the folders, so an assignment or a planted bug is added by adding files:
tinydl/coursework/assignments/a<N>_<slug>/ (statement.md, skeleton.py, public_tests.py), and
the reference solution and planted bugs described in coursework_cases.py.
"""
from __future__ import annotations

import re

import pytest

from tinydl.coursework import assignments
from tinydl.coursework.grader import FAIL, NOT_IMPLEMENTED, grade

from coursework_cases import PLANTED, SOLUTIONS, bug_spec, planted_bug_dirs, solution, write_planted

ASSIGNMENTS = assignments()
BY_NAME = {assignment.name: assignment for assignment in ASSIGNMENTS}


def planted_bugs() -> list:
    return [pytest.param(bug_dir.parent.name, bug_dir.name, bug_spec(bug_dir),
                         id=f"{bug_dir.parent.name}/{bug_dir.name}") for bug_dir in planted_bug_dirs()]


def each_assignment():
    return pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=[a.name for a in ASSIGNMENTS])


def messages(report, task_id: str) -> str:
    result = next(result for result in report.tasks if result.task_id == task_id)
    return "\n".join(outcome.message for outcome in result.outcomes)


@each_assignment()
def test_reference_solution_scores_full_marks(assignment):
    path = solution(assignment)
    assert path.is_file(), f"{assignment.name} has no reference solution at {path}"
    report = grade(assignment, path)
    assert report.total > 0
    assert report.earned == report.total, report.table()


@each_assignment()
def test_untouched_skeleton_scores_zero_and_every_task_is_not_implemented(assignment):
    report = grade(assignment, assignment.folder / "skeleton.py")
    assert report.earned == 0
    assert [result.status for result in report.tasks] == [NOT_IMPLEMENTED] * len(report.tasks), report.table()


@each_assignment()
def test_every_assignment_has_a_planted_bug(assignment):
    assert list((PLANTED / assignment.name).glob("*/bug.json")), f"no planted bug for {assignment.name}"


@pytest.mark.parametrize("assignment_name, bug, spec", planted_bugs())
def test_planted_bug_loses_exactly_its_tasks_with_the_diagnosis(tmp_path, assignment_name, bug, spec):
    assignment = BY_NAME[assignment_name]
    report = grade(assignment, write_planted(assignment, bug, tmp_path))
    lost = [result.task_id for result in report.tasks if result.earned < result.points]
    assert lost == sorted(spec["loses"]), report.table()
    for task_id in spec["loses"]:
        assert next(r for r in report.tasks if r.task_id == task_id).status == FAIL, report.table()
        assert spec["diagnosis"] in messages(report, task_id), report.table()


@each_assignment()
def test_statement_announces_every_task_with_its_points(assignment):
    statement = (assignment.folder / "statement.md").read_text()
    for task_id, points in assignment.points.items():
        assert f"Task {task_id} ({points} point" in statement, f"{assignment.name}: Task {task_id} ({points} points)"


@each_assignment()
def test_skeleton_leaves_every_task_to_the_student(assignment):
    skeleton = (assignment.folder / "skeleton.py").read_text()
    for task_id in assignment.points:
        assert re.search(rf'raise NotImplementedError\("Task {re.escape(task_id)}\b', skeleton), task_id


@each_assignment()
def test_tests_and_skeleton_import_only_what_students_have(assignment):
    allowed = {"math", "numpy", "tinydl", "__future__"}
    for name in ("skeleton.py", "public_tests.py"):
        source = (assignment.folder / name).read_text()
        imported = set(re.findall(r"^\s*(?:from|import) (\w+)", source, re.M))
        assert imported <= allowed, f"{assignment.name}/{name} imports {imported - allowed}"


def test_assignments_are_numbered_and_student_files_distinct():
    numbers = [assignment.number for assignment in ASSIGNMENTS]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1
    files = [assignment.student_file for assignment in ASSIGNMENTS]
    assert len(set(files)) == len(files), "the grader recognises an assignment by its student file"


def test_solutions_and_planted_folders_name_real_assignments():
    for folder in list(SOLUTIONS.iterdir()) + list(PLANTED.iterdir()):
        if folder.is_dir() and not folder.name.startswith("__"):
            assert folder.name in BY_NAME, f"{folder} names no assignment"
