"""The checks only modules have: batch sizes, train()/eval(), and the state_dict round trip.

All of them run in float64 on copies of the module (``Subject.instance``), so
that rounding never hides a real difference and the caller's module is untouched.
"""
from __future__ import annotations

import copy
import os
import tempfile
from typing import Callable, NamedTuple

import tinydl.backend as backend
from ..backend import Array
from ..engine import Tensor, no_grad
from ..nn.module import Module, Parameter
from ..serialize import load, save
from .checks import FLOAT64, Subject, error_text
from .comparison import assert_close
from .inputs import batch_size, prepare, take_rows
from .report import FAIL, PASS, SKIP, LayerCheckReport

__all__ = ["ModeProbe", "check_batches", "check_modes", "check_state_dict", "probe_modes",
           "uses_batch_statistics"]


class ModeProbe(NamedTuple):
    """What two quick runs per mode tell: is the module random in train(), does eval() change its output?"""

    random_in_train: bool
    mode_dependent: bool


def _outputs(subject: Subject, instance: Callable, example: list, seed_offset: int = 0) -> list[Tensor]:
    with no_grad():
        return subject.run(instance, prepare(example, FLOAT64, requires_grad=False), seed_offset)


def _same(first: list[Tensor], second: list[Tensor]) -> bool:
    return len(first) == len(second) and all(
        a.shape == b.shape and _equal(a.array, b.array) for a, b in zip(first, second))


def _equal(first: Array, second: Array) -> bool:
    return bool(backend.get_array_module(first).array_equal(first, second))


def probe_modes(subject: Subject, example: list) -> ModeProbe:
    """Run train() twice with different random seeds and eval() once (raises if forward fails)."""
    training = subject.instance(FLOAT64, training=True)
    first, second = _outputs(subject, training, example), _outputs(subject, training, example, seed_offset=1)
    evaluating = _outputs(subject, subject.instance(FLOAT64, training=False), example)
    return ModeProbe(random_in_train=not _same(first, second), mode_dependent=not _same(first, evaluating))


def uses_batch_statistics(module: Module, training: bool = True) -> bool:
    """Does some submodule normalise with the batch's statistics in this mode?

    BatchNorm-like layers (a ``running_mean`` attribute, or BatchNorm in the class
    name) do in train(); in eval() only those that keep no running statistics
    (``track_running_stats=False``: running_mean is None).
    """
    normalizers = [m for m in module.modules()
                   if hasattr(m, "running_mean") or "BatchNorm" in type(m).__name__]
    if training:
        return bool(normalizers)
    return any(getattr(m, "running_mean", None) is None for m in normalizers)


def check_batches(report: LayerCheckReport, subject: Subject, example: list, training: bool,
                  why_not: str | None) -> None:
    """Batch sizes 1 and N give outputs of shapes (1, ...) and (N, ...), and each sample alone gives its row.

    A layer without batch statistics treats the samples of a batch independently,
    so running sample i alone must give row i of the batched output. BatchNorm in
    train() is the exception (``why_not`` says so and the check is skipped).
    """
    mode = "train()" if training else "eval()"
    size = batch_size(example)
    if size is not None and size < 2:  # a batch of one proves nothing: repeat the sample
        example, size = take_rows(example, [0, 0, 0]), 3
    name = f"batch sizes 1 and {size or 'N'}, {mode}"
    if size is None:
        report.add("batch", name, SKIP, "no input has a batch dimension")
        return
    if why_not:
        report.add("batch", name, SKIP, why_not)
        return
    instance = subject.instance(FLOAT64, training=training)
    try:
        batched = _outputs(subject, instance, example)
        singles = [_outputs(subject, instance, take_rows(example, [i])) for i in range(size)]
    except Exception as error:
        report.add("batch", name, FAIL, "an error at batch size 1?", error_text(error))
        return
    for index, out in enumerate(batched):
        single_shape, batched_shape = tuple(singles[0][index].shape), tuple(out.shape)
        if single_shape == batched_shape and (not batched_shape or batched_shape[0] != size):
            report.add("batch", name, SKIP, f"output {index} of shape {batched_shape} has no batch dimension "
                       "(reduced over the batch?)")
            return
        if batched_shape[:1] != (size,) or single_shape != (1,) + batched_shape[1:]:
            report.add("batch", name, FAIL, "only dimension 0 may change with the batch size",
                       f"output {index}: shape {single_shape} at batch size 1, {batched_shape} at batch "
                       f"size {size}")
            return
        for sample in range(size):
            try:
                assert_close(singles[sample][index], Tensor(out.array[sample:sample + 1]))
            except AssertionError as error:
                hint = ("the layer mixes the samples of a batch" + (
                        "; if it uses batch statistics in train() like BatchNorm, pass batch_statistics=True"
                        if training else ""))
                report.add("batch", name, FAIL,
                           f"sample {sample} alone differs from row {sample} of the batch",
                           f"output {index}: {hint}\n{error}")
                return
    report.add("batch", name, PASS, "each sample alone = its row of the batch")


