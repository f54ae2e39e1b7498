"""Shared fixtures: hypothesis profiles and the device parametrisation."""
from __future__ import annotations

from typing import Iterator

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import tinydl

import strict_cupy

# CI and default runs are deterministic (derandomize: the examples come from a
# fixed seed). HYPOTHESIS_PROFILE=dev explores new random examples each run.
settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytest_plugins = ["tests.skip_summary"]  # one line per skip reason, not per skipped test

# Which "cuda" the cuda-parametrised tests get: a real GPU when CuPy finds one; otherwise
# tests/strict_cupy.py, a strict stand-in for CuPy (NumPy underneath, arrays that refuse
# implicit conversion to NumPy), registered as `cupy`/`cupyx` for this test session only.
# TINYDL_TEST_CUDA=skip turns the stand-in off (cuda tests then skip with the reason).
GPU_REASON = tinydl.cuda.unavailable_reason()
if GPU_REASON is None:
    CUDA_KIND, CUDA_REASON = "gpu", None
elif os.environ.get("TINYDL_TEST_CUDA", "standin") == "skip":
    CUDA_KIND, CUDA_REASON = "skip", GPU_REASON
else:
    strict_cupy.install()
    tinydl.backend._cupy_checked = False  # forget the failed import: the next look finds the stand-in
    CUDA_KIND, CUDA_REASON = "standin", tinydl.cuda.unavailable_reason()
CUDA_ID = {"gpu": "cuda-gpu", "standin": "cuda-standin", "skip": "cuda"}[CUDA_KIND]


def pytest_report_header() -> str:
    if CUDA_KIND == "gpu":
        return "cuda: a real GPU through CuPy"
    if CUDA_KIND == "standin":
        return (f"cuda: tests/strict_cupy.py, a CuPy stand-in on NumPy (no GPU here: "
                f"{GPU_REASON.split(' (')[0]}); it checks the dispatch seam, not the GPU")
    return f"cuda: skipped ({GPU_REASON})"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(pytest_report_header())


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda, id=CUDA_ID)])
def device(request: pytest.FixtureRequest) -> str:
    """Runs a test on "cpu", and on "cuda": a real GPU, else the strict CuPy stand-in (see above)."""
    if request.param == "cuda" and CUDA_REASON is not None:
        pytest.skip(f"cuda: {CUDA_REASON}")
    return request.param


@pytest.fixture
def cuda() -> str:
    """"cuda" (a real GPU or the stand-in), for tests whose cpu half is tested elsewhere."""
    if CUDA_REASON is not None:
        pytest.skip(f"cuda: {CUDA_REASON}")
    return "cuda"


@pytest.fixture
def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without CuPy: tinydl's cached import of cupy is replaced by a failure."""
    monkeypatch.setattr(tinydl.backend, "_cupy_checked", True)
    monkeypatch.setattr(tinydl.backend, "_cupy", None)
    monkeypatch.setattr(tinydl.backend, "_cupy_import_error", "ModuleNotFoundError: No module named 'cupy'")


@pytest.fixture(autouse=True)
def _seeded() -> Iterator[None]:
    """Every test starts from the same random state, and leaves the defaults as it found them
    (a ported program may call set_default_device("cuda"), set_default_dtype or set_printoptions)."""
    tinydl.manual_seed(0)
    device, dtype = tinydl.backend._default_device, tinydl.get_default_dtype()
    print_options = dict(tinydl.printing._print_options)
    yield
    tinydl.set_default_device(device)
    tinydl.set_default_dtype(dtype)
    tinydl.printing._print_options.update(print_options)
