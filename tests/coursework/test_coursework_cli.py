"""The coursework machinery: @task, the grader's outcomes, hidden tests, and the CLI verbs on tmp dirs."""
from __future__ import annotations

import csv
import pathlib
import shutil
import subprocess
import sys

import pytest

from tinydl.coursework import AssignmentError, assignments, get_assignment, task
from tinydl.coursework.__main__ import main
from tinydl.coursework.grader import ERROR, FAIL, NOT_IMPLEMENTED, PASS, grade, grade_folder

from coursework_cases import HERE, solution, write_planted

ROOT = HERE.parent.parent
A1 = get_assignment(1)
SOLUTION = solution(A1)


@pytest.fixture
def sign_bug(tmp_path) -> pathlib.Path:
    """activations.py with a sign error in Sigmoid.backward (task 1.1)."""
    return write_planted(A1, "sigmoid_sign", tmp_path / "sign_bug")


def student_folder(tmp_path: pathlib.Path, source: pathlib.Path | str, name: str = "student",
                   filename: str = A1.student_file) -> pathlib.Path:
    """A folder holding ``filename`` (activations.py), copied from ``source`` or written from a string."""
    folder = tmp_path / name
    folder.mkdir(parents=True)
    if isinstance(source, pathlib.Path):
        shutil.copyfile(source, folder / filename)
    else:
        (folder / filename).write_text(source)
    return folder


def statuses(report) -> dict:
    return {result.task_id: result.status for result in report.tasks}


# ------------------------------------------------ @task and the grader's outcomes
def test_task_rejects_ids_and_points_it_cannot_grade():
    with pytest.raises(ValueError, match="'N.M'"):
        task("2")
    with pytest.raises(ValueError, match="points"):
        task("2.1", points=-1)


def test_a_task_needs_its_points_once(tmp_path):
    from tinydl.coursework import load_tests, task_points
    tests_file = tmp_path / "a1_conflict.py"
    tests_file.write_text("from tinydl.coursework import task\n"
                          "@task('1.1', points=2)\ndef test_a(m): pass\n"
                          "@task('1.1', points=3)\ndef test_b(m): pass\n"
                          "@task('1.2')\ndef test_c(m): pass\n")
    tests = load_tests(tests_file)[1]
    with pytest.raises(AssignmentError, match="2 points by one test and 3 by test_b"):
        task_points(tests, "a1")
    with pytest.raises(AssignmentError, match="task.s. 1.2"):
        task_points(tests[2:], "a1")


def test_a_syntax_error_fails_every_task_and_names_the_line(tmp_path):
    folder = student_folder(tmp_path, "import tinydl\n\ndef broken(:\n    pass\n")
    report = grade(A1, folder / A1.student_file)
    assert set(statuses(report).values()) == {FAIL} and report.earned == 0
    message = report.tasks[0].outcomes[0].message
    assert "could not import activations.py: SyntaxError" in message and "line 3" in message


def test_an_exception_is_an_error_with_its_type_and_the_students_line(tmp_path):
    source = SOLUTION.read_text().replace("return grad_out * (1 - y * y)", "return grad_out * undefined_name")
    report = grade(A1, student_folder(tmp_path, source) / A1.student_file)
    assert statuses(report) == {"1.1": PASS, "1.2": FAIL, "1.3": PASS}
    errors = [o for o in report.tasks[1].outcomes if o.status == ERROR]
    assert errors and "NameError: name 'undefined_name' is not defined" in errors[0].message
    assert "(at activations.py line" in errors[0].message and "undefined_name" in errors[0].message.splitlines()[-1]


def test_not_implemented_counts_only_when_raised_in_the_students_file(tmp_path):
    # tinydl raising NotImplementedError (an unsupported feature) is an error, not "not done yet"
    source = SOLUTION.read_text().replace(
        "return x * 0.5 * (1 + (x / math.sqrt(2)).erf())",
        "return tinydl.autograd.grad(x.sum(), [x], create_graph=True)[0]")
    report = grade(A1, student_folder(tmp_path, source) / A1.student_file)
    assert statuses(report)["1.3"] == FAIL
    assert statuses(grade(A1, A1.folder / "skeleton.py"))["1.3"] == NOT_IMPLEMENTED


def test_numpy_warnings_are_added_to_the_failure_message(tmp_path):
    source = SOLUTION.read_text().replace("y = 1 / (1 + (-x).exp())",
                                          "y = 1 / (1 + (-x).exp()) + (x * 0).log() * 0")
    report = grade(A1, student_folder(tmp_path, source) / A1.student_file)
    assert statuses(report)["1.1"] == FAIL
    message = "\n".join(o.message for o in report.tasks[0].outcomes)
    assert "NumPy warned while this test ran: RuntimeWarning: invalid value encountered in multiply" in message


