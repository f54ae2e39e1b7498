"""The autograd core: Tensor, Function, backward() and grad mode, in that order.

Read this file top to bottom and you have the whole of reverse-mode autodiff:

1. :class:`Tensor` wraps an ndarray (``tensor.array``: NumPy on the cpu, CuPy on
   a GPU). If it ``requires_grad``, every op applied to it is recorded: the
   result's ``grad_fn`` is the graph :class:`Node` that made it.
2. :class:`Function` is one op: ``forward`` computes on arrays, ``backward``
   right below it turns d(loss)/d(output) into d(loss)/d(each input).
   ``Function.apply`` runs forward and records the Node (its inputs' edges and
   what forward saved for backward).
3. :func:`run_backward` (behind ``loss.backward()``) visits the Nodes in
   reverse topological order and applies the chain rule at each one, summing
   gradients down to each input's shape (:func:`unbroadcast`) and adding them
   into the ``.grad`` of leaf tensors.
4. Version counters make in-place changes safe: a backward that would compute
   with values changed since forward raises instead of returning a wrong
   number.
5. Grad mode: ``no_grad()`` switches recording off.

Operators such as ``+`` and ``@`` are Functions defined in ``tinydl/ops``; the
public ``tinydl.autograd.Function`` (forward and backward on Tensors, as in
PyTorch) is built on this one in ``tinydl/autograd.py``.
"""
from __future__ import annotations

import functools
import weakref
from typing import Any, Callable

import tinydl.backend as backend
import tinydl.dtypes as dtypes
import tinydl.printing as printing
# `type(x) is NUMPY_ARRAY` is the cheapest "a NumPy array?" test: the hot paths below use it first,
# and fall back to backend.is_ndarray (NumPy or CuPy) only when it fails.
from .backend import NUMPY_ARRAY, Array
from .size import Size

