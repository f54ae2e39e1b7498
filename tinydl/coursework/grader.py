"""The grader: run an assignment's tests on a student's file and report points, pass/fail and why.

    report = grade_folder("hw2")[0]          # the assignment is recognised by its STUDENT_FILE
    print(report.table())

For each test: import the student's file fresh, seed tinydl's generator (so
results do not depend on the order tests run in), call the test with the module,
and sort the outcome into one of

    pass              the test returned
    fail              AssertionError (GradcheckError included): its message is the diagnosis
    not implemented   NotImplementedError raised in the student's file (the skeleton's)
    error             anything else: its type, message, and the student's line it came from

A task earns its points only if all of its tests pass. NumPy's warnings (overflow
in exp, ...) are recorded instead of printed, and added to the message of a test
that did not pass: they are usually the clue. Each test (and the import) has a
time limit (``time_limit``, 60 s by default): an endless loop is an error, not a hang.
"""
from __future__ import annotations

import contextlib
import csv
import pathlib
import signal
import threading
import traceback
import warnings
from dataclasses import dataclass, field
from types import ModuleType

import tinydl
from . import (Assignment, AssignmentError, TaskTest, assignments, import_file, load_tests, task_points,
               task_sort_key)

__all__ = ["DEFAULT_TIME_LIMIT_S", "Report", "TaskResult", "TestOutcome", "TimeLimitExceeded", "find_assignments",
           "format_marks", "grade", "grade_folder", "grade_submissions", "hidden_tests", "is_submissions_folder",
           "marks_table", "run_test", "time_limit", "write_csv"]

PASS, FAIL, NOT_IMPLEMENTED, ERROR = "pass", "FAIL", "not implemented", "error"
DEFAULT_TIME_LIMIT_S = 60.0


class TimeLimitExceeded(Exception):
    """A test (or the import of the student's file) ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Raise TimeLimitExceeded in the running code after ``seconds``.

    Uses SIGALRM, so it works in the main thread on Linux and macOS; elsewhere
    (Windows, a worker thread) or with ``seconds`` None or 0 there is no limit.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not seconds or not usable:
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"ran longer than the time limit of {seconds:g} s (an endless loop?)")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class TestOutcome:
    test: TaskTest
    status: str  # PASS, FAIL, NOT_IMPLEMENTED or ERROR
    message: str = ""


@dataclass
class TaskResult:
    """One task: its points and the outcomes of all of its tests."""

    task_id: str
    points: int
    outcomes: list[TestOutcome] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {outcome.status for outcome in self.outcomes}
        if statuses <= {PASS}:
            return PASS
        if statuses & {FAIL, ERROR}:
            return FAIL
        return NOT_IMPLEMENTED

    @property
    def earned(self) -> int:
        return self.points if self.status == PASS else 0


@dataclass
class Report:
    """The grade of one student file for one assignment."""

    assignment: Assignment
    student_path: pathlib.Path
    tasks: list[TaskResult]

    @property
    def earned(self) -> int:
        return sum(result.earned for result in self.tasks)

    @property
    def total(self) -> int:
        return sum(result.points for result in self.tasks)

    def marks(self) -> dict[str, int]:
        """Task id -> points earned."""
        return {result.task_id: result.earned for result in self.tasks}

    def table(self) -> str:
        """The table of tasks, points and results, then each failing test's message."""
        lines = [f"Assignment {self.assignment.number}: {self.assignment.title} ({self.student_path})", "",
                 f"{'task':<6} {'points':>7}  result"]
        for result in self.tasks:
            lines.append(f"{result.task_id:<6} {f'{result.earned}/{result.points}':>7}  {result.status}")
        lines.append(f"{'total':<6} {f'{self.earned}/{self.total}':>7}")
        for result in self.tasks:
            for outcome in result.outcomes:
                if outcome.status in (FAIL, ERROR):
                    where = "" if outcome.test.source == "public" else f", hidden test in {outcome.test.source}"
                    lines += ["", f"Task {result.task_id} {outcome.status} ({outcome.test.name}{where}):",
                              _indent(outcome.message)]
        return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines()) or "    (no message)"