def test_grading_again_reads_the_edited_file_and_leaves_no_pycache(tmp_path, sign_bug):
    folder = sign_bug.parent
    assert statuses(grade(A1, sign_bug))["1.1"] == FAIL
    sign_bug.write_text(SOLUTION.read_text())  # fixed within the same second: no stale bytecode
    assert statuses(grade(A1, sign_bug))["1.1"] == PASS
    assert sorted(path.name for path in folder.iterdir()) == [A1.student_file]


def test_the_table_lists_tasks_points_results_then_each_failure(sign_bug):
    table = grade(A1, sign_bug).table()
    lines = table.splitlines()
    assert lines[0].startswith("Assignment 1: Activations as Functions (")
    assert lines[2].split() == ["task", "points", "result"]
    assert lines[3].split() == ["1.1", "0/2", "FAIL"]
    assert lines[4].split() == ["1.2", "2/2", "pass"]
    assert lines[6].split() == ["total", "5/7"]
    assert "Task 1.1 FAIL (test_sigmoid_backward):" in table and "sign flipped" in table


def test_an_endless_loop_is_stopped_by_the_time_limit(tmp_path, capsys):
    source = SOLUTION.read_text().replace("        y = x.tanh()\n", "        while True:\n            pass\n")
    folder = student_folder(tmp_path, source)
    report = grade(A1, folder / A1.student_file, time_limit_s=0.2)
    assert statuses(report) == {"1.1": PASS, "1.2": FAIL, "1.3": PASS}
    message = report.tasks[1].outcomes[0].message
    assert "TimeLimitExceeded: ran longer than the time limit of 0.2 s" in message and "line" in message
    status, out, _ = run_cli(capsys, "grade", folder, "--task", "1.2", "--time-limit", "0.1")
    assert status == 0 and "time limit of 0.1 s" in out


# ------------------------------------------------ hidden tests
HIDDEN_FAILING = ("from tinydl.coursework import task\n"
                  "@task('1.2')\ndef test_tanh_is_odd(student):\n    raise AssertionError('instructor says no')\n"
                  "@task('1.4', points=5)\ndef test_bonus(student):\n    pass\n")


def test_hidden_tests_join_the_public_ones(tmp_path):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "a1_extra.py").write_text(HIDDEN_FAILING)
    (hidden / "a2_other.py").write_text("raise SystemExit('assignment 2 tests must not be loaded for a1')")
    report = grade(A1, SOLUTION, hidden=hidden)
    assert statuses(report) == {"1.1": PASS, "1.2": FAIL, "1.3": PASS, "1.4": PASS}
    assert (report.earned, report.total) == (2 + 3 + 5, 12)
    assert "Task 1.2 FAIL (test_tanh_is_odd, hidden test in a1_extra.py):\n    instructor says no" in report.table()


def test_hidden_tests_may_be_a_folder_per_assignment(tmp_path):
    (tmp_path / "a1_activations").mkdir()
    (tmp_path / "a1_activations" / "more.py").write_text(HIDDEN_FAILING)
    assert statuses(grade(A1, SOLUTION, hidden=tmp_path))["1.2"] == FAIL


def test_hidden_tests_for_another_assignments_task_are_refused(tmp_path):
    (tmp_path / "a1_wrong.py").write_text("from tinydl.coursework import task\n"
                                          "@task('2.1', points=1)\ndef test_x(student):\n    pass\n")
    with pytest.raises(AssignmentError, match="not a task of assignment 1"):
        grade(A1, SOLUTION, hidden=tmp_path)


