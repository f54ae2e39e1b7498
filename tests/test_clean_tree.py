"""Running a benchmark or an example never dirties the git working tree.

Results the README quotes (benchmarks/results/, docs/*.png) are written only
when asked for (`--save`, `--out docs`); a default run writes under out/,
which .gitignore covers.
"""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

import tinydl
from benchmarks import backends, output, overhead
from examples import common, xor_mlp

ROOT = pathlib.Path(__file__).resolve().parent.parent
needs_git = pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                               reason="git: not a git checkout")


def git(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)


def untracked_or_changed() -> set[str]:
    return set(git("status", "--porcelain", "--untracked-files=all").stdout.splitlines())


@needs_git
def test_default_output_folders_are_ignored_by_git():
    examples_default = common.make_parser("x", epochs=1).parse_args([]).out
    for folder in (output.SCRATCH, ROOT / examples_default):
        assert git("check-ignore", "-q", str(folder / "anything.json")).returncode == 0, folder
    # and what --save writes is tracked, not ignored: the README quotes it
    assert git("check-ignore", "-q", str(output.SAVED / "cpu.json")).returncode == 1


def test_save_chooses_the_readme_folder_and_only_it():
    assert output.results_dir(save=False) == output.SCRATCH
    assert output.SAVED == ROOT / "benchmarks" / "results"


@needs_git
def test_default_benchmark_runs_leave_git_status_unchanged(monkeypatch, capsys):
    before = untracked_or_changed()
    before_saved = {p.name: p.stat().st_mtime_ns for p in output.SAVED.iterdir()}
    backends.main(["--batches", "4", "--widths", "8", "--no-plot"])
    # backends.py names its results by what it could time: with "cuda" available (a GPU, or
    # the strict CuPy stand-in that conftest installs on CPU-only machines) it writes the gpu file
    results_name = "backends_gpu.json" if tinydl.cuda.is_available() else "backends_cpu.json"
    monkeypatch.setattr(overhead, "best_time", lambda function, **kwargs: 1e-6)  # the timing is not the point
    overhead.main([])
    printed = capsys.readouterr().out
    assert f"wrote {output.SCRATCH / results_name}" in printed
    assert f"wrote {output.SCRATCH / 'overhead.json'}" in printed
    assert untracked_or_changed() == before
    assert {p.name: p.stat().st_mtime_ns for p in output.SAVED.iterdir()} == before_saved


@needs_git
def test_a_default_example_run_from_the_repository_root_leaves_git_status_unchanged(monkeypatch):
    before = untracked_or_changed()
    monkeypatch.chdir(ROOT)                  # where the README's demo command runs
    result = xor_mlp.main([])                # figures into the default out/
    assert all(pathlib.Path(path).parts[0] == "out" for path in result["figures"])
    assert untracked_or_changed() == before


def test_progress_lines_carry_the_elapsed_time(capsys):
    progress = output.Stopwatch()
    progress("W1: round 1 of at least 7 done")
    line = capsys.readouterr().out
    assert re.fullmatch(r"\[\s+\d+\.\ds\] W1: round 1 of at least 7 done\n", line)


def test_quick_runs_cannot_overwrite_the_readme_numbers():
    from benchmarks import run

    with pytest.raises(SystemExit) as refused:
        run.main(["--quick", "--save"])
    assert refused.value.code == 2
