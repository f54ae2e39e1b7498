"""Normalization layers: BatchNorm1d, BatchNorm2d, LayerNorm."""
from __future__ import annotations

from typing import Any, Sequence

import tinydl.dtypes as dtypes
import tinydl.functional as F
from ..engine import Tensor
from .module import Module, Parameter, parameter_factory


class _BatchNorm(Module):
    """Batch normalization over channel dimension 1; BatchNorm1d and BatchNorm2d differ only in input checks.

    Training: normalise with the batch's mean and (biased) variance per
    channel, and update the buffers running_mean and running_var (unbiased)
    with ``momentum`` (None: a cumulative average over num_batches_tracked
    batches). Eval: normalise with the running estimates. Buffers are saved in
    ``state_dict`` and moved by ``to()``; they are never trained.
    """

    expected_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        xp, dtype = parameter_factory(device, dtype)
        self.weight = Parameter(xp.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(xp.zeros(num_features, dtype=dtype)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(xp.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(xp.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype=dtypes.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            resets = ((self.running_mean, 0), (self.running_var, 1), (self.num_batches_tracked, 0))
            for buffer, value in resets:
                buffer.array[...] = value
                buffer._bump_version()

    def _check_input_dim(self, x: Tensor) -> None:
        if not isinstance(x, Tensor) or x.ndim not in self.expected_dims:
            wanted = " or ".join(f"{d}D" for d in self.expected_dims)
            got = f"{x.ndim}D input of shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{type(self).__name__}: expected {wanted} input, got {got}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels in dimension 1, "
                             f"got input of shape {tuple(x.shape)}")

    def forward(self, x: Tensor) -> Tensor:
        self._check_input_dim(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1
            self.num_batches_tracked._bump_version()
            if self.momentum is None:  # cumulative moving average: batch k gets weight 1/k
                factor = 1.0 / int(self.num_batches_tracked.item())
        # Batch statistics while training, and also in eval when no running statistics are kept.
        use_batch_stats = self.training or self.running_mean is None
        keep_running = not self.training or self.track_running_stats
        # (N, C, *) -> (N, C, *): each channel c normalised with its own mean and variance, taken
        # over every dimension but C (the statistics and weight, bias are (C,))
        return F.batch_norm(x, self.running_mean if keep_running else None,
                            self.running_var if keep_running else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) features or (N, C, L) signals, per channel C."""

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) images, per channel C."""

    expected_dims = (4,)


class LayerNorm(Module):
    """Normalize each sample over its last dimensions (normalized_shape), then scale and shift.

    Unlike batch norm it has no running statistics: train and eval behave the
    same, and a batch of one is fine (the normalization of Transformers).
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        xp, dtype = parameter_factory(device, dtype)
        self.weight = Parameter(xp.ones(shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(xp.zeros(shape, dtype=dtype)) if elementwise_affine and bias else None

    def forward(self, x: Tensor) -> Tensor:
        # (*, *normalized_shape) -> same shape; each sample is normalised over its last
        # len(normalized_shape) dimensions
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