# ----------------------------------------------------------------- 1. Tensor
class Tensor:
    """An n-dimensional array that can remember how it was computed.

    Make tensors with ``tinydl.tensor(...)``, ``zeros``, ``randn`` and friends;
    ``Tensor(array)`` wraps an existing numpy/cupy ndarray without copying.
    """

    # ``array`` is the raw numpy/cupy ndarray (PyTorch's ``.data`` is a Tensor; see ``data`` below).
    __slots__ = ("array", "_grad", "requires_grad", "grad_fn", "_versions", "_hooks", "__weakref__")

    # NumPy must not treat a Tensor as an array in `ndarray + tensor`: defer to
    # our reflected operators instead.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if type(data) is not NUMPY_ARRAY and not backend.is_ndarray(data):
            raise TypeError(f"Tensor() wraps a numpy or cupy ndarray, got {type(data).__name__}; "
                            "use tinydl.tensor(data) to build one from Python data")
        self.array = data
        self._grad: Tensor | None = None
        self.grad_fn: Node | None = None
        self._versions = [0]  # in-place changes so far (and, once written, the storage's id); views share it
        self._hooks: list | None = None  # register_hook on a leaf
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
        # self becomes another handle on value's storage (as in PyTorch): the graph recorded
        # before still holds the old array, unchanged, so nothing needs a version bump.
        self.array, self._versions = value.array, value._versions

    @property
    def grad(self) -> "Tensor | None":
        """d(loss)/d(self), filled in by ``backward()`` for leaves that require grad (else None)."""
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None:  # (zero_grad sets None: keep that path short)
            if not isinstance(value, Tensor):
                raise TypeError(f"tensor.grad = ...: assigned grad must be a Tensor or None, got "
                                f"{type(value).__name__} (to clear it write `x.grad = None` or `x.grad.zero_()`)")
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(f"tensor.grad = ...: assigned grad has shape {tuple(value.shape)}, "
                                   f"but the tensor has shape {tuple(self.shape)}")
            if value.device != self.device:
                raise RuntimeError(f"tensor.grad = ...: assigned grad is on {value.device}, "
                                   f"but the tensor is on {self.device}")
        self._grad = value

    @property
    def _version(self) -> int:
        """How many times this tensor's storage has been changed in place (PyTorch's ``_version``)."""
        return self._versions[0]

    def _bump_version(self) -> None:
        """Record an in-place change of the storage (every in-place writer calls this)."""
        global _write_clock
        _write_clock += 1
        versions = self._versions
        versions[0] += 1
        if len(versions) == 1:  # the first write: note which storage this counter counts for
            versions.append(_storage_id(self.array))

    @property
    def shape(self) -> Size:
        """The size of each dimension, a tuple that prints as ``tinydl.Size([2, 3])``."""
        return Size(self.array.shape)

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> dtypes.dtype:
        """The element type, e.g. ``tinydl.float32`` (equal to numpy's float32 too)."""
        return dtypes.wrap(self.array.dtype)  # (inside the engine, read self.array.dtype: no wrapper)

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
        """The shape as a ``tinydl.Size``, or with ``dim`` the size of that one dimension."""
        return Size(self.array.shape) if dim is None else self.array.shape[dim]

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
        """``numpy.asarray(tensor)``: CPU tensors only, as in PyTorch (no silent copy from a GPU)."""
        if type(self.array) is not NUMPY_ARRAY:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                            "to copy the tensor to host memory first.")
        return self.array if dtype is None else self.array.astype(backend.as_numpy_dtype(dtype))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """Lets a one-element integer tensor index a list: ``classes[pred.argmax()]``."""
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index "
                            f"(this one has dtype {self.array.dtype} and shape {tuple(self.array.shape)})")
        return int(self.array.item())

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
        """As PyTorch: a 0-d tensor formats as its number (f"{loss:.4f}"), any other as repr(x)."""
        if self.array.ndim == 0:
            return format(self.item(), spec)
        if not spec:
            return repr(self)
        raise TypeError(f"unsupported format string {spec!r} for a tensor of shape {tuple(self.array.shape)}: "
                        "number formats apply to 0-d tensors (write f\"{x.item():...}\" for a one-element one)")

    def __repr__(self) -> str:
        """As PyTorch prints: ``tensor([1.5000, 2.0000], requires_grad=True)`` (see set_printoptions)."""
        prefix = "tensor("
        body = printing.format_array(backend.to_device(self.array, "cpu"), prefix)
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
            extras.append(f"dtype={self.dtype!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return prefix + ", ".join([body] + extras) + ")"

    # ------------------------------------------------------------ autograd
    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Add d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is d(loss)/d(self); it may be left out for a one-element
        tensor (it is then 1). The graph is freed afterwards unless
        ``retain_graph=True``.
        """
        if create_graph:
            raise NotImplementedError(NO_HIGHER_ORDER)
        if inputs is not None:
            raise NotImplementedError("backward(inputs=...) is not supported by tinydl; use "
                                      "tinydl.autograd.grad(loss, inputs) to get gradients for some tensors only")
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no grad_fn; were its inputs "
                "created with requires_grad=True, and was it computed outside no_grad()?")
        run_backward([self], [self._initial_gradient(gradient, "backward")], bool(retain_graph))

    def _initial_gradient(self, gradient: Any, where: str) -> Any:
        """d(self)/d(self): ones for a one-element tensor, else the ``gradient`` the caller gives."""
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(
                    f"{where}: gradient can be left out only for one-element outputs, this one has "
                    f"shape {tuple(self.shape)}; pass gradient= a tensor of that shape (or call .sum() first)")
            return backend.get_array_module(self.array).ones_like(self.array)
        grad = gradient.array if isinstance(gradient, Tensor) else gradient
        if not backend.is_ndarray(grad):
            raise TypeError(f"{where}: gradient must be a Tensor, got {type(gradient).__name__}")
        if tuple(grad.shape) != tuple(self.shape):
            raise RuntimeError(f"{where}: gradient has shape {tuple(grad.shape)} but the "
                               f"tensor has shape {tuple(self.shape)}")
        return grad.astype(self.array.dtype, copy=False)

    def register_hook(self, hook: Callable) -> "RemovableHandle":
        """Call ``hook(grad)`` when backward computes d(loss)/d(self); a returned tensor replaces grad.

        Returns a handle: ``handle.remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = []
            hooks = self.grad_fn.hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too (leaves keep theirs anyway)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that doesn't require grad")
        if self.grad_fn is not None:
            self.grad_fn.retained = weakref.ref(self)
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = []  # backward looks at .hooks only: an empty list says "stop here"

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained is not None and self.grad_fn.retained() is self


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook out again."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