# ------------------------------------------------ finding what to grade
def find_assignments(directory: pathlib.Path) -> list[Assignment]:
    """The assignments whose student file is in ``directory``, or AssignmentError saying what was expected."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise AssignmentError(f"{directory} is not a folder")
    every = assignments()
    found = [assignment for assignment in every if (directory / assignment.student_file).is_file()]
    if not found:
        files = ", ".join(assignment.student_file for assignment in every)
        raise AssignmentError(f"{directory} is not an assignment folder: it has none of the students' files "
                              f"({files}). Start one with: python -m tinydl.coursework start N {directory}")
    return found


def hidden_tests(assignment: Assignment, hidden_dir: pathlib.Path) -> list[TaskTest]:
    """The tests in ``hidden_dir/a<N>_*.py`` and ``hidden_dir/a<N>_*/*.py`` for assignment N."""
    hidden_dir = pathlib.Path(hidden_dir)
    if not hidden_dir.is_dir():
        raise AssignmentError(f"--hidden {hidden_dir}: not a folder")
    prefix = f"a{assignment.number}_"
    files = []
    for path in sorted(hidden_dir.iterdir()):
        if path.name.startswith(prefix):
            files += [path] if path.suffix == ".py" else sorted(path.glob("*.py")) if path.is_dir() else []
    if not files:
        raise AssignmentError(f"--hidden {hidden_dir}: no tests for assignment {assignment.number} "
                              f"(expected files {prefix}*.py or a folder {prefix}*/ of .py files)")
    tests = []
    for path in files:
        for test in load_tests(path, source=path.name)[1]:
            if not test.task_id.startswith(f"{assignment.number}."):
                raise AssignmentError(f"{path}: {test.name} is marked task {test.task_id}, which is not a task "
                                      f"of assignment {assignment.number}")
            tests.append(test)
    return tests


# ------------------------------------------------ running tests
def grade(assignment: Assignment, student_path: pathlib.Path, task: str | None = None,
          hidden: pathlib.Path | None = None, time_limit_s: float | None = DEFAULT_TIME_LIMIT_S) -> Report:
    """Run ``assignment``'s tests (public, plus hidden ones from ``hidden``) on the file ``student_path``.

    ``task`` ("2.3") runs only that task's tests; ``time_limit_s`` limits each test (None: no limit).
    """
    shown_path = pathlib.Path(student_path)  # as the user typed it, for the table
    student_path = shown_path.resolve()  # to recognise the student's frames in tracebacks
    tests = list(assignment.tests) + (hidden_tests(assignment, hidden) if hidden is not None else [])
    points = task_points(tests, assignment.name)
    if task is not None:
        if task not in points:
            raise AssignmentError(f"--task {task}: assignment {assignment.number} has tasks {', '.join(points)}")
        points = {task: points[task]}
    results = {task_id: TaskResult(task_id, task_points_) for task_id, task_points_ in points.items()}

    student, import_error = _import_student(student_path, time_limit_s)
    for test in tests:
        if test.task_id not in results:
            continue
        if import_error is not None:
            outcome = TestOutcome(test, ERROR, import_error)
        else:
            outcome = run_test(test, student, student_path, time_limit_s)
        results[test.task_id].outcomes.append(outcome)
    ordered = sorted(results.values(), key=lambda result: task_sort_key(result.task_id))
    return Report(assignment, shown_path, ordered)


def _import_student(path: pathlib.Path, time_limit_s: float | None) -> tuple[ModuleType | None, str | None]:
    """The student's module, or the reason it cannot be imported (a SyntaxError, a NameError, ...)."""
    try:
        with warnings.catch_warnings(record=True), time_limit(time_limit_s):
            warnings.simplefilter("always")
            return import_file(path, "student"), None
    except Exception as error:  # the student's file: anything can go wrong in it
        return None, f"could not import {path.name}: " + _describe_error(error, path)


def run_test(test: TaskTest, student: ModuleType, student_path: pathlib.Path,
             time_limit_s: float | None = DEFAULT_TIME_LIMIT_S) -> TestOutcome:
    """Run one test on the student's module and classify what happened."""
    tinydl.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with time_limit(time_limit_s):
                test.function(student)
            return TestOutcome(test, PASS)
        except NotImplementedError as error:
            if _raised_in(error, student_path):
                return TestOutcome(test, NOT_IMPLEMENTED, str(error))
            outcome = TestOutcome(test, ERROR, _describe_error(error, student_path))
        except AssertionError as error:
            message = str(error) or "assertion failed: " + _failing_line(error)
            outcome = TestOutcome(test, FAIL, message + _student_line(error, student_path))
        except Exception as error:  # the student's code: anything can go wrong in it
            outcome = TestOutcome(test, ERROR, _describe_error(error, student_path))
    noted = sorted({f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, RuntimeWarning)})
    if noted:
        outcome.message += "\nNumPy warned while this test ran: " + "; ".join(noted)
    return outcome


def _frames(error: BaseException) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(error.__traceback__))


def _raised_in(error: BaseException, path: pathlib.Path) -> bool:
    frames = _frames(error)
    return bool(frames) and pathlib.Path(frames[-1].filename).resolve() == path


