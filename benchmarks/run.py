"""tinydl against the hand-written NumPy floor and PyTorch, on three MLP workloads and a small CNN (W4).

    python benchmarks/run.py              # full run: prints the table, writes out/benchmarks/cpu.json
    python benchmarks/run.py --save       # the same, into results/cpu.json (the numbers the README quotes)
    python benchmarks/run.py --quick      # fewer epochs and repeats, for a smoke test

Method: every contender starts from the same float32 weights and data order;
gradients on the first batch are checked against the NumPy floor before
anything is timed; each contender runs in a process of its own (so that
PyTorch's and NumPy's thread pools never compete) and warms up once; then the
contenders run in turn (their order rotating each round) for ``--repeats``
rounds, and the
table reports the median and the minimum time per epoch (or step). All runs
use 2 threads (set OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS
to change that, e.g. to 1 on a busy machine). PyTorch is used when it is
installed, and tinydl on "cuda" when a GPU is available.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "2")
THREADS = int(os.environ["OMP_NUM_THREADS"])  # PyTorch's too: OMP_NUM_THREADS=1 ... runs all on one thread

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import tinydl  # noqa: E402
from benchmarks import workloads as W  # noqa: E402
from benchmarks.machine import describe, machine_info  # noqa: E402
from benchmarks.output import Stopwatch, add_save_option, results_dir  # noqa: E402

PAUSE_S = 0.3


def contenders(devices: list[str]) -> tuple[list[W.Contender], list[str]]:
    chosen: list[W.Contender] = [W.NumpyFloor(), W.Tinydl("cpu")]
    notes = []
    try:
        import torch

        torch.set_num_threads(THREADS)
        chosen.append(W.Torch())
    except ImportError:
        notes.append("PyTorch is not installed: its column is skipped (pip install torch to compare).")
    if "cuda" in devices:
        if tinydl.cuda.is_available():
            chosen.append(W.Tinydl("cuda"))
        else:
            notes.append(f"tinydl on cuda skipped: {tinydl.cuda.unavailable_reason()}")
    return chosen, notes


def check_agreement(workload: W.Workload, runners: list[W.Contender]) -> dict:
    """Gradients on the first batch agree with the floor; tinydl stays float32."""
    floor = runners[0]
    floor.setup(workload)
    expected = floor.gradients()
    report = {}
    for runner in runners[1:]:
        runner.setup(workload)
        grads = runner.gradients()
        worst = max(float(np.abs(g - e).max() / (np.abs(e).max() + 1e-12)) for g, e in zip(grads, expected))
        if worst > 1e-3:
            raise AssertionError(f"{workload.name}: {runner.name} gradients differ from the NumPy floor "
                                 f"(worst relative error {worst:.2e})")
        report[runner.name] = worst
        if isinstance(runner, W.Tinydl):
            found = runner.dtypes()
            if found != {"float32"}:
                raise AssertionError(f"{workload.name}: {runner.name} has dtypes {found}, expected only float32")
    return report


def _synchronizer(runner: W.Contender):
    """Waits for queued GPU work, so that a timer stops when the work is done."""
    if isinstance(runner, W.Tinydl) and runner.device != "cpu":
        import cupy

        return cupy.cuda.Device().synchronize
    return lambda: None


def _worker(connection, runner_kind: str, device: str, quick: bool) -> None:
    """One contender in its own process: PyTorch's OpenMP threads and NumPy's OpenBLAS
    threads never share (and spin on) the same two cores while the other is timed."""
    if runner_kind == "torch":
        import torch

        torch.set_num_threads(THREADS)
    runner = {"numpy": W.NumpyFloor, "tinydl": lambda: W.Tinydl(device), "torch": W.Torch}[runner_kind]()
    workloads = {w.name: w for w in W.make_workloads(quick=quick)}
    sync = _synchronizer(runner)
    while True:
        message = connection.recv()
        if message is None:
            return
        name, epochs = message
        connection.send(W.time_run(runner, workloads[name], epochs, sync))


class Remote:
    """A contender running in a worker process, timed on request."""

    def __init__(self, runner: W.Contender, quick: bool) -> None:
        import multiprocessing

        self.name = runner.name
        kind = "torch" if isinstance(runner, W.Torch) else "tinydl" if isinstance(runner, W.Tinydl) else "numpy"
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, kind, getattr(runner, "device", "cpu"), quick))
        self.process.start()

    def time(self, workload: W.Workload, epochs: int) -> tuple[float, float]:
        self.connection.send((workload.name, epochs))
        return self.connection.recv()

    def close(self) -> None:
        self.connection.send(None)
        self.process.join()


def _units_per_epoch(workload: W.Workload) -> int:
    return len(workload.batches()) if workload.unit == "step" else 1


def measure(workload: W.Workload, remotes: list[Remote], repeats: int, min_seconds: float,
            progress: Stopwatch | None = None) -> dict:
    timings: dict[str, list[float]] = {r.name: [] for r in remotes}
    losses: dict[str, float] = {}
    for remote in remotes:  # warm-up: caches, allocator, BLAS threads, CUDA kernels
        remote.time(workload, max(1, workload.epochs // 10))
    units_per_run = workload.epochs * _units_per_epoch(workload)

    def timed_seconds() -> float:
        return min(sum(values) for values in timings.values()) * units_per_run / 1000

    # At least `repeats` rounds, and more (up to 25) until every contender has run for
    # `min_seconds`: short workloads get more rounds, so their medians settle.
    round_number = 0
    while round_number < 25 and (round_number < repeats or timed_seconds() < min_seconds):
        shift = round_number % len(remotes)
        for remote in remotes[shift:] + remotes[:shift]:
            time.sleep(PAUSE_S)  # let the previous contender's BLAS/OpenMP threads stop spinning
            ms, loss = remote.time(workload, workload.epochs)
            timings[remote.name].append(ms)
            losses[remote.name] = loss
        round_number += 1
        if progress is not None:
            progress(f"{workload.name.split()[0]}: round {round_number} of at least {repeats} done")
    return {"timings_ms": timings, "final_loss": losses}


def table(results: list[dict]) -> str:
    lines = []
    for result in results:
        timings = result["timings_ms"]
        floor = statistics.median(timings["numpy by hand"])
        torch = statistics.median(timings["pytorch (cpu)"]) if "pytorch (cpu)" in timings else None
        lines.append(f"\n**{result['workload']}** ({result['description']}), ms per {result['unit']}, "
                     f"{result['epochs']} {result['unit']}s x {len(timings['numpy by hand'])} runs\n")
        lines.append("| contender | median | min | x NumPy floor | x PyTorch |")
        lines.append("|---|---:|---:|---:|---:|")
        for name, values in timings.items():
            median = statistics.median(values)
            versus_torch = f"{median / torch:.2f}" if torch else "n/a"
            lines.append(f"| {name} | {median:.3f} | {min(values):.3f} | {median / floor:.2f} | {versus_torch} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few epochs and 3 repeats (smoke test)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed rounds per contender (default 7, more for short workloads)")
    parser.add_argument("--workloads", default="W1,W2,W3,W4", help="which workloads, e.g. W1,W3")
    parser.add_argument("--devices", default="cpu,cuda", help="tinydl devices to try (cuda only if available)")
    parser.add_argument("--json", default=None,
                        help="where to write results (default out/benchmarks/cpu.json, or gpu.json "
                             "when a GPU took part; see --save)")
    add_save_option(parser)
    args = parser.parse_args(argv)
    if args.save and args.quick:
        parser.error("--save writes the README's numbers: not from a --quick run")
    repeats = args.repeats or (3 if args.quick else 7)
    wanted = {w.strip() for w in args.workloads.split(",")}
    runners, notes = contenders(args.devices.split(","))
    info = machine_info()
    print(f"Machine: {describe(info)}")
    for note in notes:
        print(f"Note: {note}")

    results = []
    progress = Stopwatch()
    remotes = [Remote(runner, args.quick) for runner in runners]
    try:
        for workload in W.make_workloads(quick=args.quick):
            if workload.name.split()[0] not in wanted:
                continue
            agreement = check_agreement(workload, runners)
            measured = measure(workload, remotes, repeats, 0.0 if args.quick else 3.0, progress)
            results.append({"workload": workload.name, "description": workload.description,
                            "unit": workload.unit, "epochs": workload.epochs,
                            "gradient_agreement": agreement, **measured})
            print(table(results[-1:]), flush=True)
    finally:
        for remote in remotes:
            remote.close()

    name = "gpu.json" if info["gpu"] else "cpu.json"
    path = pathlib.Path(args.json) if args.json else results_dir(args.save) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": info, "notes": notes, "min_repeats": repeats, "results": results},
                               indent=2) + "\n")
    print(f"\nwrote {path}")
    return results


if __name__ == "__main__":
    main()
