"""``tinydl.coursework``: assignments that extend tinydl, and an offline grader that explains a wrong gradient.

    python -m tinydl.coursework list                 # the assignments
    python -m tinydl.coursework start 2 hw2          # hw2/linear.py (to complete), statement.md, public_tests.py
    python -m tinydl.coursework grade hw2            # a table of tasks, points, pass/fail, and why

An assignment is one folder ``assignments/a<N>_<slug>/`` holding ``statement.md``
(the math, a worked example, "Task N.M (P points)" for each task), ``skeleton.py``
(copied to the student's folder as ``STUDENT_FILE``; ``raise NotImplementedError("Task
N.M: ...")`` where the student writes code) and ``public_tests.py``. The tests file
sets ``TITLE`` and ``STUDENT_FILE`` and defines test functions marked with
:func:`task`; each takes the student's module, imported fresh by the grader:

    TITLE = "Linear from scratch"
    STUDENT_FILE = "linear.py"

    @task("2.4", points=2)
    def test_bias_gradient(student):
        ...  # raise AssertionError("bias gradient not summed over the batch") on a wrong answer

Grading rules (``grader.py``): a task earns its points only if every test with its
id passes (public and hidden tests together); ``NotImplementedError`` counts as "not
implemented"; an AssertionError (``GradcheckError`` included) is a failure whose
message is shown to the student; any other exception is an error, shown with its
type, message and the line of the student's file it came from.

Nothing here needs pytest or PyTorch: a student with ``pip install tinydl-edu``
has everything.
"""
from __future__ import annotations

import pathlib
import re
import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable

__all__ = ["Assignment", "AssignmentError", "TaskTest", "assignments", "get_assignment", "load_tests", "task"]

ASSIGNMENTS_DIR = pathlib.Path(__file__).resolve().parent / "assignments"
_FOLDER_NAME = re.compile(r"^a(\d+)_(\w+)$")
_TASK_ID = re.compile(r"^\d+\.\d+$")


class AssignmentError(Exception):
    """A folder or tests file that is not a valid assignment (the CLI exits with status 2)."""


@dataclass(frozen=True)
class TaskTest:
    """One test function: its task id ("2.4"), the points of that task (None: declared by another test)."""

    task_id: str
    points: int | None
    function: Callable[[ModuleType], object]
    source: str = "public"  # "public", or the hidden tests file it came from

    @property
    def name(self) -> str:
        return self.function.__name__


def task(task_id: str, points: int | None = None) -> Callable:
    """Mark a test function as checking task ``task_id`` ("N.M"), worth ``points``.

    Several tests may share a task id: the task's points are earned only if all of
    them pass. Give the points once (on any one of them) or repeat the same number;
    hidden tests may add tests to a task without repeating its points.
    """
    if not isinstance(task_id, str) or not _TASK_ID.match(task_id):
        raise ValueError(f"task: the task id must be a string 'N.M' such as '2.4', got {task_id!r}")
    if points is not None and (not isinstance(points, int) or points < 0):
        raise ValueError(f"task {task_id}: points must be a whole number >= 0, got {points!r}")

    def mark(function: Callable) -> Callable:
        function._coursework_task = (task_id, points)
        return function

    return mark


def task_sort_key(task_id: str) -> tuple[int, int]:
    """'2.10' after '2.9': task ids sort as numbers."""
    major, minor = task_id.split(".")
    return int(major), int(minor)


