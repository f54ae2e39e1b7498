"""Shared fixtures: hypothesis profiles and the device parametrisation."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import tinydl

# CI and default runs are deterministic (derandomize: the examples come from a
# fixed seed). HYPOTHESIS_PROFILE=dev explores new random examples each run.
settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytest_plugins = ["tests.skip_summary"]  # one line per skip reason, not per skipped test

CUDA_REASON = tinydl.cuda.unavailable_reason()


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request: pytest.FixtureRequest) -> str:
    """Runs a test on "cpu", and on "cuda" when a GPU is usable (skipped with the reason otherwise)."""
    if request.param == "cuda" and CUDA_REASON is not None:
        pytest.skip(f"cuda: {CUDA_REASON}")
    return request.param


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Every test starts from the same random state."""
    tinydl.manual_seed(0)
