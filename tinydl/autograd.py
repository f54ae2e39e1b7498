"""``tinydl.autograd``: write your own differentiable op, and ask for gradients, as in PyTorch.

A new op is a subclass of :class:`Function` with ``forward(ctx, *inputs)`` and
``backward(ctx, grad_out)``, both seeing Tensors; call it as ``MyOp.apply(x)``
and check its backward in one call with ``tinydl.gradcheck(MyOp.apply, [x])``.
The README's section "Adding your own op/layer" builds one (``Cube``, y = x^3)
end to end. :func:`grad` returns d(outputs)/d(inputs) without touching ``.grad``:

    x = tinydl.tensor([1.0, 2.0], requires_grad=True)
    (dx,) = tinydl.autograd.grad((x * x).sum(), [x])   # tensor([2., 4.]): d(sum x^2)/dx = 2x
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Sequence

import tinydl.backend as backend
from .gradcheck import GradcheckError, GradcheckWarning, gradcheck
from .backend import Array
from .engine import (NO_HIGHER_ORDER, Context, Node, Tensor, enable_grad, is_grad_enabled, no_grad, record_node,
                     run_backward)
from .engine import Function as _ArrayFunction


class Function(_ArrayFunction):
    """PyTorch's ``torch.autograd.Function``: ``forward(ctx, *args)`` and ``backward(ctx, *grads)``.

    It is tinydl's one ``Function`` idea (see ``tinydl/engine.py``) with one
    difference: forward and backward here receive **Tensors** (and may use any
    Tensor method), where tinydl's built-in ops receive the raw arrays inside
    them for speed. forward runs without recording a graph (the Function is one
    node); ``ctx.save_for_backward(*tensors)`` / ``ctx.saved_tensors``,
    ``ctx.needs_input_grad`` and ``ctx.mark_non_differentiable`` work as in
    PyTorch. backward returns one Tensor (or None) per forward argument; a
    numpy/cupy array is accepted too. One output per Function.
    """

    sees_tensors = True

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run forward on the Tensors themselves, under no_grad (the Function is one node)."""
        parents = tuple((arg.grad_fn or arg) if isinstance(arg, Tensor) and arg.requires_grad else None
                        for arg in args)
        record = is_grad_enabled() and any(p is not None for p in parents)
        ctx = Node(cls, parents, tuple([p is not None for p in parents])) if record else Node(cls, None)
        with no_grad():
            output = cls.forward(ctx, *args)
        output = _one_output_tensor(cls, output, args)
        if record and output.array.dtype.kind == "f" and not ctx.non_differentiable:
            record_node(ctx, output, args)
        return output

    @classmethod
    def backward_with_arrays(cls, node: Node, grad_out: Array) -> tuple:
        """What the engine calls: backward with a Tensor, its Tensors handed back as arrays."""
        with no_grad():
            returned = cls.backward(node, Tensor(grad_out))
        if not isinstance(returned, tuple):
            returned = (returned,)
        return tuple(g.array if isinstance(g, Tensor) else g for g in returned)


def _one_output_tensor(function: type, output: Any, args: tuple) -> Tensor:
    """forward's result as a fresh Tensor: one output, never an input or a graph tensor itself."""
    if isinstance(output, tuple):
        raise TypeError(f"{function.__name__}.forward returned {len(output)} values; tinydl's Functions "
                        "have one output (return a single Tensor, or write two Functions)")
    if not isinstance(output, Tensor):
        array = backend.scalar_to_array(output)
        if array is None:
            raise TypeError(f"{function.__name__}.forward must return a Tensor, got {type(output).__name__}")
        output = Tensor(array)
    if output.grad_fn is not None or output.requires_grad or any(output is arg for arg in args):
        view = Tensor(output.array)  # returned an input (or a graph tensor): a fresh handle on it
        view._versions = output._versions
        output = view
    return output


def once_differentiable(backward: Callable) -> Callable:
    """PyTorch's decorator for backwards that can't be differentiated again: every tinydl backward."""
    return backward


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool | None = None, materialize_grads: bool = False) -> tuple:
    """d(outputs)/d(inputs), returned as a tuple of Tensors, without touching any ``.grad``.

    ``grad_outputs`` plays the role of ``backward``'s ``gradient`` (needed for outputs
    with more than one element). An input the outputs do not depend on is an error
    unless ``allow_unused=True`` (then its gradient is None, or zeros with
    ``materialize_grads=True``).
    """
    if create_graph:
        raise NotImplementedError(NO_HIGHER_ORDER)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    for position, tensor in enumerate(outputs + inputs):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"autograd.grad: expected Tensors, got {type(tensor).__name__} at position {position}")
    for output in outputs:
        if not output.requires_grad:
            raise RuntimeError("autograd.grad: an output does not require grad and has no grad_fn")
    for tensor in inputs:
        if not tensor.requires_grad:
            raise RuntimeError("autograd.grad: one of the inputs does not require grad")
    root_grads = [output._initial_gradient(g, "autograd.grad") for output, g in zip(outputs, grad_outputs)]

    capture: dict = {id(tensor): None for tensor in inputs}
    # Non-leaf inputs: their node hands over the gradient as it passes (see _run_tensor_hooks).
    previous = {}
    for tensor in inputs:
        if tensor.grad_fn is not None:
            previous[tensor.grad_fn] = (tensor.grad_fn.retained, tensor.grad_fn.hooks)
            tensor.grad_fn.retained = weakref.ref(tensor)
            tensor.grad_fn.hooks = tensor.grad_fn.hooks or []
    try:
        run_backward(outputs, root_grads, bool(retain_graph), capture)
    finally:
        for node, (retained, hooks) in previous.items():
            node.retained, node.hooks = retained, hooks

    results = []
    for position, tensor in enumerate(inputs):
        value = capture[id(tensor)]
        if value is None:
            if not allow_unused and not materialize_grads:
                raise RuntimeError(
                    f"autograd.grad: input {position} (shape {tuple(tensor.shape)}) was not used to compute "
                    "the outputs; pass allow_unused=True if that is expected")
            zeros = Tensor(backend.get_array_module(tensor.array).zeros_like(tensor.array))
            results.append(zeros if materialize_grads else None)
        else:
            results.append(Tensor(value))
    return tuple(results)


__all__ = ["Context", "Function", "Node", "GradcheckError", "GradcheckWarning", "enable_grad", "grad", "gradcheck", "is_grad_enabled",
           "no_grad", "once_differentiable"]

# Instruments for watching backprop (tinydl/instruments/), as tinydl.autograd.trace, .draw, ...
from .instruments import DivergedWarning, detect_anomaly, draw, set_detect_anomaly, trace  # noqa: E402

__all__ += ["DivergedWarning", "detect_anomaly", "draw", "set_detect_anomaly", "trace"]
