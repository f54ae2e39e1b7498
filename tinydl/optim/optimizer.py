"""Optimizer: parameter groups, per-parameter state, zero_grad, state_dict."""
from __future__ import annotations

from typing import Any, Iterable

import tinydl.backend as backend
from ..nn.module import Module, clear_grads
from ..engine import Tensor
from ..instruments.anomaly import warn_if_diverged  # the one-time "training diverged" warning


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of "params" plus options) and ``state``.

    ``params`` is an iterable of tensors, or of dicts such as
    ``{"params": model.head.parameters(), "lr": 1e-2}``; options missing from
    a group take the optimizer's defaults, as in PyTorch.
    """

    def __init__(self, params: Iterable[Any], defaults: dict) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict] = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors or dicts, "
                            "got a single Tensor (wrap it in a list)")
        if isinstance(params, Module):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors, got the "
                            f"{type(params).__name__} module itself; pass model.parameters()")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list "
                             "(did the model register its layers as attributes?)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: can only optimize tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf tensor (one computed "
                                 "by an op); optimize the leaf parameters it was computed from")
            # A parameter with requires_grad=False (a frozen layer) is allowed, as in PyTorch:
            # it never gets a .grad, and step() skips parameters without one.
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: a parameter appears in more than one group")
            seen.add(id(p))
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the last backward (call before each backward)."""
        clear_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self) -> None:
        raise NotImplementedError

    def parameters_with_grad(self) -> Iterable[tuple[dict, Tensor]]:
        """(group, parameter) for every parameter that received a gradient.

        While the caller updates ``p``, p's GPU is CuPy's current device (where
        CuPy computes), so a model on "cuda:1" is updated on GPU 1.
        """
        # Warn once if the gradients became NaN/inf (instruments/anomaly.py): too large an lr, usually.
        warn_if_diverged(self)
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if type(p.array) is backend.NUMPY_ARRAY:  # (the CPU needs no device scope: skip its cost)
                    yield group, p
                else:
                    with backend.device_scope(p.array):
                        yield group, p

    # ------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """{"state": {index: {...}}, "param_groups": [{options, "params": [indices]}]} as in PyTorch."""
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
                packed["params"].append(index_of[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index_of[id(p)]] = {k: Tensor(v) if backend.is_ndarray(v) else v
                                              for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by state_dict(), checking that they fit these parameters."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state has {len(saved_groups)} parameter "
                             f"group(s), this optimizer has {len(self.param_groups)}")
        params_by_index = {}
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"{name}.load_state_dict: group {number} has {len(saved['params'])} "
                                 f"parameters in the state but {len(group['params'])} here")
            for index, p in zip(saved["params"], group["params"]):
                params_by_index[index] = p
        new_state = {}
        for index, values in state_dict["state"].items():
            if index not in params_by_index:
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter index {index}")
            p = params_by_index[index]
            restored = {}
            for key, value in values.items():
                if isinstance(value, Tensor):
                    if tuple(value.shape) != tuple(p.shape):
                        raise ValueError(f"{name}.load_state_dict: {key} of parameter {index} has shape "
                                         f"{tuple(value.shape)}, the parameter has {tuple(p.shape)}")
                    with backend.device_scope(p.array):  # CuPy computes on its current GPU: p's
                        value = backend.to_device(value.array, p.device).astype(p.dtype, copy=True)
                restored[key] = value
            new_state[p] = restored
        for group, saved in zip(self.param_groups, saved_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines) + "\n)"
