"""Where benchmark results go, and progress lines while they run.

The numbers the README quotes live in benchmarks/results/ and are tracked by
git, so they are written only when asked for with ``--save``. A plain run
writes into out/benchmarks/ (git-ignored): running a benchmark never leaves
the working tree dirty.
"""
from __future__ import annotations

import argparse
import pathlib
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAVED = ROOT / "benchmarks" / "results"     # quoted by the README: written only with --save
SCRATCH = ROOT / "out" / "benchmarks"       # the default: out/ is in .gitignore


def add_save_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--save", action="store_true",
                        help="write results into benchmarks/results/, the files the README quotes "
                             "(default: out/benchmarks/, ignored by git)")


def results_dir(save: bool) -> pathlib.Path:
    """benchmarks/results/ with --save, else out/benchmarks/; created if missing."""
    folder = SAVED if save else SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Stopwatch:
    """Progress lines with the time since the start: `[  12.3s] W1: round 3/7`."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:7.1f}s] {message}", flush=True)
