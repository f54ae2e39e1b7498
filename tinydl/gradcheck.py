"""Check a function's analytical gradients against finite differences.

    tinydl.gradcheck(lambda x, w: my_layer(x, w), (x, w))

How it works. The outputs of ``fn`` are reduced to one number with fixed
random weights v: L(inputs) = sum_k <v_k, output_k>. backward() gives the
analytical dL/dx for every input x that requires grad. Central differences
give the numerical one: dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps).

* Inputs with at most ``max_elements`` elements are checked element by element.
* Larger inputs are checked along ``directions`` random unit directions d:
  (L(x + eps d) - L(x - eps d)) / (2 eps) against <dL/dx, d>, as Chainer does.

A pair passes when |analytical - numerical| <= atol + rtol * |numerical|.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy

import tinydl.backend as backend
from .tensor import Tensor, no_grad


class GradcheckError(AssertionError):
    """The analytical and numerical gradients disagree; the message says where."""


def _outputs(result: Any) -> list:
    """Floating-point output arrays of fn, copied so that views of the inputs cannot change later."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    arrays = []
    for item in items:
        if isinstance(item, Tensor) and item.dtype.kind == "f":
            arrays.append(item.array.copy())
    return arrays


def _weighted_sum(outputs: list, weights: list) -> float:
    return float(sum(float((out * w).sum()) for out, w in zip(outputs, weights)))


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Tensor] | Tensor, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, max_elements: int = 2000,
              directions: int = 20, seed: int = 0) -> bool:
    """Return True if fn's gradients match finite differences, else raise GradcheckError.

    ``inputs`` are float64 tensors (float32 is too coarse for central
    differences); those with requires_grad=True are checked. If ``fn`` is a
    Module (anything with ``named_parameters``), its parameters are checked
    too: ``gradcheck(MyLayer().double(), [x])``. ``fn`` returns a tensor or a
    tuple of tensors; non-floating outputs are ignored. The inputs' values
    and ``.grad`` are left as they were.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    targets: list[tuple[str, Tensor]] = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.grad_fn is not None:  # made by an op (e.g. x.double()): check it as a leaf of its own
                x = inputs[i] = Tensor(x.array, requires_grad=True)
            targets.append((f"input {i}", x))
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
        _check_all(fn, inputs, targets, eps, atol, rtol, max_elements, directions, seed)
    finally:
        for (_, x), grad in zip(targets, saved_grads):
            x.grad = grad
    return True


def _check_all(fn: Callable, inputs: list, targets: list, eps: float, atol: float, rtol: float,
               max_elements: int, directions: int, seed: int) -> None:
    rng = numpy.random.default_rng(seed)
    with no_grad():
        outputs = _outputs(fn(*inputs))
    if not outputs:
        raise ValueError("gradcheck: fn returned no floating-point tensor")
    weights = [backend.to_device(rng.standard_normal(out.shape), backend.device_of(out)) for out in outputs]

    # Analytical gradients: backward of L = sum <v, output>.
    result = fn(*inputs)
    result_tensors = [r for r in (result if isinstance(result, (tuple, list)) else (result,))
                      if isinstance(r, Tensor) and r.dtype.kind == "f"]
    total = None
    for out, w in zip(result_tensors, weights):
        if out.requires_grad:
            term = (out * Tensor(w)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()

    def loss_at(x: Tensor, perturbation: Any) -> float:
        original = x.array
        try:
            x.array = backend.scalar_to_array(original + perturbation)
            with no_grad():
                return _weighted_sum(_outputs(fn(*inputs)), weights)
        finally:
            x.array = original

    for label, x in targets:
        analytical = numpy.zeros(x.shape) if x.grad is None else backend.to_device(x.grad.array, "cpu")
        xp = backend.get_array_module(x.array)
        if x.numel() <= max_elements:
            _check_elements(label, x, xp, eps, atol, rtol, analytical, loss_at)
        else:
            _check_directions(label, x, eps, atol, rtol, analytical, loss_at, rng, directions)


def _check_elements(label: str, x: Tensor, xp: Any, eps: float, atol: float, rtol: float,
                    analytical: Any, loss_at: Callable) -> None:
    numerical = numpy.zeros(x.shape)
    for flat_index in range(x.numel()):
        index = numpy.unravel_index(flat_index, x.shape)
        step = xp.zeros(x.shape, dtype=x.dtype)
        step[index] = eps
        numerical[index] = (loss_at(x, step) - loss_at(x, -step)) / (2 * eps)
    error = numpy.abs(analytical - numerical)
    allowed = atol + rtol * numpy.abs(numerical)
    if (error > allowed).any() or not numpy.isfinite(analytical).all():
        worst = numpy.unravel_index(numpy.nanargmax(error - allowed), x.shape) if x.ndim else ()
        worst = tuple(int(k) for k in worst)
        raise GradcheckError(
            f"gradcheck: gradient of {label} (shape {tuple(x.shape)}) is wrong at element {worst}: "
            f"analytical {analytical[worst]:.6g}, numerical {numerical[worst]:.6g} "
            f"(worst error {error.max():.3g}, allowed {allowed[worst]:.3g}; "
            f"{int((error > allowed).sum())} of {x.numel()} elements fail)\n"
            f"analytical:\n{analytical}\nnumerical:\n{numerical}")


def _check_directions(label: str, x: Tensor, eps: float, atol: float, rtol: float,
                      analytical: Any, loss_at: Callable, rng: Any, directions: int) -> None:
    for k in range(directions):
        direction = rng.standard_normal(x.shape)
        direction /= numpy.linalg.norm(direction)
        step = backend.to_device(direction * eps, x.device)
        numerical = (loss_at(x, step) - loss_at(x, -step)) / (2 * eps)
        predicted = float((analytical * direction).sum())
        error = abs(predicted - numerical)
        if error > atol + rtol * abs(numerical) or not numpy.isfinite(predicted):
            raise GradcheckError(
                f"gradcheck: gradient of {label} (shape {tuple(x.shape)}, {x.numel()} elements, "
                f"checked along random directions) is wrong along direction {k}: analytical "
                f"directional derivative {predicted:.6g}, numerical {numerical:.6g} (error {error:.3g})")
