"""Check a function's analytical gradients against finite differences, and say what is wrong.

    tinydl.gradcheck(lambda x, w: my_layer(x, w), (x, w))
    tinydl.gradcheck(MyLinear.apply, (x, w, b), strict=True)   # coursework: exact shapes too

How it works. The outputs of ``fn`` are reduced to one number with fixed
random weights v: L(inputs) = sum_k <v_k, output_k>. backward() gives the
analytical dL/dx for every input x that requires grad. Central differences
give the numerical one: dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps).

* Inputs with at most ``max_elements`` (2000) elements are checked element by
  element. That costs 2 evaluations of ``fn`` per element (4000 forward passes
  for 2000 elements), which is why larger inputs are instead checked along
  ``directions`` random unit directions d: (L(x + eps d) - L(x - eps d)) / (2 eps)
  against <dL/dx, d>, as Chainer does (2 evaluations per direction).
* The random weights and directions come from gradcheck's own generator, seeded
  from ``seed`` with a spawn key of its own: it never touches tinydl's global
  random state and can never replay it. (If it drew from the same stream as
  ``manual_seed(0); x = randn(...)``, v would equal x, and for a scale-invariant
  layer such as LayerNorm the true gradient J^T x is 0, so a backward returning
  zeros would pass.)
* A check whose numerical gradient is ~0 everywhere proves nothing: gradcheck
  warns (GradcheckWarning), or fails with ``raise_on_vacuous=True``.
* A failure is diagnosed (see ``gradcheck_diagnosis.py``): sign flipped, off by
  a constant factor, transposed, a missing sum over a broadcast axis, gradient
  not flowing, wrong only at a kink, float32 precision.

A pair passes when |analytical - numerical| <= atol + rtol * |numerical|.
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable, Iterable, Sequence

import numpy

import tinydl.backend as backend
from .gradcheck_diagnosis import (GradcheckError, check_node_gradients, describe_directions,
                                  describe_elements)
from .engine import Function, Tensor, no_grad, topological_order

__all__ = ["GradcheckError", "GradcheckWarning", "gradcheck"]

# A spawn key of gradcheck's own: SeedSequence(seed, spawn_key=...) starts a stream that
# differs from default_rng(seed), the stream tinydl.manual_seed(seed) starts.
_SPAWN_KEY = (0x67726164,)  # "grad"


class GradcheckWarning(UserWarning):
    """The check passed but proves little (the numerical gradient is ~0 everywhere)."""


def _outputs(result: Any) -> list:
    """Floating-point output arrays of fn, copied so that views of the inputs cannot change later."""
    return [t.array.copy() for t in _float_tensors(result)]


def _float_tensors(result: Any) -> list:
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [item for item in items if isinstance(item, Tensor) and item.dtype.kind == "f"]


def _weighted_sum(outputs: list, weights: list) -> float:
    return float(sum(float((out * w).sum()) for out, w in zip(outputs, weights)))


def input_names(fn: Callable, count: int) -> list[str]:
    """The names fn gives its positional arguments ("x", "w"), else "input i".

    ``MyFunction.apply`` takes *args: its names come from ``forward`` (minus ctx);
    a Module's from its ``forward``.
    """
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type) and issubclass(owner, Function):
        target, skip = owner.forward, 1  # forward(ctx, x, w, ...)
    else:
        target, skip = (fn.forward if hasattr(fn, "named_parameters") else fn), 0
    try:
        parameters = list(inspect.signature(target).parameters.values())[skip:]
    except (TypeError, ValueError):  # builtins without a signature
        parameters = []
    names = []
    for parameter in parameters:
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            break
        names.append(parameter.name)
    return [names[i] if i < len(names) else f"input {i}" for i in range(count)]


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Tensor] | Tensor, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, max_elements: int = 2000,
              directions: int = 20, seed: int = 0, *, strict: bool | Iterable[type] = False,
              raise_on_vacuous: bool = False) -> bool:
    """Return True if fn's gradients match finite differences, else raise GradcheckError.

    ``inputs`` are float64 tensors (float32 is too coarse for central
    differences); those with requires_grad=True are checked, named after fn's
    parameters (``lambda x, w: ...`` -> "x", "w"). If ``fn`` is a Module
    (anything with ``named_parameters``), its parameters are checked too, under
    their names: ``gradcheck(MyLayer().double(), [x])``. ``fn`` returns a tensor
    or a tuple of tensors; non-floating outputs are ignored. The inputs' values
    and ``.grad`` are left as they were.

    Cost: 2 evaluations of fn per element of each input with at most
    ``max_elements`` (default 2000) elements; 2 per random direction above that.

    ``strict=True`` also calls the backward of every Function defined outside
    tinydl (yours) directly, without the engine's automatic un-broadcasting and
    dtype fixing, and requires each gradient to have exactly its input's shape
    and dtype: "forgot to sum the bias gradient over the batch" fails instead of
    being repaired. (tinydl's own ops return broadcast-shaped gradients on
    purpose.) Pass a list of Function classes to choose which are checked.

    ``raise_on_vacuous=True`` fails, instead of warning, when the numerical
    gradient of an input is ~0 everywhere, so the check proves nothing.
    ``seed`` seeds gradcheck's own generator; tinydl's random state is untouched.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    names = input_names(fn, len(inputs))
    targets: list[tuple[str, Tensor]] = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.grad_fn is not None:  # made by an op (e.g. x.double()): check it as a leaf of its own
                x = inputs[i] = Tensor(x.array, requires_grad=True)
            targets.append((names[i], x))
    if hasattr(fn, "named_parameters"):
        targets += [(f"parameter {name}", p) for name, p in fn.named_parameters() if p.requires_grad]
    if not targets:
        raise ValueError("gradcheck: no input requires grad; create inputs with requires_grad=True")
    for label, x in targets:
        if x.dtype != numpy.float64:
            raise TypeError(f"gradcheck: {label} has dtype {x.dtype}; use float64 "
                            "(x.double(), module.double()) so that finite differences are accurate")

    saved_grads = [x.grad for _, x in targets]
    try:
        for _, x in targets:
            x.grad = None
        rng = numpy.random.default_rng(numpy.random.SeedSequence(seed, spawn_key=_SPAWN_KEY))
        if strict:
            only = None if strict is True else tuple(strict)
            _check_strict(fn, inputs, names, rng, only)
        _check_all(fn, inputs, targets, names, eps, atol, rtol, max_elements, directions, rng,
                   raise_on_vacuous)
    finally:
        for (_, x), grad in zip(targets, saved_grads):
            x.grad = grad
    return True


