"""The checks every new op and layer must pass: gradients, dtypes, warnings, cuda, a reference.

Each check works on fresh copies (``Subject.instance``) and fresh inputs
(``inputs.prepare``), so the caller's module and tensors are never changed,
and adds one line per run to the report. ``module_checks.py`` holds the checks
that only modules have (batches, train/eval, state_dict).
"""
from __future__ import annotations

import copy
import warnings
from typing import Any, Callable

import tinydl.backend as backend
import tinydl.cuda as cuda
import tinydl.rng as rng
from ..engine import Function, Tensor, no_grad, topological_order
from ..gradcheck import GradcheckError, GradcheckWarning, gradcheck, input_names
from ..gradcheck_diagnosis import check_node_gradients
from ..nn.module import Module
from .comparison import assert_close
from .inputs import backward_with_weights, float_outputs, is_float, prepare, seeded
from .report import FAIL, PASS, SKIP, LayerCheckReport

__all__ = ["Subject", "check_cuda", "check_float32", "check_gradients", "check_reference", "check_warnings"]

FLOAT32, FLOAT64 = backend.as_numpy_dtype("float32"), backend.as_numpy_dtype("float64")


class Subject:
    """What is checked: a function, or a module that every check copies (never changed in place)."""

    def __init__(self, target: Callable, seed: int) -> None:
        if isinstance(target, type) and issubclass(target, Function):
            target = target.apply  # MyFunction -> MyFunction.apply
        self.target, self.seed = target, seed
        self.is_module = isinstance(target, Module)

    def instance(self, dtype: Any = None, device: str = "cpu", training: bool = True) -> Callable:
        """The function itself, or a deep copy of the module in ``dtype``, on ``device``, in that mode."""
        if not self.is_module:
            return self.target
        module = copy.deepcopy(self.target)
        module.zero_grad()  # gradients left from the caller's training would add to ours
        module.to(device=device, dtype=dtype)
        return module.train(training)

    def parameters(self, instance: Callable) -> list[tuple[str, Tensor]]:
        """(name, parameter) for each trainable parameter of a module instance; [] for a function."""
        if not isinstance(instance, Module):
            return []
        return [(name, p) for name, p in instance.named_parameters() if p.requires_grad]

    def run(self, instance: Callable, inputs: list, seed_offset: int = 0) -> list[Tensor]:
        """The floating outputs of one call, with tinydl's random numbers fixed (the same Dropout mask)."""
        with seeded(self.seed + seed_offset):
            return float_outputs(instance(*inputs))

    def gradients(self, instance: Callable, inputs: list) -> tuple[list[Tensor], dict[str, Any]]:
        """Forward, then backward of L = sum <v, output> (fixed random v): outputs and name -> .grad."""
        outputs = self.run(instance, inputs)
        backward_with_weights(outputs, self.seed)
        names = input_names(instance, len(inputs))
        grads = {name: x.grad for name, x in zip(names, inputs) if is_float(x)}
        grads.update((name, p.grad) for name, p in self.parameters(instance))
        return outputs, grads

    def differentiable_names(self, example: list) -> list[str]:
        """The names of the floating inputs and trainable parameters: what gradcheck checks."""
        instance = self.target
        names = [name for name, value in zip(input_names(instance, len(example)), example) if is_float(value)]
        return names + [name for name, _ in self.parameters(instance)]


class _SeededModule:
    """A module as gradcheck sees it, with tinydl's random numbers fixed for every call.

    gradcheck evaluates the module many times; a Dropout must draw the same mask
    each time for finite differences to mean anything.
    """

    def __init__(self, module: Module, seed: int) -> None:
        self.module, self.seed = module, seed
        self.forward = module.forward  # gradcheck names the inputs after forward's parameters

    def named_parameters(self) -> Any:
        return self.module.named_parameters()

    def __call__(self, *inputs: Any) -> Any:
        with seeded(self.seed):
            return self.module(*inputs)


def error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def check_gradients(report: LayerCheckReport, subject: Subject, example: list, training: bool | None,
                    strict: bool, options: dict) -> None:
    """gradcheck in float64 (strict mode: your Functions' backward must return exact shapes and dtypes).

    ``training`` is the module's mode (True: train(), False: eval()), None for a function.
    """
    names = subject.differentiable_names(example)
    mode = "" if training is None else (", train()" if training else ", eval()")
    name = f"gradcheck float64{mode} ({', '.join(names)})" if names else f"gradcheck float64{mode}"
    if not names:
        report.add("gradcheck", name, SKIP, "no floating input or trainable parameter to differentiate")
        return
    instance = subject.instance(FLOAT64, training=bool(training))
    target = _SeededModule(instance, subject.seed) if isinstance(instance, Module) else instance
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GradcheckWarning)
        try:
            gradcheck(target, prepare(example, FLOAT64), strict=strict, **options)
        except GradcheckError as error:
            report.add("gradcheck", name, FAIL, "the diagnosis:", str(error))
            return
        except Exception as error:  # forward or backward crashed in float64
            report.add("gradcheck", name, FAIL, "an error in forward or backward", error_text(error))
            return
    vacuous = [str(w.message) for w in caught if issubclass(w.category, GradcheckWarning)]
    if vacuous:
        report.add("gradcheck", name, PASS, "but proves little: a numerical gradient is ~0",
                   "\n".join(vacuous))
    else:
        report.add("gradcheck", name, PASS)