NO_HIGHER_ORDER = ("create_graph=True (gradients of gradients) is not supported by tinydl: its backward "
                    "computes on raw arrays and records no graph. Use finite differences "
                    "(tinydl.gradcheck) to check a gradient, or PyTorch for higher-order derivatives.")


# -------------------------------------------- 2. Function and the graph Node
class Function:
    """Base class of every differentiable op: a forward, its backward right below, and ``apply``.

    Subclass it and write two static methods::

        class Square(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x
            @staticmethod
            def backward(ctx, grad_out):    # d/dx x^2 = 2x
                (x,) = ctx.saved_tensors
                return 2 * x * grad_out

        y = Square.apply(t)                 # t: Tensor

    tinydl's own ops receive and return the raw ndarrays inside the tensors
    (no wrapping per call: they are the engine's hot path). The public
    ``tinydl.autograd.Function`` (``tinydl/autograd.py``) subclasses this with
    ``sees_tensors = True``: its forward and backward receive Tensors, as in
    PyTorch.

    ``backward`` returns one gradient per argument of ``forward`` (a single
    value when there is one argument; None for arguments that are not
    tensors or need no gradient). It must not modify ``grad_out`` in place.
    Gradients may have the broadcast shape of the output: backward() sums them
    down to each input's shape.
    """

    sees_tensors = False

    @staticmethod
    def forward(ctx: Node, *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grad_outputs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> "Tensor":
        """Run forward on the arrays inside ``args`` and, if any input requires grad, record a Node.

        (``tinydl.autograd.Function`` replaces this with its Tensor-protocol version.)
        """
        # 1. Unwrap each Tensor argument to its array; note its edge into the graph.
        arrays = []
        parents = []
        any_requires_grad = False
        first_array = None
        for arg in args:
            if isinstance(arg, Tensor):
                array = arg.array
                if first_array is None:
                    first_array = array
                elif type(array) is not NUMPY_ARRAY or type(first_array) is not NUMPY_ARRAY:
                    _require_one_device(cls, first_array, array)  # (NumPy arrays are all on the cpu)
                arrays.append(array)
                if arg.requires_grad:
                    any_requires_grad = True
                    parents.append(arg.grad_fn or arg)  # the edge: the Node that made arg, or leaf arg itself
                    continue
            else:
                arrays.append(arg)  # a Python number, a dim, a flag: passed to forward as is
            parents.append(None)

        # 2. Forward, given a Node (``ctx``) to save what backward will need.
        if any_requires_grad and _grad_enabled:  # (_grad_enabled: off inside no_grad(), section 5)
            ctx = Node(cls, tuple(parents), tuple([parent is not None for parent in parents]))
        else:
            ctx = Node(cls, None)  # nothing to record: ctx is scratch, dropped with forward's savings
        if first_array is None or type(first_array) is NUMPY_ARRAY:
            output = cls.forward(ctx, *arrays)
        else:  # CuPy computes on its *current* GPU: make that the inputs' GPU
            with backend.device_scope(first_array):
                output = cls.forward(ctx, *arrays)
        if type(output) is not NUMPY_ARRAY:
            output = _output_array(cls, output)

        # 3. Wrap the result; record the Node as its grad_fn (floating-point results only).
        result = Tensor(output)
        if output.base is not None:  # a view (reshape, transpose, x[0], ...): share the counter
            _share_version_counter(result, args)
        if ctx.parents is not None and output.dtype.kind == "f":
            record_node(ctx, result, args)
        return result


def _require_one_device(function: type, first: Array, other: Array) -> None:
    """An op's tensors must share a device: numpy+cupy, or two GPUs, is an error naming the op."""
    if type(other) is not type(first) or backend.device_of(other) != backend.device_of(first):
        raise backend.DeviceError(f"{function.__name__}: expected all tensors on one device, got "
                                  f"{backend.device_of(first)} and {backend.device_of(other)}")


def _output_array(function: type, output: Any) -> Array:
    """forward returned a CuPy array (fine), a NumPy scalar (made 0-d again) or a mistake (an error)."""
    array = backend.scalar_to_array(output)
    if array is None:
        raise TypeError(f"{function.__name__}.forward must return an ndarray, got {type(output).__name__}")
    return array


def record_node(ctx: Node, result: "Tensor", args: tuple) -> None:
    """Make ``ctx`` the node that produced ``result``."""
    result.requires_grad = True
    result.grad_fn = ctx
    ctx.output_shape, ctx.output_dtype = result.array.shape, result.array.dtype
    if ctx.saved_tensors:
        _watch_saved(ctx, args, result)
    for observer in node_observers:  # (an empty list: the loop body never runs)
        observer(ctx, result)


# Instruments (tinydl/autograd: trace, draw, detect_anomaly) plug into these two
# lists. Empty, they cost the engine one truth test per node.
node_observers: list[Callable] = []      # observer(node, output) when apply records a node
backward_observers: list[Callable] = []  # observer(node, grad_out, input_grads) per node in backward


class Node:
    """A Function's scratchpad during forward, and afterwards a node of the graph (``grad_fn``).

    ``forward`` stores what ``backward`` needs with :meth:`save_for_backward`
    (or as plain attributes: ``ctx.dim = dim``). ``parents`` has one entry per
    argument of forward: the Node that made that input, the input
    itself if it is a leaf that requires grad, or None. Edges point at nodes,
    not at tensors, as in PyTorch: a tensor changed in place later gets a new
    node, and the graph recorded before the change stays what it was.
    """

    # The attributes every node has live in slots (cheap to set in the hot path); ``__dict__``
    # takes whatever a forward adds (``ctx.dim = dim``) and the rarely used ones below.
    __slots__ = ("function", "parents", "needs_input_grad", "saved_tensors", "freed", "output_shape",
                 "output_dtype", "saved_at", "watched", "__dict__", "__weakref__")

    # Class-level defaults: most nodes never set these.
    hooks: list | None = None        # tensor.register_hook(fn) on the tensor this node made
    retained: Any = None             # weakref to that tensor, after tensor.retain_grad()
    non_differentiable: bool = False

    def __init__(self, function: type, parents: tuple | None, needs_input_grad: tuple = ()) -> None:
        self.function = function
        self.parents = parents                    # one entry per forward argument (see above)
        self.needs_input_grad = needs_input_grad  # parents[i] is not None, as a tuple of bools
        self.saved_tensors: tuple = ()
        self.freed = False
        self.saved_at: int | None = None  # the write clock when forward saved tensors (see _write_clock)
        self.watched: list | tuple = ()   # version counters and their counts then: output, inputs

    def save_for_backward(self, *values: Any) -> None:
        """Keep values for backward: arrays in tinydl's ops, Tensors in ``autograd.Function``."""
        self.saved_tensors = values

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """The output is an integer-like result (an index, a mask): no gradient flows through it."""
        self.non_differentiable = True

    def name(self) -> str:
        return f"{self.function.__name__}Backward"

    @property
    def next_functions(self) -> tuple:
        """PyTorch's view of the edges: ``((parent_node or AccumulateGrad(leaf) or None, 0), ...)``."""
        return tuple((AccumulateGrad(p) if isinstance(p, Tensor) else p, 0) for p in self.parents or ())

    @property
    def metadata(self) -> dict:
        """A dict instruments may fill (anomaly mode keeps where the node was created)."""
        if "_metadata" not in self.__dict__:
            self._metadata: dict = {}
        return self._metadata

    def __repr__(self) -> str:
        return f"<{self.name()}>"


# The name earlier versions of tinydl used; ``ctx`` in forward and backward is this object.
Context = Node


class AccumulateGrad:
    """The end of an edge at a leaf: backward adds the gradient into ``variable.grad``."""

    def __init__(self, variable: "Tensor") -> None:
        self.variable = variable
        self.next_functions = ()

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


# --------------------------------------------------------------- 3. backward
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


def topological_order(roots: list[Node]) -> list[Node]:
    """The nodes reachable from ``roots``, each after all of the nodes that made its inputs.

    An explicit stack replaces recursion, so a chain of 100,000 ops is fine.
    """
    order: list[Node] = []
    visited: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False) for root in roots]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        if node.freed:
            raise RuntimeError(
                f"backward: trying to go through the graph a second time, but {node.name()} was "
                "freed by an earlier backward(); pass retain_graph=True to the first backward() "
                "if you need to backpropagate through the same graph twice")
        stack.append((node, True))
        for parent in node.parents:
            if type(parent) is Node and id(parent) not in visited:
                stack.append((parent, False))
    return order


