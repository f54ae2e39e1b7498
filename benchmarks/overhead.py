"""The engine's own cost per op: graph bookkeeping, with the arithmetic made negligible.

On 1x1 arrays NumPy's work is a few hundred nanoseconds, so the time of a
tinydl op there, minus the same NumPy calls made by hand, is what the engine
adds: argument checks, Function.apply, the Node, the Tensor, and in
backward the topological sort, gradient routing and un-broadcasting.

    python benchmarks/overhead.py            # prints a table, writes out/benchmarks/overhead.json
    python benchmarks/overhead.py --save     # the same into results/overhead.json (quoted by the README)
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import timeit

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import tinydl  # noqa: E402
import tinydl.nn.functional as F  # noqa: E402
from benchmarks.machine import machine_info  # noqa: E402
from benchmarks.output import add_save_option, results_dir  # noqa: E402

OPS_PER_STEP = 6  # linear, relu, linear, relu, linear, cross_entropy: see `engine_step`


def best_time(function, number: int = 500, repeat: int = 31) -> float:
    """Seconds per call: the minimum over repeats (the least disturbed measurement)."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_save_option(parser)
    save = parser.parse_args(argv).save
    rng = np.random.default_rng(0)
    sizes = [(1, 1), (1, 1), (1, 1)]
    x_np = rng.standard_normal((1, 1)).astype(np.float32)
    weights_np = [rng.standard_normal(s).astype(np.float32) for s in sizes]
    biases_np = [rng.standard_normal(1).astype(np.float32) for _ in sizes]
    y_np = np.zeros(1, dtype=np.int64)
    x, y = tinydl.tensor(x_np), tinydl.tensor(y_np)
    weights = [tinydl.tensor(w, requires_grad=True) for w in weights_np]
    biases = [tinydl.tensor(b, requires_grad=True) for b in biases_np]

    def engine_forward():
        h = x
        for i, (w, b) in enumerate(zip(weights, biases)):
            h = F.linear(h, w, b)
            if i < 2:
                h = F.relu(h)
        return F.cross_entropy(h, y)

    def engine_step():
        loss = engine_forward()
        for p in weights + biases:
            p.grad = None
        loss.backward()

    def numpy_forward():
        h, saved = x_np, []
        for i, (w, b) in enumerate(zip(weights_np, biases_np)):
            saved.append(h)
            h = h @ w.T
            h += b
            if i < 2:
                h = np.maximum(h, 0)
        shifted = h - h.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        return exp, total, saved, float(np.log(total[:, 0]).mean() - shifted[0, 0])

    def numpy_step():
        exp, total, saved, _ = numpy_forward()
        grad = exp / total
        grad[0, 0] -= 1
        for i in range(2, -1, -1):
            grad.T @ saved[i]
            grad.sum(axis=0)
            if i:
                grad = grad @ weights_np[i]
                grad *= saved[i] > 0

    with tinydl.no_grad():
        no_grad_forward = best_time(engine_forward)
    forward = best_time(engine_forward)
    step = best_time(engine_step)
    numpy_fwd = best_time(numpy_forward)
    numpy_full = best_time(numpy_step)
    result = {
        "ops_per_step": OPS_PER_STEP,
        "forward_us_per_op": 1e6 * (forward - numpy_fwd) / OPS_PER_STEP,
        "forward_no_grad_us_per_op": 1e6 * (no_grad_forward - numpy_fwd) / OPS_PER_STEP,
        "backward_us_per_op": 1e6 * ((step - forward) - (numpy_full - numpy_fwd)) / OPS_PER_STEP,
        "numpy_us_per_op_on_1x1": 1e6 * numpy_full / OPS_PER_STEP / 2,
        "machine": machine_info(),
    }
    print("| engine overhead per op (1x1 arrays) | microseconds |\n|---|---:|")
    print(f"| forward, recording the graph | {result['forward_us_per_op']:.1f} |")
    print(f"| forward under no_grad | {result['forward_no_grad_us_per_op']:.1f} |")
    print(f"| backward | {result['backward_us_per_op']:.1f} |")
    print(f"| (the NumPy call itself, for scale) | {result['numpy_us_per_op_on_1x1']:.1f} |")
    out = results_dir(save) / "overhead.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
