"""What machine a benchmark ran on: CPU model, cores, threads, BLAS, GPU, library versions."""
from __future__ import annotations

import os
import platform
import time

import numpy as np

import tinydl


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_name() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy: no dict mode
        return "unknown"


def gpu_name() -> str | None:
    if not tinydl.cuda.is_available():
        return None
    import cupy

    properties = cupy.cuda.runtime.getDeviceProperties(0)
    name = properties["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def machine_info() -> dict:
    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "blas": blas_name(),
        "gpu": gpu_name(),
        "cuda_unavailable_reason": tinydl.cuda.unavailable_reason(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tinydl": tinydl.__version__,
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def describe(info: dict) -> str:
    """One line for a table caption."""
    gpu = info["gpu"] or "no GPU"
    return (f"{info['cpu']}, {info['cores']} cores ({info['threads'].get('OPENBLAS_NUM_THREADS')} BLAS threads), "
            f"{info['blas']}, NumPy {info['numpy']}, {gpu}")
