"""The autograd core: Tensor, Function, backward() and no_grad.

Read this file top to bottom and you have the whole of reverse-mode autodiff:

* A :class:`Tensor` wraps an ndarray (``data``). If it ``requires_grad``, ops
  applied to it record how they were made: the result's ``grad_fn`` is the
  :class:`Context` of the :class:`Function` that produced it, and that context
  remembers the input tensors and whatever forward saved for backward.
* :meth:`Tensor.backward` walks that graph from the output back to the leaves,
  in reverse topological order, calling each Function's ``backward`` with the
  gradient of the output (the *chain rule*), and adds the results into the
  ``.grad`` of leaf tensors.

Operators such as ``+`` and ``@`` are Functions defined in ``tinydl/ops``; they
are attached to Tensor in one table, ``tinydl/methods.py``.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import tinydl.backend as backend
import tinydl.dtypes as dtypes

# ------------------------------------------------------------------ grad mode
_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _grad_enabled


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring it on exit."""

    enabled: bool

    def __new__(cls, function: Callable | None = None) -> Any:
        mode = super().__new__(cls)
        # `@no_grad` without parentheses hands us the function itself: decorate it.
        return mode if function is None else mode(function)

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = self.enabled

    def __exit__(self, *exc_info: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return function(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Record no graph: results have no grad_fn and forward saves nothing that outlives it.

    Use it for evaluation (``with tinydl.no_grad(): ...``) or as a decorator.
    """

    enabled = False


class enable_grad(_GradMode):
    """Turn graph recording back on, e.g. inside a ``no_grad`` block."""

    enabled = True


# ------------------------------------------------------------- Function, ctx
class VersionCounter:
    """Counts in-place changes of one storage; tensors that share the storage (views) share it."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def bump(self) -> None:
        self.value += 1


class Context:
    """A Function's scratchpad, and the node of the graph (``tensor.grad_fn``).

    ``forward`` stores what ``backward`` needs with :meth:`save_for_backward`
    (or as plain attributes: ``ctx.dim = dim``). ``inputs`` holds, for each
    argument of forward, the input Tensor if it requires grad, else None.
    """

    def __init__(self, function: type, inputs: tuple | None) -> None:
        self.function = function
        self.inputs = inputs
        self.needs_input_grad = () if inputs is None else tuple(t is not None for t in inputs)
        self.saved_tensors: tuple = ()
        self.freed = False

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward (raw ndarrays, despite PyTorch's name)."""
        self.saved_tensors = arrays

    def name(self) -> str:
        return f"{self.function.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Function:
    """Base class of every differentiable op, and the way to add your own.

    Subclass it and write two static methods on raw arrays::

        class Square(Function):
            @staticmethod
            def forward(ctx, x):            # x: ndarray
                ctx.save_for_backward(x)
                return x * x
            @staticmethod
            def backward(ctx, grad_out):    # d/dx x^2 = 2x
                (x,) = ctx.saved_tensors
                return 2 * x * grad_out

        y = Square.apply(t)                 # t: Tensor

    ``backward`` returns one gradient per argument of ``forward`` (a single
    array when there is one argument; None for arguments that are not
    tensors or need no gradient). It must not modify ``grad_out`` in place.
    Gradients may have the broadcast shape of the output: backward() sums them
    down to each input's shape.
    """

    @staticmethod
    def forward(ctx: Context, *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> "Tensor":
        """Run forward on the arrays inside ``args`` and, if needed, record the graph node."""
        arrays = []
        inputs = []
        any_requires_grad = False
        first_array = None
        for arg in args:
            if isinstance(arg, Tensor):
                data = arg.array
                if first_array is None:
                    first_array = data
                elif type(data) is not type(first_array) or (
                        type(data) is not backend.NUMPY_ARRAY
                        and backend.device_of(data) != backend.device_of(first_array)):
                    raise backend.DeviceError(
                        f"{cls.__name__}: expected all tensors on one device, got "
                        f"{backend.device_of(first_array)} and {backend.device_of(data)}")
                arrays.append(data)
                if arg.requires_grad:
                    any_requires_grad = True
                    inputs.append(arg)
                    continue
            else:
                arrays.append(arg)
            inputs.append(None)

        record = any_requires_grad and _grad_enabled
        ctx = Context(cls, tuple(inputs) if record else None)
        if first_array is None or type(first_array) is backend.NUMPY_ARRAY:
            output = cls.forward(ctx, *arrays)
        else:  # CuPy computes on its *current* GPU: make that the inputs' GPU
            with backend.device_scope(first_array):
                output = cls.forward(ctx, *arrays)
        if type(output) is not backend.NUMPY_ARRAY:  # rare: a numpy scalar, a cupy array, a mistake
            checked = backend.scalar_to_array(output)
            if checked is None:
                raise TypeError(f"{cls.__name__}.forward must return an ndarray, got {type(output).__name__}")
            output = checked
        result = Tensor(output)
        if output.base is not None:  # a view (reshape, transpose, x[0], ...): share the counter
            _share_version_counter(result, args)
        if record and output.dtype.kind == "f":
            result.requires_grad = True
            result.grad_fn = ctx
        return result


def _share_version_counter(view: "Tensor", args: tuple) -> None:
    """A view writes into its input's storage, so both count in-place changes together."""
    storage = view.array.base
    for arg in args:
        if isinstance(arg, Tensor) and (arg.array is storage or arg.array.base is storage):
            view._versions = arg._versions
            return


# ------------------------------------------------------------------- Tensor
class Tensor:
    """An n-dimensional array that can remember how it was computed.

    Make tensors with ``tinydl.tensor(...)``, ``zeros``, ``randn`` and friends;
    ``Tensor(array)`` wraps an existing numpy/cupy ndarray without copying.
    """

    # ``array`` is the raw numpy/cupy ndarray (PyTorch's ``.data`` is a Tensor; see ``data`` below).
    __slots__ = ("array", "_grad", "requires_grad", "grad_fn", "_versions", "__weakref__")

    # NumPy must not treat a Tensor as an array in `ndarray + tensor`: defer to
    # our reflected operators instead.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if type(data) is not backend.NUMPY_ARRAY and not backend.is_ndarray(data):
            raise TypeError(f"Tensor() wraps a numpy or cupy ndarray, got {type(data).__name__}; "
                            "use tinydl.tensor(data) to build one from Python data")
        self.array = data
        self._grad: Tensor | None = None
        self.grad_fn: Context | None = None
        self._versions = VersionCounter()
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -------------------------------------------------------- attributes
    @property
    def data(self) -> "Tensor":
        """PyTorch's ``.data``: this tensor's values as a tensor cut from the graph, sharing storage.

        ``w.data -= lr * w.grad`` and ``p.data.normal_(0, 0.01)`` change ``w``/``p`` itself.
        Unlike PyTorch, the result shares ``w``'s version counter, so an in-place change
        through ``.data`` of a value that backward still needs is an error, not a wrong gradient.
        (The raw numpy/cupy ndarray is ``tensor.array``.)
        """
        view = Tensor(self.array)
        view._versions = self._versions
        return view

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"tensor.data = ...: expected a Tensor, got {type(value).__name__}")
        self.array = value.array
        self._versions.bump()

    @property
    def grad(self) -> "Tensor | None":
        """d(loss)/d(self), filled in by ``backward()`` for leaves that require grad (else None)."""
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"tensor.grad = ...: assigned grad must be a Tensor or None, got "
                                f"{type(value).__name__} (to clear it write `x.grad = None` or `x.grad.zero_()`)")
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(f"tensor.grad = ...: assigned grad has shape {tuple(value.shape)}, "
                                   f"but the tensor has shape {tuple(self.shape)}")
        self._grad = value

    @property
    def _version(self) -> int:
        """How many times this tensor's storage has been changed in place (PyTorch's ``_version``)."""
        return self._versions.value

    def _bump_version(self) -> None:
        """Record an in-place change of the storage (every in-place writer calls this)."""
        self._versions.value += 1

    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> Any:
        return self.array.dtype

    @property
    def device(self) -> backend.Device:
        """Where the data lives: ``device(type='cpu')`` or ``device(type='cuda', index=0)``;
        it compares equal to the strings "cpu" / "cuda:0" and prints as them."""
        return backend.device_of(self.array)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (user-created, parameters)."""
        return self.grad_fn is None

    def size(self, dim: int | None = None) -> Any:
        return self.array.shape if dim is None else self.array.shape[dim]

    def numel(self) -> int:
        return int(self.array.size)

    def dim(self) -> int:
        return self.array.ndim

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Mark a leaf tensor as needing gradients (floating-point only)."""
        if requires_grad and not dtypes.is_floating(self.array.dtype):
            raise TypeError(f"requires_grad: only floating-point tensors can require gradients, "
                            f"got dtype {self.array.dtype} (use .float() first)")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors; use .detach()")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> "Tensor":
        """A tensor sharing this data (and its version counter), cut from the graph."""
        return self.data

    # ---------------------------------------------------- conversions out
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted to a Python "
                             f"number, this one has shape {tuple(self.shape)}")
        return self.array.item()

    def numpy(self) -> Any:
        """The data as a numpy ndarray (shared, not copied). CPU tensors only."""
        if self.requires_grad:
            raise RuntimeError("numpy(): can't call numpy() on a tensor that requires grad; "
                               "use tensor.detach().numpy()")
        if self.device != "cpu":
            raise TypeError(f"numpy(): this tensor is on {self.device}; call .cpu() first "
                            "to copy it to host memory")
        return self.array

    def tolist(self) -> Any:
        return backend.to_device(self.array, "cpu").tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        array = backend.to_device(self.array, "cpu")
        return array if dtype is None else array.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(f"bool(): the truth value of a tensor with {self.array.size} "
                               "elements is ambiguous; use .any() or .all()")
        return bool(self.item())

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    __hash__ = object.__hash__  # == builds a tensor, so hash by identity

    def __format__(self, spec: str) -> str:
        if self.array.ndim == 0 or self.array.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self) -> str:
        prefix = "tensor("
        array = backend.to_device(self.array, "cpu")
        if array.dtype.kind == "f" and array.size and not (array == array.round()).all():
            body = backend.format_array(array, prefix, floatmode="fixed")
        else:
            body = backend.format_array(array, prefix, floatmode="maxprec")
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if array.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
            extras.append(f"dtype=tinydl.{array.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return prefix + ", ".join([body] + extras) + ")"

    # ------------------------------------------------------------ autograd
    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool = False) -> None:
        """Add d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is d(loss)/d(self); it may be left out for a one-element
        tensor (it is then 1). The graph is freed afterwards unless
        ``retain_graph=True``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no grad_fn; were its inputs "
                "created with requires_grad=True, and was it computed outside no_grad()?")
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(
                    f"backward: gradient can be left out only for one-element outputs, this one has "
                    f"shape {tuple(self.shape)}; pass gradient= a tensor of that shape (or call .sum() first)")
            grad = backend.get_array_module(self.array).ones_like(self.array)
        else:
            grad = gradient.array if isinstance(gradient, Tensor) else gradient
            if tuple(grad.shape) != tuple(self.shape):
                raise RuntimeError(f"backward: gradient has shape {tuple(grad.shape)} but the "
                                   f"tensor has shape {tuple(self.shape)}")
        run_backward(self, grad, retain_graph)


# ------------------------------------------------------------------ backward
def unbroadcast(grad: Any, shape: tuple) -> Any:
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting.

    If ``x`` of shape (3, 1) was broadcast to (2, 3, 4), every element of x was
    used 2*4 times, so its gradient is the sum over the broadcast axes.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def topological_order(root: Tensor) -> list[Tensor]:
    """Non-leaf tensors reachable from ``root``, each after all of its inputs.

    An explicit stack replaces recursion, so a chain of 100,000 ops is fine.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        node = tensor.grad_fn
        if node.freed:
            raise RuntimeError(
                f"backward: trying to go through the graph a second time, but {node.name()} was "
                "freed by an earlier backward(); pass retain_graph=True to the first backward() "
                "if you need to backpropagate through the same graph twice")
        stack.append((tensor, True))
        for parent in node.inputs:
            if parent is not None and parent.grad_fn is not None and id(parent) not in visited:
                stack.append((parent, False))
    return order