# ------------------------------------------------ the CLI
def run_cli(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_list_names_every_assignment_with_its_file_and_points(capsys):
    status, out, _ = run_cli(capsys, "list")
    assert status == 0
    assert out.splitlines()[0].split() == ["1", "Activations", "as", "Functions", "activations.py", "3", "tasks,",
                                          "7", "points"]


def test_start_then_grade_the_skeleton_then_the_solution(tmp_path, capsys):
    folder = tmp_path / "hw1"
    status, out, _ = run_cli(capsys, "start", 1, folder)
    assert status == 0 and f"grade {folder}" in out
    assert sorted(p.name for p in folder.iterdir()) == ["activations.py", "public_tests.py", "statement.md"]
    assert (folder / "activations.py").read_text() == (A1.folder / "skeleton.py").read_text()

    status, out, _ = run_cli(capsys, "grade", folder)
    assert status == 0 and "total      0/7" in out and out.count("not implemented") == 3

    shutil.copyfile(SOLUTION, folder / "activations.py")
    status, out, _ = run_cli(capsys, "grade", folder, "--task", "1.2")
    assert status == 0
    assert [line.split() for line in out.splitlines()[3:5]] == [["1.2", "2/2", "pass"], ["total", "2/2"]]


def test_start_never_overwrites_a_students_work(tmp_path, capsys):
    folder = student_folder(tmp_path, "# my work\n")
    status, _, err = run_cli(capsys, "start", 1, folder)
    assert status == 2 and "exists already" in err
    assert (folder / A1.student_file).read_text() == "# my work\n"


def test_start_an_assignment_that_does_not_exist(tmp_path, capsys):
    status, _, err = run_cli(capsys, "start", 99, tmp_path / "x")
    assert status == 2 and "there is no assignment 99" in err


def test_grading_a_folder_that_is_not_an_assignment_is_status_2(tmp_path, capsys):
    status, out, err = run_cli(capsys, "grade", tmp_path)
    assert status == 2 and out == ""
    assert "is not an assignment folder" in err and "activations.py" in err
    status, _, err = run_cli(capsys, "grade", SOLUTION.parent, "--task", "1.9")
    assert status == 2 and "--task 1.9: assignment 1 has tasks 1.1, 1.2, 1.3" in err
    status, _, err = run_cli(capsys, "grade", SOLUTION.parent, "--hidden", tmp_path)
    assert status == 2 and "no tests for assignment 1" in err


def test_grade_a_folder_of_submissions_into_a_csv(tmp_path, capsys, sign_bug):
    submissions = tmp_path / "submissions"
    student_folder(submissions, SOLUTION, "ada")
    student_folder(submissions, sign_bug, "bob")
    student_folder(submissions, A1.folder / "skeleton.py", "cy")
    (submissions / "dee").mkdir()  # handed in nothing
    (submissions / "__pycache__").mkdir()  # not a student
    marks = tmp_path / "marks.csv"
    status, out, _ = run_cli(capsys, "grade", submissions, "--csv", marks)
    assert status == 0
    with open(marks, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["student", "1.1 (2)", "1.2 (2)", "1.3 (3)", "total (7)"],
                    ["ada", "2", "2", "3", "7"], ["bob", "0", "2", "3", "5"],
                    ["cy", "0", "0", "0", "0"], ["dee", "0", "0", "0", "0"]]
    assert [line.split() for line in out.splitlines()[:3]] == [
        ["student", "1.1", "(2)", "1.2", "(2)", "1.3", "(3)", "total", "(7)"],
        ["ada", "2", "2", "3", "7"], ["bob", "0", "2", "3", "5"]]


def test_grade_folder_with_hidden_tests_from_the_command_line(tmp_path, capsys):
    (tmp_path / "a1_extra.py").write_text(HIDDEN_FAILING)
    status, out, _ = run_cli(capsys, "grade", SOLUTION.parent, "--hidden", tmp_path)
    assert status == 0 and "total    10/12" in out and "instructor says no" in out
    assert len(grade_folder(SOLUTION.parent, hidden=tmp_path)[0].tasks) == 4


def test_python_dash_m_runs_the_cli():
    finished = subprocess.run([sys.executable, "-m", "tinydl.coursework", "list"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert "Activations as Functions" in finished.stdout


@pytest.mark.parametrize("number", [assignment.number for assignment in assignments()])
def test_a_student_starts_completes_and_grades_every_assignment(tmp_path, capsys, number):
    """The issue's "done when": list, start, complete (the reference solution copied in), grade: full marks."""
    assignment = get_assignment(number)
    status, out, _ = run_cli(capsys, "list")
    assert status == 0 and assignment.title in out
    assert run_cli(capsys, "start", number, tmp_path)[0] == 0
    shutil.copyfile(solution(assignment), tmp_path / assignment.student_file)
    status, out, _ = run_cli(capsys, "grade", tmp_path)
    total = sum(assignment.points.values())
    assert status == 0 and f"total {f'{total}/{total}':>8}" in out, out


def test_pyproject_ships_every_assignment_file():
    """A non-editable `pip install` must carry every statement, skeleton and tests file."""
    import fnmatch
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "tinydl.coursework" in config["packages"]
    patterns = config["package-data"]["tinydl.coursework"]
    package = ROOT / "tinydl" / "coursework"
    for path in (package / "assignments").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = path.relative_to(package).as_posix()
            assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


def test_the_guides_examples_are_real_runs(tmp_path, capsys, monkeypatch):
    """docs/coursework.md: its hidden tests file works, and its outputs are what the grader prints."""
    import re
    guide = (ROOT / "docs" / "coursework.md").read_text()
    blocks = re.findall(r"```text\n(.*?)```", guide, re.S)
    hidden_source = re.search(r"```python\n(.*?)```", guide, re.S).group(1)
    a2 = get_assignment(2)
    monkeypatch.chdir(tmp_path)
    write_planted(a2, "bias_unsummed", tmp_path / "hw2")
    assert run_cli(capsys, "grade", "hw2")[1] == blocks[0]
    student_folder(tmp_path / "submissions", solution(a2), "ada", a2.student_file)
    write_planted(a2, "weight_transposed", tmp_path / "submissions" / "bob")
    student_folder(tmp_path / "submissions", a2.folder / "skeleton.py", "cy", a2.student_file)
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / "a2_linear.py").write_text(hidden_source)
    status, out, _ = run_cli(capsys, "grade", "submissions", "--hidden", "hidden", "--csv", "marks.csv")
    assert status == 0 and out == blocks[2]  # blocks[1] is the folder tree
    assert (tmp_path / "marks.csv").read_text().splitlines()[2] == "bob,2,2,0,2,2,0,8"
