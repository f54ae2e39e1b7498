"""Devices: cpu always, cuda when CuPy and a GPU are there; clear errors otherwise."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinydl
from tinydl import backend


def test_cuda_is_available_never_raises():
    assert isinstance(tinydl.cuda.is_available(), bool)
    assert tinydl.cuda.is_available() == (tinydl.cuda.unavailable_reason() is None)


def test_unavailable_reason_distinguishes_missing_cupy(monkeypatch):
    monkeypatch.setattr(backend, "_cupy_checked", True)
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_import_error", "ModuleNotFoundError: No module named 'cupy'")
    assert not tinydl.cuda.is_available()
    assert "CuPy is not installed" in tinydl.cuda.unavailable_reason()
    with pytest.raises(tinydl.DeviceError, match=r"device 'cuda' requested but CUDA is unavailable: CuPy is not installed"):
        backend.normalize_device("cuda")


def test_unavailable_reason_distinguishes_missing_gpu(monkeypatch):
    class CupyWithoutGpu:
        @staticmethod
        def is_available():
            return False

    monkeypatch.setattr(backend, "_cupy_checked", True)
    monkeypatch.setattr(backend, "_cupy", CupyWithoutGpu)
    assert "found no usable NVIDIA GPU or driver" in tinydl.cuda.unavailable_reason()
    assert tinydl.cuda.device_count() == 0


def test_default_device_from_environment(monkeypatch, no_cuda):
    monkeypatch.delenv("TINYDL_DEVICE", raising=False)
    assert backend.default_device() == "cpu"
    monkeypatch.setenv("TINYDL_DEVICE", "cpu")
    assert tinydl.zeros(1).device == "cpu"
    monkeypatch.setenv("TINYDL_DEVICE", "cuda")
    with pytest.raises(tinydl.DeviceError, match="CUDA is unavailable"):
        tinydl.zeros(1)


@pytest.mark.parametrize("name", ["tpu", "cuda:x", "gpu"])
def test_unknown_device_names(name):
    with pytest.raises(tinydl.DeviceError, match="device"):
        backend.normalize_device(name)


def test_get_array_module_is_numpy_for_cpu():
    assert backend.get_array_module(np.ones(2)) is np
    assert backend.get_array_module(tinydl.ones(2).array) is np


def test_no_module_imports_numpy_for_tensor_math():
    """DESIGN.md's backend seam: only host-side modules import numpy directly."""
    import pathlib
    import re

    package = pathlib.Path(tinydl.__file__).parent
    allowed = {"backend.py", "rng.py", "printing.py", "dtypes.py", "gradcheck.py", "serialize.py", "data.py",
               "gradcheck_diagnosis.py",  # host-side: compares gradients on the CPU
               "naming.py", "trace.py", "draw.py", "anomaly.py",  # instruments: host-side summaries
               "datasets.py", "safetensors_io.py"}  # host-side: data generation, file formats
    offenders = [str(path.relative_to(package)) for path in package.rglob("*.py")
                 if path.name not in allowed
                 and path.relative_to(package).parts[0] != "coursework"  # tests and their checks: host-side
                 and re.search(r"^\s*(import numpy|from numpy|import cupy|from cupy)", path.read_text(), re.M)]
    assert offenders == []


def test_array_from_python_names_the_op_it_was_given_to():
    assert backend.array_from_python([[1, 2], [3, 4]]).shape == (2, 2)
    with pytest.raises(ValueError, match=r"^full\(\): cannot make an array from list"):
        backend.array_from_python([[1, 2], [3]], "full")  # ragged: not an array


@pytest.mark.parametrize("prebuilt", [True, False], ids=["prebuilt-settings", "numpy.errstate"])
def test_quiet_floating_errors_silences_and_restores(monkeypatch, prebuilt):
    """Both paths (NumPy 2's prebuilt settings, plain errstate) are quiet inside, nest, and restore."""
    if not prebuilt:
        monkeypatch.setattr(backend, "_QUIET_EXTOBJ", None)
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with backend.quiet_floating_errors():
            assert np.log(np.zeros(1))[0] == -np.inf
            with backend.quiet_floating_errors(np):
                assert np.isnan(np.zeros(1) / np.zeros(1))[0]
            assert np.float32(3e38) * np.float32(10) == np.inf
        assert np.geterr() == before
        with pytest.raises(RuntimeWarning, match="divide by zero"):
            np.log(np.zeros(1))