def run_backward(root: Tensor, root_grad: Any, retain_graph: bool) -> None:
    """The chain rule over the whole graph; see :meth:`Tensor.backward`."""
    if root.grad_fn is None:  # a leaf: its gradient is the given one
        _accumulate_into_leaf(root, backend.scalar_to_array(root_grad))
        return
    grads = {id(root): root_grad}  # id(non-leaf tensor) -> d(root)/d(tensor), summed over uses
    for tensor in reversed(topological_order(root)):
        grad_out = grads.pop(id(tensor), None)
        node = tensor.grad_fn
        if grad_out is None:  # every path to it returned a None gradient
            continue
        input_grads = node.function.backward(node, grad_out)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if len(input_grads) != len(node.inputs):
            raise RuntimeError(f"{node.function.__name__}.backward returned {len(input_grads)} "
                               f"gradients, but forward took {len(node.inputs)} arguments")
        for position, (parent, grad) in enumerate(zip(node.inputs, input_grads)):
            if parent is None or grad is None:
                continue
            grad = _fit_to_input(node, position, parent, grad)
            if parent.grad_fn is None:
                _accumulate_into_leaf(parent, grad)
            else:
                key = id(parent)
                # Out of place on purpose: grad arrays may be shared between inputs.
                grads[key] = grad if key not in grads else grads[key] + grad
        if not retain_graph:  # free what this node kept alive: saved arrays and inputs
            node.saved_tensors = ()
            node.inputs = None
            node.freed = True


def _fit_to_input(node: Context, position: int, parent: Tensor, grad: Any) -> Any:
    """Un-broadcast ``grad`` to the input's shape and dtype; complain if it cannot fit."""
    shape = parent.array.shape
    if grad.shape != shape:
        grad = unbroadcast(grad, shape)
        if grad.shape != shape:
            raise RuntimeError(f"{node.function.__name__}.backward returned a gradient of shape "
                               f"{tuple(grad.shape)} for argument {position}, whose shape is {tuple(shape)}")
    if grad.dtype != parent.array.dtype:
        grad = grad.astype(parent.array.dtype)
    if type(grad) is not backend.NUMPY_ARRAY:  # numpy returns scalars for 0-d results
        grad = backend.scalar_to_array(grad)
    return grad


def _accumulate_into_leaf(leaf: Tensor, grad: Any) -> None:
    """leaf.grad += grad (created on first use), never modifying an array in place."""
    if leaf._grad is None:
        leaf._grad = Tensor(grad)  # already an ndarray: _fit_to_input made sure
    else:
        leaf._grad = Tensor(backend.scalar_to_array(leaf._grad.array + grad))