def check_modes(report: LayerCheckReport, subject: Subject, example: list, probe: ModeProbe,
                mode_dependent: bool | None) -> None:
    """eval() reaches every submodule, is deterministic, leaves parameters and buffers alone."""
    name = "eval() and train() respected"
    module = subject.instance(FLOAT64, training=True)
    problems = []
    module.eval()
    problems += [f"after eval(), {path or 'the module'} still has training=True"
                 for path, m in module.named_modules() if m.training]
    before = {key: value.array.copy() for key, value in module.state_dict().items()}
    first = _outputs(subject, module, example)
    second = _outputs(subject, module, example, seed_offset=1)
    if not _same(first, second):
        problems.append("two eval() calls on the same input give different outputs: forward is random in "
                        "eval() mode. Does it ignore self.training (dropout that always drops)?")
    changed = [key for key, value in module.state_dict().items()
               if not _equal(value.array, before[key])]
    if changed:
        problems.append(f"an eval() forward changed {', '.join(changed)}: running statistics may only "
                        "change in train()")
    module.train()
    problems += [f"after train(), {path or 'the module'} still has training=False"
                 for path, m in module.named_modules() if not m.training]
    if mode_dependent is not None and mode_dependent != probe.mode_dependent:
        problems.append(f"mode_dependent={mode_dependent} was given, but the output "
                        f"{'differs' if probe.mode_dependent else 'does not differ'} between train() and "
                        "eval()")
    note = ("output differs between train() and eval()" if probe.mode_dependent
            else "same output in train() and eval()")
    note += "; random in train()" if probe.random_in_train else ""
    report.add("modes", name, FAIL if problems else PASS, note, "\n".join(problems))


def check_state_dict(report: LayerCheckReport, subject: Subject, example: list,
                     factory: Callable[[], Module] | None) -> None:
    """A fresh instance loaded with a used module's state_dict (through tinydl.save/load) computes the same.

    The used module has run forward in train() (so running statistics moved);
    the fresh one (from ``factory``, else a copy) has every entry of its own
    state_dict scrambled first. Any state that state_dict misses (a Tensor kept
    as a plain attribute, a non-persistent buffer) then makes the outputs differ.
    """
    name = "state_dict round trip"
    used = subject.instance(FLOAT64, training=True)
    try:
        _outputs(subject, used, example)
        _outputs(subject, used, example, seed_offset=1)
        fresh = (factory() if factory is not None else copy.deepcopy(subject.target)).double()
        _scramble(fresh)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "state.npz")
            save(used.state_dict(), path)
            fresh.load_state_dict(load(path))
    except Exception as error:
        report.add("state_dict", name, FAIL, "save/load_state_dict failed", error_text(error))
        return
    used.eval()
    fresh.eval()
    try:
        assert_close(_outputs(subject, fresh, example), _outputs(subject, used, example), rtol=0, atol=0)
    except AssertionError as error:
        report.add("state_dict", name, FAIL, "a fresh instance given the state_dict computes something else",
                   _missing_state(used) + str(error))
        return
    count = len(used.state_dict())
    report.add("state_dict", name, PASS,
               f"{count} entr{'y' if count == 1 else 'ies'}, through tinydl.save/load")


def _scramble(module: Module) -> None:
    """Change every parameter and buffer in state_dict, so that loading must overwrite them to match."""
    with no_grad():
        for value in module.state_dict(keep_vars=True).values():
            # 1.5 x + 0.25 keeps a positive running variance positive
            value.array[...] = value.array * 1.5 + 0.25 if value.dtype.kind == "f" else value.array + 3
            value._bump_version()


def _missing_state(module: Module) -> str:
    """Tensors that a module keeps but its state_dict leaves out, named, with the fix."""
    lines = []
    for prefix, m in module.named_modules():
        where = f"{prefix}." if prefix else ""
        registered = set(m._parameters) | set(m._buffers)
        for attribute, value in vars(m).items():
            if isinstance(value, Tensor) and not isinstance(value, Parameter) and attribute not in registered:
                lines.append(f"{where}{attribute} is a Tensor attribute, not in state_dict: "
                             f"self.register_buffer({attribute!r}, tensor) makes it state")
        for attribute in sorted(m._non_persistent_buffers_set):
            lines.append(f"{where}{attribute} is a buffer registered with persistent=False, so not in "
                         "state_dict")
    return "".join(line + "\n" for line in lines)