def _check_strict(fn: Callable, inputs: list, names: list, rng: Any, only: tuple | None) -> None:
    """Call each checked Function's backward on a recorded graph and demand exact shapes/dtypes."""
    def chosen(function: type) -> bool:
        if only is not None:
            return function in only
        return not function.__module__.startswith("tinydl.")

    check_node_gradients(_graph_of(fn(*inputs)), rng, exact=True, chosen=chosen)


def _graph_of(result: Any) -> list:
    """The nodes that made fn's outputs, each after the nodes that made its inputs."""
    return topological_order([out.grad_fn for out in _float_tensors(result) if out.grad_fn is not None])


def _check_all(fn: Callable, inputs: list, targets: list, names: list, eps: float, atol: float,
               rtol: float, max_elements: int, directions: int, rng: Any, raise_on_vacuous: bool) -> None:
    with no_grad():
        outputs = _outputs(fn(*inputs))
    if not outputs:
        raise ValueError("gradcheck: fn returned no floating-point tensor")
    weights = [backend.to_device(rng.standard_normal(out.shape), backend.device_of(out)) for out in outputs]
    output_dtypes = sorted({str(out.dtype) for out in outputs})

    # Analytical gradients: backward of L = sum <v, output>.
    result_tensors = _float_tensors(fn(*inputs))
    total = None
    for out, w in zip(result_tensors, weights):
        if out.requires_grad:
            term = (out * Tensor(w)).sum()
            total = term if total is None else total + term
    if total is not None:
        try:
            total.backward()
        except RuntimeError as error:  # e.g. a gradient of a shape the engine cannot fit
            check_node_gradients(_graph_of(fn(*inputs)), rng, exact=False, chosen=lambda function: True)
            raise GradcheckError(f"gradcheck: backward failed: {error}") from error

    def loss_at(x: Tensor, perturbation: Any) -> float:
        original = x.array
        try:
            x.array = backend.scalar_to_array(original + perturbation)
            with no_grad():
                return _weighted_sum(_outputs(fn(*inputs)), weights)
        finally:
            x.array = original

    with no_grad():
        base_loss = _weighted_sum(_outputs(fn(*inputs)), weights)
    for label, x in targets:
        no_gradient = x.grad is None
        analytical = numpy.zeros(x.shape) if no_gradient else backend.to_device(x.grad.array, "cpu")
        context = dict(label=label, x=x, analytical=analytical, no_gradient=no_gradient,
                       output_dtypes=output_dtypes, atol=atol, rtol=rtol, eps=eps)
        if x.numel() <= max_elements:
            numerical = _check_elements(x, eps, atol, rtol, analytical, loss_at, base_loss, context)
        else:
            numerical = _check_directions(x, eps, atol, rtol, analytical, loss_at, rng, directions,
                                          max_elements, context)
        if numpy.abs(numerical).max(initial=0.0) <= atol:
            _report_vacuous(label, x, atol, raise_on_vacuous)


