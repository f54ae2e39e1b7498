"""Instructions per epoch (or step), counted by valgrind's callgrind: tinydl against the NumPy floor.

Wall-clock times on a shared 2-core machine swing by tens of percent from
run to run; instruction counts do not. Each contender trains the W1 and W3
models (same shapes as benchmarks/run.py, synthetic data, 1 BLAS thread)
twice, for a few and for more epochs, under callgrind; the difference divided
by the extra epochs is the cost of one epoch, with imports and set-up
cancelled out. Instructions are not time (cache misses and SIMD width
differ), but the engine's bookkeeping is instructions, so this isolates it.
Results go to out/benchmarks/instructions.json unless --save is given.

    python benchmarks/instructions.py          # needs valgrind; about 15 minutes
    python benchmarks/instructions.py --save   # into results/instructions.json (quoted by the README)
    python benchmarks/instructions.py W2       # one workload
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
# name: (layer sizes, batch rows, epochs in the short run, epochs in the long run)
SHAPES = {"W1 tutorial": ([2, 64, 128, 64, 2], 800, 3, 13),
          "W2 digits (per batch-64 step)": ([64, 256, 256, 10], 64, 10, 50),
          "W3 wide": ([784, 1024, 1024, 10], 256, 1, 3)}


def child(contender: str, workload: str, epochs: int) -> None:
    """Runs inside valgrind: set up, then train for ``epochs``."""
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from benchmarks import workloads as W

    sizes, rows, _, _ = SHAPES[workload]
    rng = np.random.default_rng(0)
    data = W.Workload(workload, "", sizes, rng.standard_normal((rows, sizes[0])).astype(np.float32),
                      rng.integers(0, sizes[-1], rows), None, epochs, "epoch")
    runner = W.Tinydl() if contender == "tinydl" else W.NumpyFloor()
    runner.setup(data)
    runner.train(epochs)


def count(contender: str, workload: str, epochs: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/out",
                   sys.executable, __file__, "--child", contender, workload, str(epochs)]
        output = subprocess.run(command, capture_output=True, text=True, check=True,
                                env={**os.environ, "OPENBLAS_NUM_THREADS": "1"}).stderr
    return int(re.search(r"Collected : (\d+)", output).group(1))


def main(only: str | None = None, save: bool = False) -> dict:
    sys.path.insert(0, str(ROOT))
    from benchmarks.machine import machine_info
    from benchmarks.output import Stopwatch, results_dir

    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind): nothing to count")
        return {}
    results = {}
    progress = Stopwatch()
    print("| workload | NumPy floor (instructions per epoch) | tinydl | tinydl / floor |\n|---|---:|---:|---:|")
    for workload, (_, _, short, long) in SHAPES.items():
        if only and not workload.startswith(only):
            continue
        per_epoch = {}
        for contender in ("floor", "tinydl"):
            progress(f"{workload}: counting {contender}'s instructions under callgrind (minutes)")
            per_epoch[contender] = (count(contender, workload, long) - count(contender, workload, short)) / (long - short)
        ratio = per_epoch["tinydl"] / per_epoch["floor"]
        results[workload] = {**per_epoch, "ratio": ratio}
        print(f"| {workload} | {per_epoch['floor'] / 1e6:.2f} M | {per_epoch['tinydl'] / 1e6:.2f} M | {ratio:.3f} |",
              flush=True)
    out = results_dir(save) / "instructions.json"
    if only and out.exists():  # one workload re-counted: keep the others
        results = {**json.loads(out.read_text())["results"], **results}
    out.write_text(json.dumps({"machine": machine_info(), "results": results}, indent=2) + "\n")
    print(f"wrote {out}")
    return results


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        arguments = [a for a in sys.argv[1:] if a != "--save"]
        main(arguments[0] if arguments else None, save="--save" in sys.argv[1:])