def run_backward(roots: list["Tensor"], root_grads: list, retain_graph: bool,
                 capture: dict | None = None) -> None:
    """The chain rule over the whole graph; see :meth:`Tensor.backward`.

    With ``capture`` (``{id(tensor): None}``, from ``autograd.grad``) the gradients of those
    tensors are stored there instead of being added into ``.grad``. As in PyTorch, gradients
    that come out inf or nan (sqrt'(0), 0/0) do so without NumPy's RuntimeWarning.
    """
    first = roots[0].array
    if type(first) is NUMPY_ARRAY:
        with backend.quiet_floating_errors():  # (NumPy's; CuPy never warns)
            _backpropagate(roots, root_grads, retain_graph, capture)
    else:  # CuPy computes on its current GPU: make that the graph's GPU, as apply does in forward
        with backend.device_scope(first):
            _backpropagate(roots, root_grads, retain_graph, capture)


def _backpropagate(roots: list["Tensor"], root_grads: list, retain_graph: bool, capture: dict | None) -> None:
    """Visit every Node once, outputs before inputs, and apply the chain rule there."""
    grads: dict = {}  # Node -> dL/d(the tensor it made), summed over every use of that tensor
    for root, grad in zip(roots, root_grads):
        if root.grad_fn is None:  # a leaf: its gradient is the given one
            _deliver_to_leaf(root, backend.scalar_to_array(grad), capture)
        else:
            grads[root.grad_fn] = grad if root.grad_fn not in grads else grads[root.grad_fn] + grad
    for node in reversed(topological_order(list(grads))):
        grad_out = grads.pop(node, None)  # dL/dy: complete, since every use of y came earlier
        if grad_out is None:  # every path to it returned a None gradient
            continue
        if node.hooks is not None:  # register_hook / retain_grad on the tensor this node made
            grad_out = _run_tensor_hooks(node, grad_out, capture)
        if node.saved_at is not None and node.saved_at != _write_clock:
            _check_saved(node)  # something was written in place since forward: was it saved here?

        # The chain rule, one op at a time:  dL/dx_i = dL/dy * dy/dx_i  (each op's backward)
        if node.function.sees_tensors:  # autograd.Function: Tensors in and out (tinydl/autograd.py)
            input_grads = node.function.backward_with_arrays(node, grad_out)
        else:
            input_grads = node.function.backward(node, grad_out)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
        if len(input_grads) != len(node.parents):
            input_grads = _one_gradient_per_argument(node, input_grads)
        if backward_observers:  # trace / detect_anomaly watch every node
            _notify_backward_observers(node, grad_out, input_grads)

        for position, (parent, grad) in enumerate(zip(node.parents, input_grads)):
            if parent is None or grad is None:
                continue
            grad = _fit_to_input(node, position, parent, grad)  # un-broadcast to x_i's shape
            if type(parent) is Node:  # x_i was made by an op: add this use's share of dL/dx_i
                # (out of place on purpose: gradient arrays may be shared between inputs)
                grads[parent] = grad if parent not in grads else grads[parent] + grad
            else:  # x_i is a leaf: into x_i.grad
                _deliver_to_leaf(parent, grad, capture)
        if not retain_graph:  # free what this node kept alive for backward
            node.saved_tensors = ()
            node.freed = True


