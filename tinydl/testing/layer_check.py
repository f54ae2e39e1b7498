"""``check_function`` and ``check_module``: everything a new op or layer must pass, in one call.

    check_module(MyLinear(3, 2), (4, 3))
    check_function(MySigmoid, tinydl.randn(4, 3))

Each runs a list of checks (``checks.py``, ``module_checks.py``) on copies of
what it is given, prints one line per check, and raises LayerCheckError (an
AssertionError carrying the whole report) if any failed.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable, Sequence

from ..engine import Tensor
from ..nn.module import Module
import tinydl.backend as backend
from .checks import (FLOAT32, Subject, check_cuda, check_float32, check_gradients, check_reference,
                     check_warnings, error_text)
from .inputs import as_example, describe, from_shape, prepare
from .module_checks import (check_batches, check_modes, check_state_dict, probe_modes,
                            uses_batch_statistics)
from .report import FAIL, PASS, SKIP, LayerCheckError, LayerCheckReport

__all__ = ["check_function", "check_module"]

# The generic name of each kind of check, for the lines of checks that did not run.
CHECK_NAMES = {
    "gradcheck": "gradcheck float64",
    "float32": "float32 in -> float32 out and grads",
    "batch": "batch sizes 1 and N",
    "modes": "eval() and train() respected",
    "warnings": "no NumPy warnings in forward/backward",
    "state_dict": "state_dict round trip",
    "cuda": "same results on cuda",
    "reference": "same values as the reference",
}


def check_function(fn: Callable[..., Any] | type, *example_inputs: Any,
                   reference: Callable[..., Any] | None = None, strict: bool = True, seed: int = 0,
                   quiet: bool = False, skip: Iterable[str] = (),
                   gradcheck_options: dict | None = None) -> LayerCheckReport:
    """Check a differentiable function (or a ``Function`` subclass) on example inputs; print a report.

    Checks: forward runs; ``gradcheck`` in float64 with ``strict`` mode (the
    diagnosis of a wrong gradient is shown); float32 inputs give float32 outputs
    and gradients; no NumPy RuntimeWarning; the same results on cuda (SKIP
    without a GPU); and, with ``reference=`` (a function computing the same
    thing, with tinydl ops or NumPy), equal values and input gradients.

    ``example_inputs`` are Tensors or arrays (floating ones are differentiated,
    integer ones are passed as they are) and any other arguments (``dim=1``
    positionally). ``skip`` names checks not to run ("cuda", "warnings", ...);
    ``gradcheck_options`` go to ``tinydl.gradcheck`` (``max_elements``, ``atol``,
    ...). Returns the report (a list of CheckResult, truthy); raises
    LayerCheckError carrying it if a check fails. ``quiet=True`` prints nothing.

    >>> class Cube(tinydl.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad_out):
    ...         (x,) = ctx.saved_tensors
    ...         return 3 * x ** 2 * grad_out
    >>> report = check_function(Cube, tinydl.randn(4, 3), reference=lambda x: x * x * x)
    check_function(Cube, input (4, 3) float32)
      forward ........................................... PASS  output (4, 3) float32
      gradcheck float64 (x) ............................. PASS
      float32 in -> float32 out and grads ............... PASS
      no NumPy warnings in forward/backward ............. PASS
      same results on cuda .............................. SKIP  no GPU: CuPy is not installed
      same values as the reference ...................... PASS  forward and backward
    all 5 checks passed (1 skipped)
    """
    skip = _checked_skip(skip)
    subject = Subject(fn, seed)
    example = as_example(example_inputs)
    report = LayerCheckReport(f"check_function({_title(fn)}, {describe(example)})")
    checks = [
        ("gradcheck", lambda: check_gradients(report, subject, example, None, strict,
                                              gradcheck_options or {})),
        ("float32", lambda: check_float32(report, subject, example)),
        ("warnings", lambda: check_warnings(report, subject, example)),
        ("cuda", lambda: check_cuda(report, subject, example, [None])),
    ]
    if reference is not None:
        checks.append(("reference", lambda: check_reference(report, subject, example, reference, [None])))
    if _forward(report, subject, example, lambda: True):
        _run(report, checks, skip)
    else:
        _skip_all(report, checks, "forward failed")
    return _finish(report, quiet)


def check_module(module_or_factory: Module | Callable[[], Module], input_shape_or_example: Any, *,
                 reference: Callable[..., Any] | None = None, strict: bool = True,
                 batch_statistics: bool | None = None, mode_dependent: bool | None = None, seed: int = 0,
                 quiet: bool = False, skip: Iterable[str] = (),
                 gradcheck_options: dict | None = None) -> LayerCheckReport:
    """Check a layer (a Module, or a function that builds one) on an example input; print a report.

    ``input_shape_or_example`` is a shape such as ``(4, 3)`` (standard normal
    float32 values, dimension 0 the batch), an example Tensor (e.g. int64 ids
    for an Embedding), or a tuple of inputs (a loss's ``(input, target)``).

    Checks, each on a copy (the module is never changed):

    * forward runs; ``gradcheck`` in float64, strict mode, of the inputs and
      every parameter, in train() (and eval() too if the output differs there);
    * float32 in -> float32 out, and no float64 in any gradient;
    * batch sizes 1 and N: output shapes (1, ...) and (N, ...), and each sample
      alone gives its row of the batch, in eval() and in train() (skipped in
      train() for batch statistics, which ``batch_statistics=`` can state; by
      default it is assumed when a submodule keeps a ``running_mean`` (and in
      eval() too when that is None: ``track_running_stats=False``), and in
      train() for random layers such as Dropout);
    * eval() is deterministic and changes no parameter or buffer; train() and
      eval() reach every submodule. ``mode_dependent=True/False`` also demands
      that the output does (Dropout, BatchNorm) or does not differ between them;
    * no NumPy RuntimeWarning; a fresh instance (from the factory, else a copy
      with its state scrambled) loaded with the state_dict of a used one gives
      identical outputs; the same results on cuda (SKIP without a GPU);
    * with ``reference=`` (a Module, given this module's state_dict, or a
      function of the inputs): equal outputs and gradients.

    Returns the report (a list of CheckResult, truthy); raises LayerCheckError
    (an AssertionError) carrying it if a check fails. See check_function for
    ``strict``, ``seed``, ``quiet``, ``skip`` and ``gradcheck_options``.

    >>> report = check_module(tinydl.nn.Linear(3, 2), (4, 3))
    check_module(Linear(in_features=3, out_features=2, bias=True), input (4, 3) float32)
      forward ........................................... PASS  output (4, 2) float32
      gradcheck float64, train() (x, weight, bias) ...... PASS
      float32 in -> float32 out and grads ............... PASS
      batch sizes 1 and 4, eval() ....................... PASS  each sample alone = its row of the batch
      batch sizes 1 and 4, train() ...................... PASS  each sample alone = its row of the batch
      eval() and train() respected ...................... PASS  same output in train() and eval()
      no NumPy warnings in forward/backward ............. PASS
      state_dict round trip ............................. PASS  2 entries, through tinydl.save/load
      same results on cuda .............................. SKIP  no GPU: CuPy is not installed
    all 8 checks passed (1 skipped)
    """
    skip = _checked_skip(skip)
    module, factory = _module_and_factory(module_or_factory)
    subject = Subject(module, seed)
    example = _module_example(input_shape_or_example, seed)
    report = LayerCheckReport(f"check_module({_title(module)}, {describe(example)})")
    probe = _forward(report, subject, example, lambda: probe_modes(subject, example))
    if probe is None:
        planned = [(key, None) for key in CHECK_NAMES if key != "reference" or reference is not None]
        _skip_all(report, planned, "forward failed")
        return _finish(report, quiet)
    random_in_train, mode_dependent_output = probe.random_in_train, probe.mode_dependent
    if batch_statistics is None:
        batch_statistics = uses_batch_statistics(module, training=True)
    train_batch_skip = ("batch statistics in train() (BatchNorm)" if batch_statistics
                        else "random in train() (Dropout)" if random_in_train else None)
    eval_batch_skip = ("batch statistics in eval() too (track_running_stats=False)"
                       if uses_batch_statistics(module, training=False) else None)
    gradcheck_modes = [True, False] if mode_dependent_output else [True]
    compare_modes = [False] if random_in_train else [False, True]
    options = gradcheck_options or {}
    checks = [("gradcheck", lambda training=training: check_gradients(report, subject, example, training,
                                                                       strict, options))
              for training in gradcheck_modes]
    checks += [
        ("float32", lambda: check_float32(report, subject, example)),
        ("batch", lambda: check_batches(report, subject, example, False, eval_batch_skip)),
        ("batch", lambda: check_batches(report, subject, example, True, train_batch_skip)),
        ("modes", lambda: check_modes(report, subject, example, probe, mode_dependent)),
        ("warnings", lambda: check_warnings(report, subject, example)),
        ("state_dict", lambda: check_state_dict(report, subject, example, factory)),
        ("cuda", lambda: check_cuda(report, subject, example, compare_modes)),
    ]
    if reference is not None:
        checks.append(("reference",
                       lambda: check_reference(report, subject, example, reference, compare_modes)))
    _run(report, checks, skip)
    return _finish(report, quiet)


def _checked_skip(skip: Iterable[str]) -> set[str]:
    skip = {skip} if isinstance(skip, str) else set(skip)
    unknown = skip - set(CHECK_NAMES)
    if unknown:
        raise ValueError(f"skip: unknown check(s) {sorted(unknown)}; the checks are {sorted(CHECK_NAMES)}")
    return skip


def _module_and_factory(module_or_factory: Any) -> tuple[Module, Callable[[], Module] | None]:
    if isinstance(module_or_factory, Module):
        return module_or_factory, None
    if callable(module_or_factory):
        module = module_or_factory()
        if isinstance(module, Module):
            return module, module_or_factory
        raise TypeError(f"check_module: the factory returned a {type(module).__name__}, not a Module")
    raise TypeError(f"check_module: expected a Module or a function that builds one, got "
                    f"{type(module_or_factory).__name__}")


def _module_example(spec: Any, seed: int) -> list:
    """A shape (4, 3) -> one float32 standard normal input; a Tensor/array -> one; a tuple -> several."""
    if isinstance(spec, Tensor) or backend.is_ndarray(spec):
        return as_example([spec])
    if isinstance(spec, Sequence) and all(type(size) is int for size in spec):  # (True is no size)
        return from_shape(spec, seed)
    if isinstance(spec, (tuple, list)):
        return as_example(spec)
    raise TypeError(f"check_module: expected an input shape such as (4, 3), an example Tensor, or a tuple of "
                    f"inputs, got {type(spec).__name__}")


def _title(target: Any) -> str:
    """A one-line name: a module's repr if it fits on one line, else its class; a function's name."""
    if isinstance(target, Module):
        text = repr(target)
        return text if "\n" not in text else f"{type(target).__name__}(...)"
    owner = getattr(target, "__self__", None)
    if isinstance(owner, type):  # MyFunction.apply
        return owner.__name__
    return getattr(target, "__name__", type(target).__name__)


def _forward(report: LayerCheckReport, subject: Subject, example: list, then: Callable[[], Any]) -> Any:
    """The first check: forward runs on float32 copies of the example inputs.

    Returns what ``then()`` returns (run after forward, its errors reported as
    forward's), or None if forward failed.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the warnings check reports them
            outputs = subject.run(subject.instance(FLOAT32), prepare(example, FLOAT32, requires_grad=False))
            result = then()
    except Exception as error:
        report.add("forward", "forward", FAIL, "forward raised an error", error_text(error))
        return None
    if not outputs:
        report.add("forward", "forward", FAIL, "forward returned no floating-point Tensor")
        return None
    shapes = ", ".join(f"{tuple(out.shape)} {out.dtype.numpy_dtype.name}" for out in outputs)
    report.add("forward", "forward", PASS, f"output{'s' if len(outputs) > 1 else ''} {shapes}")
    return result


def _run(report: LayerCheckReport, checks: list, skip: set) -> None:
    skipped = set()
    for key, check in checks:
        if key not in skip:
            # NumPy's RuntimeWarnings are the warnings check's to report (even where a test
            # configuration turns them into errors); elsewhere they would only derail a check.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                check()
        elif key not in skipped:  # one line per skipped kind, even when it would run twice
            skipped.add(key)
            report.add(key, CHECK_NAMES[key], SKIP, "skipped (skip=)")


def _skip_all(report: LayerCheckReport, checks: list, why: str) -> None:
    for key in dict.fromkeys(key for key, _ in checks):
        report.add(key, CHECK_NAMES[key], SKIP, why)


def _finish(report: LayerCheckReport, quiet: bool) -> LayerCheckReport:
    if not quiet:
        print(report)
    if not report.passed:
        raise LayerCheckError(report)
    return report
