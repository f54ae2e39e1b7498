"""check_module on every layer in tinydl.nn: the library's own smoke test of tinydl.testing.

Every Module subclass that tinydl.nn exports must have an entry in LAYERS (a
new layer without one fails test_every_layer_has_an_example), so a new layer
is checked by the same one call a student's layer is: gradcheck, dtypes,
batches, train()/eval(), state_dict, cuda.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import tinydl
from tinydl import nn
from tinydl.testing import check_module

RNG = np.random.default_rng(16)


def floats(*shape: int, low: float = -2.0, high: float = 2.0) -> tinydl.Tensor:
    return tinydl.tensor(RNG.uniform(low, high, size=shape).astype(np.float32))


def classes(*shape: int, high: int = 3) -> tinydl.Tensor:
    return tinydl.tensor(RNG.integers(0, high, size=shape), dtype=tinydl.int64)


def log_probabilities(rows: int, columns: int) -> tinydl.Tensor:
    return tinydl.log_softmax(floats(rows, columns), dim=1).detach()


# class name -> (factory, example input: a shape, a Tensor, or a tuple of inputs). Small shapes:
# gradcheck evaluates the layer twice per element of every input and parameter.
LAYERS: dict[str, tuple[Callable[[], nn.Module], Any]] = {
    "Linear": (lambda: nn.Linear(3, 2), (4, 3)),
    "Identity": (nn.Identity, (4, 3)),
    "Flatten": (nn.Flatten, (3, 2, 2)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (3, 6)),
    "Sequential": (lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), (4, 3)),
    "ReLU": (nn.ReLU, (4, 3)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), (4, 3)),
    "Sigmoid": (nn.Sigmoid, (4, 3)),
    "Tanh": (nn.Tanh, (4, 3)),
    "ELU": (nn.ELU, (4, 3)),
    "GELU": (nn.GELU, (4, 3)),
    "SiLU": (nn.SiLU, (4, 3)),
    "Softplus": (nn.Softplus, (4, 3)),
    "Softmax": (lambda: nn.Softmax(dim=1), (4, 3)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), (4, 3)),
    "Dropout": (lambda: nn.Dropout(0.5), (4, 3)),
    "Conv1d": (lambda: nn.Conv1d(2, 2, 3, padding=1), (2, 2, 5)),
    "Conv2d": (lambda: nn.Conv2d(2, 2, 3, stride=2, padding=1), (2, 2, 4, 4)),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), (2, 2, 6)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 2, 4, 4)),
    "AvgPool1d": (lambda: nn.AvgPool1d(2), (2, 2, 6)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (2, 2, 4, 4)),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(3), (2, 2, 5)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 4, 5)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3), (4, 3)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(2), (3, 2, 2, 2)),
    "LayerNorm": (lambda: nn.LayerNorm(3), (4, 3)),
    "Embedding": (lambda: nn.Embedding(5, 3), classes(4, 2, high=5)),
    # Losses take (input, target); integer targets are class indices and are not differentiated.
    "MSELoss": (nn.MSELoss, (floats(4, 3), floats(4, 3))),
    "L1Loss": (nn.L1Loss, (floats(4, 3), floats(4, 3))),
    "SmoothL1Loss": (nn.SmoothL1Loss, (floats(4, 3), floats(4, 3))),
    "HuberLoss": (nn.HuberLoss, (floats(4, 3), floats(4, 3))),
    "BCELoss": (nn.BCELoss, (floats(4, 3, low=0.1, high=0.9), floats(4, 3, low=0.0, high=1.0))),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss, (floats(4, 3), floats(4, 3, low=0.0, high=1.0))),
    "CrossEntropyLoss": (nn.CrossEntropyLoss, (floats(4, 3), classes(4))),
    "NLLLoss": (nn.NLLLoss, (log_probabilities(4, 3), classes(4))),
}

# Exported Modules that are not layers with a forward of their own.
NOT_LAYERS = {"Module": "the base class", "ModuleList": "a container without forward"}

# Per-sample losses (reduction="none") keep the batch dimension, so the batch check compares rows too.
UNREDUCED = {
    "MSELoss": (lambda: nn.MSELoss(reduction="none"), LAYERS["MSELoss"][1]),
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(reduction="none"), LAYERS["CrossEntropyLoss"][1]),
    "BCEWithLogitsLoss": (lambda: nn.BCEWithLogitsLoss(reduction="none"), LAYERS["BCEWithLogitsLoss"][1]),
}

# Other settings whose checks differ: batch statistics in eval() too (no running statistics).
VARIANTS = {
    "BatchNorm1d(track_running_stats=False)": (lambda: nn.BatchNorm1d(3, track_running_stats=False), (4, 3)),
}


@pytest.mark.parametrize("factory, example",
                         [pytest.param(*case, id=name) for name, case in VARIANTS.items()])
def test_variants(factory: Callable[[], nn.Module], example: Any) -> None:
    assert check_module(factory, example, quiet=True)


# Layers in which check_module finds a real bug (not fixed here: nn/ belongs to other helpers).
# Layers check_module finds a real bug in (xfail, strict: a fix makes the test fail until removed here).
KNOWN_BUGS: dict[str, str] = {}


def exported_layers() -> list[str]:
    return sorted(name for name, value in vars(nn).items()
                  if isinstance(value, type) and issubclass(value, nn.Module) and name not in NOT_LAYERS)


def test_every_layer_has_an_example() -> None:
    missing = [name for name in exported_layers() if name not in LAYERS]
    assert not missing, (f"tinydl.nn exports {missing} but LAYERS in {__file__} has no example for them: "
                         "add (factory, example input) so that check_module covers the new layer")
    stale = [name for name in LAYERS if name not in exported_layers()]
    assert not stale, f"LAYERS names {stale}, which tinydl.nn no longer exports"


def _case(name: str, table: dict) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name])] if name in KNOWN_BUGS else []
    return pytest.param(*table[name], id=name, marks=marks)


@pytest.mark.parametrize("factory, example", [_case(name, LAYERS) for name in sorted(LAYERS)])
def test_check_module_passes_on_every_layer(factory: Callable[[], nn.Module], example: Any) -> None:
    report = check_module(factory, example, quiet=True)
    assert report and report.passed
    ran = {result.key for result in report if result.status == "PASS"}
    assert {"forward", "gradcheck", "float32", "modes", "warnings", "state_dict"} <= ran


@pytest.mark.parametrize("factory, example", [_case(name, UNREDUCED) for name in sorted(UNREDUCED)])
def test_unreduced_losses_are_checked_sample_by_sample(factory: Callable[[], nn.Module],
                                                       example: Any) -> None:
    report = check_module(factory, example, quiet=True, skip=["cuda", "state_dict"])
    assert [result.status for result in report["batch"]] == ["PASS", "PASS"]