def import_file(path: pathlib.Path, prefix: str) -> ModuleType:
    """Import the Python file at ``path`` as a fresh module, always from its current text.

    Compiled here from the source: never a cached module from sys.modules, never a
    stale .pyc (a student who edits and grades again within a second is graded on
    the new file), and no __pycache__ written into the student's folder.
    """
    path = pathlib.Path(path)
    name = f"_tinydl_coursework_{prefix}_{abs(hash(str(path)))}"
    code = compile(path.read_bytes(), str(path), "exec")  # a SyntaxError names the file and line
    module = ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # as a real import does: dataclasses and pickle look the module up there
    try:
        exec(code, module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_tests(path: pathlib.Path, source: str = "public") -> tuple[ModuleType, list[TaskTest]]:
    """The module at ``path`` and its @task tests, in the order they are defined."""
    module = import_file(path, "tests")
    tests = [TaskTest(*value._coursework_task, function=value, source=source)
             for value in vars(module).values() if callable(value) and hasattr(value, "_coursework_task")]
    if not tests:
        raise AssignmentError(f"{path}: no test functions marked with @task('N.M', points=P)")
    return module, tests


@dataclass
class Assignment:
    """One assignment folder: ``a<number>_<slug>/`` with statement.md, skeleton.py, public_tests.py."""

    number: int
    slug: str
    folder: pathlib.Path
    title: str = ""
    student_file: str = ""
    tests: list[TaskTest] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.folder.name  # "a2_linear"

    @property
    def points(self) -> dict[str, int]:
        """Each task id -> its points (from the public tests), in task order."""
        return task_points(self.tests, self.name)

    @classmethod
    def from_folder(cls, folder: pathlib.Path) -> "Assignment":
        match = _FOLDER_NAME.match(folder.name)
        if match is None:
            raise AssignmentError(f"{folder}: an assignment folder is named a<N>_<slug>, e.g. a2_linear")
        for required in ("statement.md", "skeleton.py", "public_tests.py"):
            if not (folder / required).is_file():
                raise AssignmentError(f"{folder}: missing {required}")
        module, tests = load_tests(folder / "public_tests.py")
        title, student_file = getattr(module, "TITLE", None), getattr(module, "STUDENT_FILE", None)
        if not isinstance(title, str) or not isinstance(student_file, str) or not student_file.endswith(".py"):
            raise AssignmentError(f"{folder}/public_tests.py: set TITLE = '...' and STUDENT_FILE = '<name>.py'")
        assignment = cls(int(match.group(1)), match.group(2), folder, title, student_file, tests)
        for test in tests:
            if not test.task_id.startswith(f"{assignment.number}."):
                raise AssignmentError(f"{folder}/public_tests.py: {test.name} is marked task {test.task_id}, "
                                      f"but tasks of assignment {assignment.number} are numbered "
                                      f"{assignment.number}.1, {assignment.number}.2, ...")
        assignment.points  # raises on missing or conflicting points
        return assignment


def task_points(tests: list[TaskTest], where: str) -> dict[str, int]:
    """Each task id -> its points; every task must declare them once (or repeat the same number)."""
    points: dict[str, int] = {}
    for test in tests:
        if test.points is None:
            continue
        if points.get(test.task_id, test.points) != test.points:
            raise AssignmentError(f"{where}: task {test.task_id} is given {points[test.task_id]} points by one "
                                  f"test and {test.points} by {test.name}; give its points once")
        points[test.task_id] = test.points
    missing = sorted({test.task_id for test in tests} - set(points), key=task_sort_key)
    if missing:
        raise AssignmentError(f"{where}: no test gives the points of task(s) {', '.join(missing)}: "
                              "write @task('N.M', points=P) on one of its tests")
    return dict(sorted(points.items(), key=lambda item: task_sort_key(item[0])))


def assignments(root: pathlib.Path = ASSIGNMENTS_DIR) -> list[Assignment]:
    """Every assignment shipped in ``root``, in number order."""
    found = [Assignment.from_folder(folder) for folder in sorted(root.iterdir())
             if folder.is_dir() and _FOLDER_NAME.match(folder.name)]
    found.sort(key=lambda assignment: assignment.number)
    numbers = [assignment.number for assignment in found]
    if len(set(numbers)) != len(numbers):
        raise AssignmentError(f"{root}: two assignment folders share a number: {numbers}")
    return found


def get_assignment(number: int, root: pathlib.Path = ASSIGNMENTS_DIR) -> Assignment:
    """Assignment ``number`` (1, 2, ...), or AssignmentError listing the ones there are."""
    for assignment in assignments(root):
        if assignment.number == number:
            return assignment
    available = ", ".join(str(a.number) for a in assignments(root))
    raise AssignmentError(f"there is no assignment {number}; the assignments are {available}")