def _your_function(function: type) -> bool:
    return not function.__module__.startswith("tinydl.")


def check_float32(report: LayerCheckReport, subject: Subject, example: list) -> None:
    """float32 inputs and parameters give float32 outputs and gradients: no float64 leaks in."""
    name = "float32 in -> float32 out and grads"
    instance = subject.instance(FLOAT32)
    problems = []
    try:
        outputs = subject.run(instance, prepare(example, FLOAT32))
        problems += [f"output {index} is {out.dtype.numpy_dtype.name}" + _where_float64_starts(out)
                     for index, out in enumerate(outputs) if out.dtype != FLOAT32]
        # The engine casts a float64 gradient from a backward back to float32 silently: call
        # your Functions' backward directly, on this graph, to see what they return.
        nodes = topological_order([out.grad_fn for out in outputs if out.grad_fn is not None])
        try:
            check_node_gradients(nodes, rng.Generator().manual_seed(subject.seed).numpy, exact=True,
                                 chosen=_your_function)
        except GradcheckError as error:
            if "gradient of dtype" in str(error):  # (a wrong shape is the gradcheck line's to report)
                problems.append(str(error))
        _, grads = subject.gradients(instance, prepare(example, FLOAT32))
    except Exception as error:
        report.add("float32", name, FAIL, "an error in forward or backward", error_text(error))
        return
    problems += [f"the gradient of {grad_name} is {grad.dtype.numpy_dtype.name}"
                 for grad_name, grad in grads.items() if grad is not None and grad.dtype != FLOAT32]
    if problems:
        report.add("float32", name, FAIL, "float64 leaks in (a float64 constant, numpy.float64 array "
                   "or .double()?)", "\n".join(problems))
    else:
        report.add("float32", name, PASS)


def _where_float64_starts(output: Tensor) -> str:
    """'; float64 first appears in Cast, whose result goes into Mul': the earliest float64 op in the graph."""
    if output.grad_fn is None:
        return ""
    order = topological_order([output.grad_fn])
    for position, node in enumerate(order):
        if node.output_dtype == FLOAT64:
            consumers = [later.function.__name__ for later in order[position + 1:]
                         if any(parent is node for parent in later.parents)]
            return (f"; float64 first appears in {node.function.__name__}"
                    + (f", whose result goes into {consumers[0]}" if consumers else ""))
    return ""


def check_warnings(report: LayerCheckReport, subject: Subject, example: list) -> None:
    """No NumPy RuntimeWarning (overflow, divide by zero, invalid value) escapes forward or backward."""
    name = "no NumPy warnings in forward/backward"
    host = backend.module_for_device("cpu")  # NumPy, whose floating-point errors warn
    with warnings.catch_warnings(record=True) as caught, host.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            for dtype in (FLOAT32, FLOAT64):
                subject.gradients(subject.instance(dtype), prepare(example, dtype))
        except Exception as error:
            report.add("warnings", name, FAIL, "an error in forward or backward", error_text(error))
            return
    messages = sorted({f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
                       for w in caught if issubclass(w.category, RuntimeWarning)})
    if messages:
        report.add("warnings", name, FAIL, f"{len(messages)} warning(s): a NaN or inf in the making?",
                   "\n".join(messages))
    else:
        report.add("warnings", name, PASS)


def _compare_runs(subject: Subject, reference: tuple, candidate: tuple, what: str) -> str | None:
    """None if two (outputs, grads) results agree, else the first difference, described."""
    (outputs, grads), (expected_outputs, expected_grads) = candidate, reference
    pairs = [(f"output {i}", out, expected)
             for i, (out, expected) in enumerate(zip(outputs, expected_outputs))]
    if len(outputs) != len(expected_outputs):
        return f"{what}: {len(outputs)} outputs, expected {len(expected_outputs)}"
    pairs += [(f"the gradient of {name}", grads.get(name), grad) for name, grad in expected_grads.items()
              if name in grads]
    for label, actual, expected in pairs:
        if (actual is None) != (expected is None):
            return f"{what}: {label} is {'missing' if actual is None else 'present'} but expected " + (
                "none" if expected is None else "one")
        if actual is None:
            continue
        try:
            assert_close(actual, expected, check_device=False, check_dtype=False)
        except AssertionError as error:
            return f"{what}: {label} differs\n{error}"
    return None


