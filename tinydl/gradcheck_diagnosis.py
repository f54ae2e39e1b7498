"""Why a gradient check failed: the usual bugs, recognised from the two gradients.

gradcheck (``gradcheck.py``) hands over the analytical gradient A (from
backward) and the numerical one N (from finite differences). Each classic bug
leaves a fingerprint:

    sign flipped             A = -N
    constant factor c        A = c N          (a missing 2 in d/dx x^2, a 1/n of a mean)
    transposed               A^T = N          (a square weight's gradient returned as W^T)
    not flowing              A = 0 (or None) where N is not
    wrong only at a kink     left and right derivatives differ there (relu/abs at 0)
    float32 precision        fn computes in float32: eps = 1e-6 is below its resolution
    missing broadcast sum    backward's gradient has the output's shape, not the input's
                             (found by shapes: strict mode, or a shape the engine cannot fit)
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy

import tinydl.backend as backend
from .engine import Tensor, no_grad, unbroadcast


class GradcheckError(AssertionError):
    """The analytical and numerical gradients disagree; the message says where and, if it can, why."""


def _close(a: Any, b: Any, context: dict) -> bool:
    return bool(numpy.allclose(a, b, rtol=context["rtol"], atol=context["atol"]))


def _element(index: tuple) -> str:
    return str(tuple(int(k) for k in index))


def diagnose_values(analytical: Any, numerical: Any, context: dict) -> str | None:
    """The name of the pattern relating A to N (sign, factor, transposed, not flowing), or None."""
    label = context["label"]
    if not numpy.isfinite(analytical).all():
        return (f"backward produced NaN or inf in the gradient of {label}: look for a division by "
                "zero or a log/sqrt of a non-positive number in backward")
    if context["no_gradient"]:
        return (f"gradient not flowing: backward left {label}.grad empty (None), but the numerical "
                f"gradient is not zero. Does backward return a gradient for {label}, in the position "
                "of its argument, and does fn use it through ops that record the graph?")
    if not analytical.any():
        return (f"gradient not flowing: backward returns all zeros for {label}, but the numerical "
                "gradient is not zero")
    if any(dtype != "float64" for dtype in context["output_dtypes"]):
        return (f"float32 precision: fn returns {'/'.join(context['output_dtypes'])}, whose rounding "
                f"(~1e-7 relative) swamps a finite-difference step of {context['eps']:g}. Compute in "
                "float64 (module.double(), x.double(), no .float() inside fn) to check gradients")
    if _close(analytical, -numerical, context):
        return "sign flipped: analytical = -numerical everywhere (a minus sign lost or added in backward)"
    norm = float((numerical * numerical).sum())
    if norm > 0:
        factor = float((analytical * numerical).sum()) / norm
        if _close(analytical, factor * numerical, context):
            hint = ""
            for n in (factor, 1 / factor):
                if abs(n) > 1.5 and abs(n - round(n)) < 1e-3:
                    hint = (f" (a whole number {round(n)}: a missing or extra factor such as the 2 in "
                            "d/dx x^2 = 2x, or a 1/n of a mean over n elements)")
            return f"off by a constant factor: analytical = {factor:.6g} x numerical everywhere{hint}"
    if analytical.ndim >= 2 and analytical.shape[-1] == analytical.shape[-2]:
        if _close(numpy.swapaxes(analytical, -1, -2), numerical, context):
            return (f"transposed: the analytical gradient of {label} is the transpose of the numerical "
                    "one (return grad.T, or swap the operands of the matmul in backward)")
    return None


def describe_elements(numerical: Any, failing: Any, left: Any, right: Any, context: dict) -> str:
    """The failure report for an element-by-element check, with its diagnosis."""
    label, x, analytical = context["label"], context["x"], context["analytical"]
    error = numpy.abs(analytical - numerical)
    allowed = context["atol"] + context["rtol"] * numpy.abs(numerical)
    excess = numpy.where(numpy.isnan(error), numpy.inf, error - allowed)  # a NaN gradient is the worst
    worst = numpy.unravel_index(numpy.argmax(numpy.where(failing, excess, -numpy.inf)),
                                x.shape) if x.ndim else ()
    diagnosis = diagnose_values(analytical, numerical, context)
    if diagnosis is None:
        diagnosis = _diagnose_kinks(x, failing, left, right, context)
    lines = [
        f"gradcheck: gradient of {label} (shape {tuple(x.shape)}) is wrong at element {_element(worst)}: "
        f"analytical {analytical[worst]:.6g}, numerical {numerical[worst]:.6g} "
        f"(worst error {error.max():.3g}, allowed {allowed[worst]:.3g}; "
        f"{int(failing.sum())} of {x.numel()} elements fail)",
        "diagnosis: " + (diagnosis or "no simple pattern (not a sign, factor, transpose or kink); "
                         "compare the two arrays below"),
        f"analytical:\n{analytical}", f"numerical:\n{numerical}"]
    return "\n".join(lines)


def _diagnose_kinks(x: Tensor, failing: Any, left: Any, right: Any, context: dict) -> str | None:
    """If every failing element sits where the left and right derivatives differ, it is a kink."""
    jump = numpy.abs(right - left)
    at_kink = jump > 1e-3 + context["rtol"] * numpy.maximum(numpy.abs(left), numpy.abs(right))
    if not (at_kink | ~failing).all():
        return None
    values = backend.to_device(x.array, "cpu")
    index = tuple(numpy.argwhere(failing)[0]) if x.ndim else ()
    label = context["label"]
    return (f"wrong only at kinks: at {label}{list(int(k) for k in index) if index else ''} = "
            f"{float(values[index]):.3g} the left and right derivatives are {float(left[index]):.4g} and "
            f"{float(right[index]):.4g}, so the function is not differentiable there (relu/abs at 0, "
            "max at a tie) and finite differences cannot check it. Move the input away from the kink "
            "(e.g. values at least 0.1 away from 0), not the code")


def describe_directions(numerical: Any, predicted: Any, failing: Any, max_elements: int,
                        context: dict) -> str:
    """The failure report for a random-direction check (large inputs)."""
    label, x = context["label"], context["x"]
    failed = [int(k) for k in numpy.flatnonzero(failing)]
    rows = [f"  direction {k}: analytical {predicted[k]:.6g}, numerical {numerical[k]:.6g}"
            for k in failed[:10]]
    diagnosis = None
    if context["no_gradient"] or not numpy.any(predicted):
        diagnosis = diagnose_values(numpy.zeros(1), numerical, dict(context, analytical=None))
    elif numpy.isfinite(predicted).all() and numpy.any(numerical):
        factor = float((predicted * numerical).sum() / (numerical * numerical).sum())
        if _close(predicted, factor * numerical, context):
            if abs(factor + 1) < 1e-3:
                diagnosis = "sign flipped: analytical = -numerical along every direction"
            else:
                diagnosis = f"off by a constant factor: analytical = {factor:.6g} x numerical along every direction"
    return "\n".join([
        f"gradcheck: gradient of {label} (shape {tuple(x.shape)}, {x.numel()} elements, checked along "
        f"{len(numerical)} random directions) is wrong along {len(failed)} of them: directions {failed}",
        *rows,
        "diagnosis: " + (diagnosis or "no simple pattern"),
        f"To see which elements are wrong, check a smaller input (at most {max_elements} elements are "
        "checked one by one)."])


# ------------------------------------------------ shapes and dtypes of gradients
def _argument_names(function: type) -> list[str]:
    try:
        return list(inspect.signature(function.forward).parameters)[1:]  # drop ctx
    except (TypeError, ValueError):
        return []


def _fits_after_sum(grad: Any, shape: tuple) -> bool:
    """True if summing over broadcast axes (what the engine does) gives ``shape``."""
    grad = numpy.asarray(grad) if numpy.ndim(grad) == 0 else grad
    return grad.ndim >= len(shape) and unbroadcast(grad, shape).shape == shape


def _shape_problem(grad: Any, shape: tuple) -> str:
    """Why a gradient of grad.shape does not fit an input of ``shape``, and the fix."""
    got = tuple(numpy.shape(grad))
    if _fits_after_sum(grad, shape):
        extra = len(got) - len(shape)
        leading = tuple(range(extra))
        stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and got[extra + axis] != 1)
        fixes = []
        if leading:
            fixes.append(f"grad.sum(axis={leading[0] if len(leading) == 1 else leading})")
        if stretched:
            axes = stretched[0] if len(stretched) == 1 else stretched
            fixes.append(f"grad.sum(axis={axes}, keepdims=True)")
        return (f"missing sum over a broadcast axis: the input was broadcast to {got} in forward, so its "
                f"gradient is the sum over the broadcast axes: {' then '.join(fixes)}")
    if len(got) >= 2 and got[:-2] + (got[-1], got[-2]) == shape:
        return "transposed: it has the input's shape with the last two axes swapped (return grad.T)"
    return "it must have the input's shape"


def check_node_gradients(order: list, rng: Any, exact: bool, chosen: Callable[[type], bool]) -> None:
    """Call the backward of each node in ``order`` with a random grad_out and check its gradients.

    ``exact`` (strict mode): each gradient must have exactly its input's shape and dtype.
    Otherwise only shapes that the engine's un-broadcasting cannot fit are reported.
    """
    for node in order:
        function = node.function
        if not chosen(function):
            continue
        grad_out = backend.to_device(rng.standard_normal(node.output_shape).astype(node.output_dtype),
                                     _device_of(node))
        if function.sees_tensors:  # autograd.Function: backward takes and returns Tensors
            with no_grad():
                grads = function.backward(node, Tensor(grad_out))
        else:
            grads = function.backward(node, grad_out)
        grads = grads if isinstance(grads, tuple) else (grads,)
        grads = tuple(g.array if isinstance(g, Tensor) else g for g in grads)
        names = _argument_names(function)
        where = f"{function.__name__}.backward"
        if len(grads) != len(node.parents):
            raise GradcheckError(f"gradcheck: {where} returned {len(grads)} gradients, but forward "
                                 f"takes {len(node.parents)} arguments: return one per argument (None "
                                 "for arguments that need no gradient)")
        for position, (parent, grad) in enumerate(zip(node.parents, grads)):
            if parent is None or grad is None:
                continue
            name = f"argument {position}"
            if position < len(names):
                name = f"{names[position]} ({name})"
            shape, dtype = _shape_and_dtype(parent)
            got = tuple(numpy.shape(grad))
            if got != shape and (exact or not _fits_after_sum(grad, shape)):
                raise GradcheckError(
                    f"gradcheck{' (strict)' if exact else ''}: {where} returned a gradient of shape {got} "
                    f"for {name}, whose shape is {shape}: {_shape_problem(grad, shape)}" + (
                        "; the engine would sum it for you, but strict mode checks the backward you wrote"
                        if exact and _fits_after_sum(grad, shape) else ""))
            grad_dtype = getattr(grad, "dtype", None)
            if exact and grad_dtype != dtype:
                raise GradcheckError(
                    f"gradcheck (strict): {where} returned a gradient of dtype {grad_dtype} "
                    f"for {name}, whose dtype is {dtype}; return the input's dtype")


def _shape_and_dtype(parent: Any) -> tuple:
    """An edge ends at a node (the input's shape is that node's output shape) or at a leaf tensor."""
    if isinstance(parent, Tensor):
        return tuple(parent.shape), parent.dtype
    return tuple(parent.output_shape), parent.output_dtype


def _device_of(node: Any) -> str:
    """The device of the leaves below ``node`` (grad_out must live there too)."""
    stack = [node]
    while stack:
        for parent in stack.pop().parents:
            if isinstance(parent, Tensor):
                return parent.device
            if parent is not None:
                stack.append(parent)
    return "cpu"
