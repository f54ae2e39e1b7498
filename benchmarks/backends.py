"""CPU (NumPy) against GPU (CuPy): one MLP training step over a grid of batch sizes and widths.

    python benchmarks/backends.py           # table + out/benchmarks/backends_<cpu|gpu>.json + .png
    python benchmarks/backends.py --save    # the same into results/ (the files the README quotes)

The model is width -> width -> width -> 10 (ReLU, cross-entropy, Adam), the
same code on both devices. Each point warms up, then times steps until at
least 0.2 s (and 3 steps) have passed, reporting the median. The GPU needs
enough work per kernel launch to win; the table says where that starts.
Without a usable GPU the CPU half runs and the reason is printed.
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

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import tinydl  # noqa: E402
import tinydl.nn as nn  # noqa: E402
import tinydl.optim as optim  # noqa: E402
from benchmarks.machine import describe, machine_info  # noqa: E402
from benchmarks.output import Stopwatch, add_save_option, results_dir  # noqa: E402


def step_time_ms(device: str, batch: int, width: int, min_seconds: float = 0.2) -> float:
    """Median milliseconds of one forward + backward + Adam step."""
    tinydl.manual_seed(0)
    model = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                          nn.Linear(width, 10)).to(device)
    optimizer = optim.Adam(model.parameters())
    x = tinydl.randn(batch, width, device=device)
    y = tinydl.randint(0, 10, (batch,), device=device)
    synchronize = _synchronizer(device)

    def step() -> None:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()  # warm-up: allocations, BLAS threads, CUDA kernel compilation
    step()
    synchronize()
    times, started = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - started < min_seconds:
        t0 = time.perf_counter()
        step()
        synchronize()
        times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times)


def _synchronizer(device: str):
    if device == "cpu":
        return lambda: None
    import cupy

    return cupy.cuda.Device().synchronize


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="16,64,256,1024,4096",
                        help="batch sizes, comma-separated (default 16,64,256,1024,4096)")
    parser.add_argument("--widths", default="64,256,1024",
                        help="hidden widths, comma-separated (default 64,256,1024)")
    parser.add_argument("--no-plot", action="store_true", help="skip the figure")
    add_save_option(parser)
    args = parser.parse_args(argv)
    folder = results_dir(args.save)
    progress = Stopwatch()
    batches = [int(b) for b in args.batches.split(",")]
    widths = [int(w) for w in args.widths.split(",")]
    info = machine_info()
    print(f"Machine: {describe(info)}")
    devices = ["cpu"]
    if tinydl.cuda.is_available():
        devices.append("cuda")
    else:
        print(f"cuda was not available ({tinydl.cuda.unavailable_reason()}): only the cpu half runs.")

    points = []
    for width in widths:
        for batch in batches:
            point = {"batch": batch, "width": width}
            for device in devices:
                point[f"{device}_ms"] = step_time_ms(device, batch, width)
            if "cuda_ms" in point:
                point["speedup"] = point["cpu_ms"] / point["cuda_ms"]
            points.append(point)
            progress(f"width {width:5d} batch {batch:5d}: " + ", ".join(
                f"{d} {point[f'{d}_ms']:.3f} ms" for d in devices)
                + (f", GPU speedup {point['speedup']:.1f}x" if "speedup" in point else ""))

    print("\n| width | batch | cpu ms/step | cuda ms/step | GPU speedup |\n|---:|---:|---:|---:|---:|")
    for p in points:
        cuda = f"{p['cuda_ms']:.3f}" if "cuda_ms" in p else "n/a"
        speedup = f"{p['speedup']:.1f}x" if "speedup" in p else "n/a"
        print(f"| {p['width']} | {p['batch']} | {p['cpu_ms']:.3f} | {cuda} | {speedup} |")
    crossover = {}
    if "cuda" in devices:
        for width in widths:
            winning = [p["batch"] for p in points if p["width"] == width and p["speedup"] > 1]
            crossover[width] = min(winning) if winning else None
            print(f"width {width}: the GPU wins from batch {crossover[width]}" if winning
                  else f"width {width}: the GPU never wins in this grid")

    tag = "gpu" if "cuda" in devices else "cpu"
    result = {"machine": info, "devices": devices, "points": points,
              "gpu_wins_from_batch": {str(k): v for k, v in crossover.items()}}
    (folder / f"backends_{tag}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {folder / f'backends_{tag}.json'}")
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        for width in widths:
            row = [p for p in points if p["width"] == width]
            for device, style in (("cpu", "-o"), ("cuda", "--s")):
                if f"{device}_ms" in row[0]:
                    ax.plot([p["batch"] for p in row], [p[f"{device}_ms"] for p in row], style,
                            label=f"{device}, width {width}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("batch size")
        ax.set_ylabel("ms per training step")
        ax.set_title("One MLP step: NumPy (cpu) vs CuPy (cuda)" if "cuda" in devices
                     else "One MLP step on cpu (no GPU available)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / f"backends_{tag}.png", dpi=90)
        print(f"wrote {folder / f'backends_{tag}.png'}")
    return result


if __name__ == "__main__":
    main()
