"""``python -m tinydl.coursework``: list the assignments, start one, grade a folder (or a class's folders).

    python -m tinydl.coursework list
    python -m tinydl.coursework start N DIR
    python -m tinydl.coursework grade DIR [--task N.M] [--hidden TESTS_DIR] [--csv FILE] [--time-limit S]

``grade DIR`` grades the student file(s) in DIR; if DIR instead holds one folder
per student, it grades each and prints (and with ``--csv``, writes) one row per
student and one column per task. A grade is not an error: the exit status is 0
whatever the marks, and 2 when DIR is not an assignment (or the command is wrong).
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
from typing import Sequence

from . import AssignmentError, assignments, get_assignment
from .grader import (DEFAULT_TIME_LIMIT_S, format_marks, grade_folder, grade_submissions,
                     is_submissions_folder, write_csv)

USAGE_ERROR = 2


def command_list() -> None:
    for assignment in assignments():
        points = assignment.points
        print(f"{assignment.number}  {assignment.title:<42} {assignment.student_file:<18} "
              f"{len(points)} tasks, {sum(points.values())} points")


def command_start(number: int, directory: pathlib.Path) -> None:
    """Copy assignment ``number``'s skeleton (as its STUDENT_FILE), statement and public tests into DIR."""
    assignment = get_assignment(number)
    directory.mkdir(parents=True, exist_ok=True)
    copies = {"skeleton.py": assignment.student_file, "statement.md": "statement.md",
              "public_tests.py": "public_tests.py"}
    for target in copies.values():
        if (directory / target).exists():
            raise AssignmentError(f"{directory / target} exists already; start in an empty folder "
                                  "(nothing was overwritten)")
    for source, target in copies.items():
        shutil.copyfile(assignment.folder / source, directory / target)
    width = max(len(str(directory / target)) for target in copies.values())
    print(f"Assignment {assignment.number}: {assignment.title}\n"
          f"  {str(directory / assignment.student_file):<{width}}  yours to complete: every NotImplementedError\n"
          f"  {str(directory / 'statement.md'):<{width}}  the math and the tasks\n"
          f"  {str(directory / 'public_tests.py'):<{width}}  the tests the grader runs\n"
          f"Grade it with: python -m tinydl.coursework grade {directory}")


def command_grade(directory: pathlib.Path, task: str | None, hidden: pathlib.Path | None,
                  csv_path: pathlib.Path | None, time_limit_s: float) -> None:
    if is_submissions_folder(directory):
        marks = grade_submissions(directory, task, hidden, time_limit_s)
        print(format_marks(marks))
        if csv_path is not None:
            write_csv(marks, csv_path)
            print(f"wrote {csv_path} ({len(marks)} students)")
        return
    reports = grade_folder(directory, task, hidden, time_limit_s)
    print("\n\n".join(report.table() for report in reports))
    if csv_path is not None:
        write_csv({directory.resolve().name: reports}, csv_path)
        print(f"wrote {csv_path}")


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="python -m tinydl.coursework",
                                          description="tinydl's assignments and their offline grader")
    verbs = main_parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("list", help="list the assignments")
    start = verbs.add_parser("start", help="write assignment N's skeleton, statement and tests into DIR")
    start.add_argument("number", type=int, metavar="N")
    start.add_argument("directory", type=pathlib.Path, metavar="DIR")
    grade = verbs.add_parser("grade", help="grade DIR (a student's folder, or a folder of students' folders)")
    grade.add_argument("directory", type=pathlib.Path, metavar="DIR")
    grade.add_argument("--task", metavar="N.M", help="grade only this task")
    grade.add_argument("--hidden", type=pathlib.Path, metavar="TESTS_DIR",
                       help="also run the instructor's tests TESTS_DIR/a<N>_*.py (or TESTS_DIR/a<N>_*/*.py)")
    grade.add_argument("--csv", type=pathlib.Path, metavar="FILE", help="write the marks: one row per student")
    grade.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="SECONDS",
                       help=f"stop a test after this long (default {DEFAULT_TIME_LIMIT_S:g}; 0: no limit)")
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 for a folder that is not an assignment)."""
    arguments = parser().parse_args(argv)
    try:
        if arguments.verb == "list":
            command_list()
        elif arguments.verb == "start":
            command_start(arguments.number, arguments.directory)
        else:
            command_grade(arguments.directory, arguments.task, arguments.hidden, arguments.csv,
                          arguments.time_limit)
    except AssignmentError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `grade DIR | head`: the reader left; no traceback for that
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