def check_cuda(report: LayerCheckReport, subject: Subject, example: list, modes: list) -> None:
    """On a GPU, the same outputs and gradients as on the CPU (float64), and float32 stays float32."""
    name = "same results on cuda"
    if not cuda.is_available():
        reason = (cuda.unavailable_reason() or "tinydl.cuda.is_available() is False").split(" (")[0]
        report.add("cuda", name, SKIP, f"no GPU: {reason}")
        return
    problems = []
    try:
        for training in modes:
            on_cpu = subject.gradients(subject.instance(FLOAT64, "cpu", bool(training)),
                                       prepare(example, FLOAT64))
            on_gpu = subject.gradients(subject.instance(FLOAT64, "cuda", bool(training)),
                                       prepare(example, FLOAT64, "cuda"))
            mode = "" if training is None else (" in train()" if training else " in eval()")
            difference = _compare_runs(subject, on_cpu, on_gpu, f"cuda vs cpu{mode}")
            if difference:
                problems.append(difference)
        with no_grad():
            outputs = subject.run(subject.instance(FLOAT32, "cuda"), prepare(example, FLOAT32, "cuda"))
        problems += [f"on cuda, output {i} is {out.dtype.numpy_dtype.name} for float32 inputs"
                     for i, out in enumerate(outputs) if out.dtype != FLOAT32]
    except Exception as error:
        problems.append(error_text(error))
    if problems:
        report.add("cuda", name, FAIL, "cuda and cpu disagree", "\n".join(problems))
    else:
        report.add("cuda", name, PASS, f"{len(modes)} mode(s), outputs and gradients")


def check_reference(report: LayerCheckReport, subject: Subject, example: list, reference: Callable,
                    modes: list) -> None:
    """The reference (a function, or a Module given this module's state_dict) computes the same values."""
    name = "same values as the reference"
    if isinstance(reference, type) and issubclass(reference, Function):
        reference = reference.apply
    problems, forward_only = [], False
    for training in modes:
        mode = "" if training is None else (" in train()" if training else " in eval()")
        ours = subject.instance(FLOAT64, training=bool(training))
        try:
            theirs = _reference_instance(reference, ours, bool(training))
            expected = _reference_gradients(subject, theirs, prepare(example, FLOAT64))
            actual = subject.gradients(ours, prepare(example, FLOAT64))
        except Exception as error:
            problems.append(f"reference{mode}: {error_text(error)}")
            continue
        forward_only = forward_only or expected[1] is None
        if expected[1] is None:  # a reference that returns arrays: values only
            actual, expected = (actual[0], {}), (expected[0], {})
        difference = _compare_runs(subject, expected, actual, f"module vs reference{mode}"
                                   if subject.is_module else f"function vs reference{mode}")
        if difference:
            problems.append(difference)
    if problems:
        report.add("reference", name, FAIL, "forward or backward differs", "\n".join(problems))
    else:
        report.add("reference", name, PASS, "forward only (the reference returned arrays)" if forward_only
                   else "forward and backward")


def _reference_instance(reference: Callable, ours: Callable, training: bool) -> Callable:
    """A Module reference is copied, made float64, and given our module's parameters and buffers."""
    if not isinstance(reference, Module):
        return reference
    theirs = copy.deepcopy(reference).double().train(training)
    if isinstance(ours, Module):
        theirs.load_state_dict(ours.state_dict())
    return theirs


def _reference_gradients(subject: Subject, reference: Callable, inputs: list) -> tuple[list, dict | None]:
    """The reference's (outputs, gradients); gradients None when it returns arrays, not Tensors."""
    with seeded(subject.seed):
        result = reference(*inputs)
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    if not all(isinstance(item, Tensor) for item in items):  # arrays or numbers: no graph to differentiate
        return float_outputs([item if isinstance(item, Tensor) else Tensor(backend.array_from_python(item, "check_function"))
                              for item in items]), None
    outputs = float_outputs(items)
    backward_with_weights(outputs, subject.seed)
    names = input_names(subject.target, len(inputs))  # the names our gradients go by
    grads = {name: x.grad for name, x in zip(names, inputs) if is_float(x)}
    if isinstance(reference, Module):
        grads.update((name, p.grad) for name, p in reference.named_parameters() if p.requires_grad)
    return outputs, grads