def _student_line(error: BaseException, path: pathlib.Path) -> str:
    """"\\n(at linear.py line 23: return grad_out.T @ x)" for the last frame in the student's file, else ""."""
    if isinstance(error, SyntaxError) and error.filename and pathlib.Path(error.filename).resolve() == path:
        return f"\n(at {path.name} line {error.lineno}: {(error.text or '').strip()})"
    mine = [frame for frame in _frames(error) if pathlib.Path(frame.filename).resolve() == path]
    if not mine:
        return ""
    return f"\n(at {path.name} line {mine[-1].lineno}: {mine[-1].line})"


def _failing_line(error: BaseException) -> str:
    frames = _frames(error)
    return frames[-1].line if frames else "(unknown line)"


def _describe_error(error: BaseException, path: pathlib.Path) -> str:
    return f"{type(error).__name__}: {error}" + _student_line(error, path)


# ------------------------------------------------ folders and submissions
def grade_folder(directory: pathlib.Path, task: str | None = None, hidden: pathlib.Path | None = None,
                 time_limit_s: float | None = DEFAULT_TIME_LIMIT_S) -> list[Report]:
    """Grade a student's folder: one report per assignment whose student file it holds.

    ``task`` ("2.3") grades only that task, of assignment 2.
    """
    directory = pathlib.Path(directory)
    found = find_assignments(directory)
    if task is not None:
        found = [assignment for assignment in found if task.split(".")[0] == str(assignment.number)]
        if not found:
            raise AssignmentError(f"--task {task}: {directory} holds no file of assignment {task.split('.')[0]}")
    return [grade(assignment, directory / assignment.student_file, task, hidden, time_limit_s)
            for assignment in found]


def is_submissions_folder(directory: pathlib.Path) -> bool:
    """True if ``directory`` holds no student file itself but its subfolders do (one per student)."""
    directory = pathlib.Path(directory)
    try:
        find_assignments(directory)
        return False
    except AssignmentError:
        pass
    files = {assignment.student_file for assignment in assignments()}
    return directory.is_dir() and any(
        (sub / name).is_file() for sub in directory.iterdir() if sub.is_dir() for name in files)


def grade_submissions(directory: pathlib.Path, task: str | None = None, hidden: pathlib.Path | None = None,
                      time_limit_s: float | None = DEFAULT_TIME_LIMIT_S) -> dict[str, list[Report]]:
    """Grade every student folder inside ``directory``: student (folder name) -> reports.

    A folder with no assignment file gets no reports (and zero marks in the CSV).
    """
    marks: dict[str, list[Report]] = {}
    folders = [path for path in pathlib.Path(directory).iterdir()
               if path.is_dir() and not path.name.startswith((".", "__"))]  # not .git, __pycache__
    for student_dir in sorted(folders):
        try:
            marks[student_dir.name] = grade_folder(student_dir, task, hidden, time_limit_s)
        except AssignmentError as error:
            if "not an assignment folder" not in str(error) and "holds no file" not in str(error):
                raise  # an instructor's mistake (bad --hidden or --task): stop, do not hand out zeros
            marks[student_dir.name] = []
    return marks


def marks_table(marks: dict[str, list[Report]]) -> tuple[list[str], list[list]]:
    """Columns (student, every task id seen, total) and one row per student, the points earned."""
    task_ids: dict[str, int] = {}
    for reports in marks.values():
        for report in reports:
            for result in report.tasks:
                task_ids[result.task_id] = result.points
    columns = sorted(task_ids, key=task_sort_key)
    rows = []
    for student, reports in marks.items():
        earned: dict[str, int] = {}
        for report in reports:
            earned.update(report.marks())
        rows.append([student] + [earned.get(task_id, 0) for task_id in columns] + [sum(earned.values())])
    total = sum(task_ids.values())
    header = ["student"] + [f"{task_id} ({task_ids[task_id]})" for task_id in columns] + [f"total ({total})"]
    return header, rows


def write_csv(marks: dict[str, list[Report]], path: pathlib.Path) -> None:
    """One row per student, one column per task (points earned), and the total."""
    header, rows = marks_table(marks)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def format_marks(marks: dict[str, list[Report]]) -> str:
    """The marks as an aligned text table (what ``grade SUBMISSIONS`` prints)."""
    header, rows = marks_table(marks)
    cells = [header] + [[str(value) for value in row] for row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(header))]
    return "\n".join("  ".join(value.ljust(width) if k == 0 else value.rjust(width)
                               for k, (value, width) in enumerate(zip(row, widths))) for row in cells)