def _notify_backward_observers(node: Node, grad_out: Array, input_grads: tuple) -> None:
    """Show trace/detect_anomaly the gradients this node hands its inputs (fitted to their shapes)."""
    fitted = tuple(None if parent is None or grad is None else _fit_to_input(node, position, parent, grad)
                   for position, (parent, grad) in enumerate(zip(node.parents, input_grads)))
    for observer in backward_observers:
        observer(node, grad_out, fitted)


def _one_gradient_per_argument(node: Node, input_grads: tuple) -> tuple:
    """backward returned more or fewer gradients than forward took arguments: PyTorch drops
    extra trailing Nones (a backward written for optional arguments left out); anything else
    is an error."""
    expected = len(node.parents)
    if len(input_grads) > expected and all(grad is None for grad in input_grads[expected:]):
        return input_grads[:expected]
    raise RuntimeError(f"{node.function.__name__}.backward returned {len(input_grads)} "
                       f"gradients, but forward took {expected} arguments")


def _fit_to_input(node: Node, position: int, parent: "Node | Tensor", grad: Any) -> Any:
    """Un-broadcast ``grad`` to the input's shape and dtype; refuse what cannot be a gradient."""
    if type(grad) is not NUMPY_ARRAY:
        grad = _as_gradient_array(node, position, grad)
    if type(parent) is Node:
        shape, dtype = parent.output_shape, parent.output_dtype
    else:
        shape, dtype = parent.array.shape, parent.array.dtype
    if grad.shape != shape:
        grad = unbroadcast(grad, shape)
        if grad.shape != shape:
            raise RuntimeError(f"{node.function.__name__}.backward returned a gradient of shape "
                               f"{tuple(grad.shape)} for argument {position}, whose shape is {tuple(shape)}")
        if type(grad) is not NUMPY_ARRAY:  # numpy returns scalars for 0-d sums
            grad = backend.scalar_to_array(grad)
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _as_gradient_array(node: Node, position: int, grad: Any) -> Any:
    """A gradient must be an array: unwrap a Tensor, re-wrap a numpy scalar, refuse the rest."""
    if isinstance(grad, Tensor):
        return grad.array
    array = backend.scalar_to_array(grad)  # numpy scalars (0-d results) become 0-d arrays
    if array is None:
        raise TypeError(
            f"{node.function.__name__}.backward returned {type(grad).__name__} for argument {position}; "
            "expected an array (or Tensor) of that argument's shape, or None for no gradient")
    return array