def _report_vacuous(label: str, x: Tensor, atol: float, raise_on_vacuous: bool) -> None:
    message = (f"gradcheck: the numerical gradient of {label} (shape {tuple(x.shape)}) is ~0 everywhere "
               f"(every |dL/d{label}| <= {atol:g}), so this check proves nothing about it: a backward "
               "returning zeros would pass too. Try another input: random values away from 0 and from "
               "kinks (relu, abs, max), not all equal, not all negative before a relu.")
    if raise_on_vacuous:
        raise GradcheckError(message)
    warnings.warn(message, GradcheckWarning, stacklevel=3)


def _check_elements(x: Tensor, eps: float, atol: float, rtol: float, analytical: Any,
                    loss_at: Callable, base_loss: float, context: dict) -> Any:
    """Central differences for every element; on failure, raise with a diagnosis."""
    xp = backend.get_array_module(x.array)
    loss_plus = numpy.zeros(x.shape)
    loss_minus = numpy.zeros(x.shape)
    for flat_index in range(x.numel()):
        index = numpy.unravel_index(flat_index, x.shape)
        step = xp.zeros(x.shape, dtype=x.dtype)
        step[index] = eps
        loss_plus[index] = loss_at(x, step)
        loss_minus[index] = loss_at(x, -step)
    numerical = (loss_plus - loss_minus) / (2 * eps)
    error = numpy.abs(analytical - numerical)
    allowed = atol + rtol * numpy.abs(numerical)
    failing = (error > allowed) | ~numpy.isfinite(analytical)
    if failing.any():
        # One-sided derivatives: where they disagree, x sits on a kink.
        right = (loss_plus - base_loss) / eps
        left = (base_loss - loss_minus) / eps
        raise GradcheckError(describe_elements(numerical, failing, left, right, context))
    return numerical


def _check_directions(x: Tensor, eps: float, atol: float, rtol: float, analytical: Any,
                      loss_at: Callable, rng: Any, directions: int, max_elements: int,
                      context: dict) -> Any:
    """Directional derivatives along random unit directions; on failure, list the failing ones."""
    numerical = numpy.zeros(directions)
    predicted = numpy.zeros(directions)
    for k in range(directions):
        direction = rng.standard_normal(x.shape)
        direction /= numpy.linalg.norm(direction)
        step = backend.to_device(direction * eps, x.device)
        numerical[k] = (loss_at(x, step) - loss_at(x, -step)) / (2 * eps)
        predicted[k] = float((analytical * direction).sum())
    allowed = atol + rtol * numpy.abs(numerical)
    failing = (numpy.abs(predicted - numerical) > allowed) | ~numpy.isfinite(predicted)
    if failing.any():
        raise GradcheckError(describe_directions(numerical, predicted, failing, max_elements, context))
    return numerical
