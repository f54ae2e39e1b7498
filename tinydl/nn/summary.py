"""summary(model, input_size): a table of layers, output shapes and parameter counts, as torchinfo prints.

    >>> print(tinydl.nn.summary(model, (1, 2)))
    ==========================================================================================
    Layer (type)                             Output Shape              Param #
    ==========================================================================================
    DeepMLP                                  [1, 2]                    --
    └─network (Sequential)                   [1, 2]                    --
        └─0 (Linear)                         [1, 64]                   192
        ...

It runs one forward pass on zeros of ``input_size`` (batch dimension
included, as in torchinfo) under ``no_grad`` and in eval mode, and notes the
output of every module as it is called. To see each call without the engine
offering hooks, every module's ``forward`` is shadowed for the duration by a
recording wrapper set on the instance (``Module.__call__`` looks up
``self.forward``), and the original is restored afterwards even if the forward
pass fails.

Memory, in MB of 10^6 bytes like torchinfo: the input; the forward/backward
pass (every leaf module's output, twice: the activation and its gradient);
the parameters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..creation import zeros
from ..dtypes import float32
from ..engine import Tensor, no_grad
from .module import Module

WIDTH = 90
MEGABYTE = 1e6


@dataclass
class LayerRow:
    """One module call: where it sits in the tree and what it produced."""

    name: str               # attribute path below its parent ("0", "network"), "" for the model itself
    type_name: str
    depth: int              # 0 for the model, 1 for its children, ...
    parameters: int         # this module's own parameters, not its children's
    is_leaf: bool
    output_shapes: list[list[int]] = field(default_factory=list)
    output_bytes: int = 0


@dataclass
class ModelSummary:
    """What summary() found; ``print()`` it for the table."""

    model_name: str
    rows: list[LayerRow]
    total_params: int
    trainable_params: int
    input_bytes: int
    params_bytes: int

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def forward_backward_bytes(self) -> int:
        """Activations of the leaf modules and their gradients, two copies of each output."""
        return 2 * sum(row.output_bytes for row in self.rows if row.is_leaf)

    @property
    def total_bytes(self) -> int:
        return self.input_bytes + self.forward_backward_bytes + self.params_bytes

    def __str__(self) -> str:
        rule, thin = "=" * WIDTH, "-" * WIDTH
        lines = [rule, f"{'Layer (type)':<41}{'Output Shape':<26}{'Param #'}", rule]
        for row in self.rows:
            if row.depth == 0:
                label = row.type_name
            else:
                label = "    " * (row.depth - 1) + f"└─{row.name} ({row.type_name})"
            shapes = ", ".join(str(shape) for shape in row.output_shapes) or "--"
            count = f"{row.parameters:,}" if row.parameters else "--"
            lines.append(f"{label:<41}{shapes:<26}{count}")
        lines += [rule,
                  f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,}",
                  thin,
                  f"Input size (MB): {self.input_bytes / MEGABYTE:.2f}",
                  f"Forward/backward pass size (MB): {self.forward_backward_bytes / MEGABYTE:.2f}",
                  f"Params size (MB): {self.params_bytes / MEGABYTE:.2f}",
                  f"Estimated Total Size (MB): {self.total_bytes / MEGABYTE:.2f}",
                  rule]
        return "\n".join(lines)

    __repr__ = __str__


def _tensors_in(output: Any) -> list[Tensor]:
    """The tensors in a module's output (a tensor, or tuples/lists/dicts of them)."""
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, (tuple, list)):
        return [t for item in output for t in _tensors_in(item)]
    if isinstance(output, dict):
        return [t for item in output.values() for t in _tensors_in(item)]
    return []


def _nbytes(tensor: Tensor) -> int:
    return tensor.numel() * tensor.array.dtype.itemsize


def summary(model: Module, input_size: Sequence[int] | Sequence[Sequence[int]], dtype: Any = float32,
            device: Any = None) -> ModelSummary:
    """Layer-by-layer output shapes and parameter counts of ``model`` on an input of ``input_size``.

    input_size: the full input shape, batch dimension included, e.g. ``(1, 2)``;
    a list of shapes for a model whose forward takes several tensors.
    device: where the probe input lives (default: where the model's first
    parameter is, else "cpu").
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected a tinydl.nn.Module, got {type(model).__name__}")
    one_shape = all(isinstance(d, int) for d in input_size)
    sizes = [tuple(input_size)] if one_shape else [tuple(s) for s in input_size]
    if not sizes or any(not all(isinstance(d, int) and d >= 0 for d in size) for size in sizes):
        raise ValueError(f"summary: input_size must be a shape like (1, 2) or a list of shapes, "
                         f"got {input_size!r}")
    parameters = list(model.parameters())
    if device is None:
        device = parameters[0].device if parameters else "cpu"
    inputs = [zeros(*size, dtype=dtype, device=device) for size in sizes]

    rows: list[LayerRow] = []
    shadowed: list[tuple[Module, Any]] = []     # (module, its own "forward" instance attribute or None)
    training = {id(m): m.training for m in model.modules()}

    def record_calls(module: Module, name: str, depth: int) -> None:
        if any(module is done for done, _ in shadowed):  # a module shared by two parents: wrap it once
            return
        original = module.forward
        own_parameters = sum(p.numel() for p in module.parameters(recurse=False))
        is_leaf = not any(True for _ in module.children())

        def recording_forward(*args: Any, **kwargs: Any) -> Any:
            row = LayerRow(name, type(module).__name__, depth, own_parameters, is_leaf)
            rows.append(row)                    # appended on entry: rows come in call order, parents first
            output = original(*args, **kwargs)
            outputs = _tensors_in(output)
            row.output_shapes = [list(t.shape) for t in outputs]
            row.output_bytes = sum(_nbytes(t) for t in outputs)
            return output

        shadowed.append((module, module.__dict__.get("forward")))
        object.__setattr__(module, "forward", recording_forward)
        for child_name, child in module.named_children():
            record_calls(child, child_name, depth + 1)

    try:
        record_calls(model, "", 0)
        model.eval()                            # dropout off: the probe changes no random state
        with no_grad():
            model(*inputs)
    finally:
        for module, own_forward in reversed(shadowed):
            if own_forward is None:
                object.__delattr__(module, "forward")
            else:
                object.__setattr__(module, "forward", own_forward)
        for module in model.modules():
            module.training = training[id(module)]

    unique = {id(p): p for p in parameters}.values()
    return ModelSummary(
        model_name=type(model).__name__, rows=rows,
        total_params=sum(p.numel() for p in unique),
        trainable_params=sum(p.numel() for p in unique if p.requires_grad),
        input_bytes=sum(_nbytes(t) for t in inputs),
        params_bytes=sum(_nbytes(p) for p in unique))