def _run_tensor_hooks(node: Node, grad: Any, capture: dict | None) -> Any:
    """tensor.register_hook(fn) and retain_grad() on the tensor ``node`` made: see its gradient."""
    for hook in list(node.hooks or ()):
        replaced = hook(Tensor(grad))
        if replaced is not None:
            grad = _as_gradient_array(node, 0, replaced)
    tensor = node.retained() if node.retained is not None else None
    if tensor is not None and tensor.grad_fn is node and (capture is None or id(tensor) not in capture):
        tensor._grad = Tensor(grad.copy()) if tensor._grad is None else Tensor(tensor._grad.array + grad)
    if capture is not None and tensor is not None and id(tensor) in capture:
        capture[id(tensor)] = grad
    return grad


def _deliver_to_leaf(leaf: "Tensor", grad: Any, capture: dict | None) -> None:
    """leaf.grad += grad (created on first use), never modifying an array in place."""
    if leaf._hooks is not None:
        for hook in list(leaf._hooks):
            replaced = hook(Tensor(grad))
            if replaced is not None:
                grad = replaced.array if isinstance(replaced, Tensor) else replaced
    if capture is not None:
        if id(leaf) in capture:
            previous = capture[id(leaf)]
            capture[id(leaf)] = grad if previous is None else previous + grad
        return
    if leaf._grad is None:
        leaf._grad = Tensor(grad)  # already an ndarray: _fit_to_input made sure
    else:
        leaf._grad = Tensor(backend.scalar_to_array(leaf._grad.array + grad))


# -------------------------------------- 4. in-place safety: version counters
# Every in-place write anywhere ticks this clock (Tensor._bump_version). Forward
# notes the clock when an op saves tensors; if the clock has not moved by the
# time backward reaches the node, nothing can have changed them, and the check
# costs one comparison. Only after some write does backward look closer.
_write_clock = 0


def _watch_saved(ctx: Node, args: tuple, result: "Tensor") -> None:
    """Remember the clock, and the version counter and its count now of the output and of every
    input: whatever forward saved is one of their arrays (or a new array of its own)."""
    versions = result._versions
    watched = [versions, versions[0]]  # flat (counter, count) pairs: no tuple per tensor
    for arg in args:
        if isinstance(arg, Tensor):  # (Parameter too)
            versions = arg._versions
            watched.append(versions)
            watched.append(versions[0])
    ctx.watched = watched
    ctx.saved_at = _write_clock


def _storage_id(array: Any) -> int:
    """Which memory ``array`` looks at: the id of the array that owns it (itself, or a view's base)."""
    base = array.base
    return id(array if base is None else base)


def _check_saved(node: Node) -> None:
    """Something was written in place since forward: was it a tensor this node saved?

    A version counter is ``[count, id of its storage]`` (see ``Tensor._bump_version``;
    all the tensors that share a counter look at one storage): a saved array is
    stale if it looks at a storage whose count moved since forward.
    """
    watched = node.watched
    changed = [(watched[i], watched[i + 1]) for i in range(0, len(watched), 2) if watched[i][0] != watched[i + 1]]
    for value in node.saved_tensors:
        if isinstance(value, Tensor):  # autograd.Function saves the tensors themselves
            value = value.array
        if not backend.is_ndarray(value):
            continue
        storage = _storage_id(value)
        for counter, count in changed:
            if counter[1] == storage:
                raise RuntimeError(
                    f"{node.name()}: one of the tensors needed for gradient computation has been modified "
                    f"by an in-place operation: a tensor of shape {tuple(value.shape)} is at version "
                    f"{counter[0]}; {node.function.__name__} saved it at version {count}. Compute a new "
                    f"tensor instead (x = x + 1, not x += 1), or make the in-place change after backward().")


def _share_version_counter(view: "Tensor", args: tuple) -> None:
    """A view writes into its input's storage, so both count in-place changes together."""
    storage = view.array.base
    for arg in args:
        if isinstance(arg, Tensor) and (arg.array is storage or arg.array.base is storage):
            view._versions = arg._versions
            return


# -------------------------------------------------------------- 5. grad mode
_grad_enabled = True  # what Function.apply reads: record a Node or not


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
