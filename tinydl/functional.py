"""The functions users call: ``tinydl.functional.relu(x)``, ``F.cross_entropy(...)``.

Each is defined next to its Function in ``tinydl/ops``; this module is the
public list. ``tinydl.nn.functional`` (PyTorch's ``F``) re-exports these same
functions, and Tensor's methods (``x.relu()``) call them too.
"""
from .ops.convert import cast, to, to_device
from .ops.activation import clamp, leaky_relu, maximum, minimum, relu, sigmoid, tanh, where
from .ops.compare import (eq, ge, gt, le, logical_and, logical_not, logical_or, logical_xor, lt,
                          ne)
from .ops.elementwise import abs, add, div, exp, log, mul, neg, pow, sqrt, sub
from .ops.linalg import matmul
from .ops.loss import binary_cross_entropy_with_logits, mse_loss
from .ops.nn import cross_entropy, dropout, linear, log_softmax, nll_loss, softmax
from .ops.reduce import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from .ops.shape import (cat, expand, flatten, getitem, permute, reshape, squeeze, stack, t,
                        transpose, unsqueeze, view)

clip = clamp

__all__ = [
    "abs", "add", "argmax", "argmin", "binary_cross_entropy_with_logits", "cast", "cat", "clamp",
    "clip", "cross_entropy", "div", "dropout", "eq", "exp", "expand", "flatten", "ge", "getitem",
    "gt", "le", "leaky_relu", "linear", "log", "log_softmax", "logical_and", "logical_not", "logical_or", "logical_xor", "logsumexp", "lt",
    "matmul", "max", "maximum", "mean", "min", "minimum", "mse_loss", "mul", "ne", "neg",
    "nll_loss", "permute", "pow", "relu", "reshape", "sigmoid", "softmax", "sqrt", "squeeze",
    "stack", "std", "sub", "sum", "t", "tanh", "to", "to_device", "transpose", "unsqueeze", "var",
    "view", "where",
]

# --- sorting (issue 9: sort/topk return (values, indices) named tuples, as PyTorch)
from .ops.sort import argsort, sort, topk  # noqa: E402

__all__ += ["argsort", "sort", "topk"]

# --- PyTorch API surface (issue 10, branch i10): elementwise math, matrix products, clone, ...
from .ops.arguments import is_tensor  # noqa: E402
from .ops.convert import clone  # noqa: E402
from .ops.linalg import addmm, bmm, dot, mm, mv, outer  # noqa: E402
from .ops.math import (acos, arccos, arcsin, arctan, asin, atan, cos, cosh, erf, expm1, log1p,  # noqa: E402
                       log2, log10, reciprocal, rsqrt, sin, sinh, square, tan)
from .ops.rounding import ceil, fix, floor, round, sign, trunc  # noqa: E402
from .ops.shape import numel  # noqa: E402

__all__ += [
    "acos", "addmm", "arccos", "arcsin", "arctan", "asin", "atan", "bmm", "ceil", "clone", "cos",
    "cosh", "dot", "erf", "expm1", "fix", "floor", "is_tensor", "log10", "log1p", "log2", "mm", "mv",
    "numel", "outer", "reciprocal", "round", "rsqrt", "sign", "sin", "sinh", "square", "tan", "trunc",
]

# --- nn/optim parity (issues 9 and 10): more losses, norm, split/chunk/narrow
from .ops.loss import binary_cross_entropy, huber_loss, l1_loss, smooth_l1_loss  # noqa: E402
from .ops.norm import norm  # noqa: E402
from .ops.split import chunk, narrow, split  # noqa: E402

__all__ += ["binary_cross_entropy", "chunk", "huber_loss", "l1_loss", "narrow", "norm", "smooth_l1_loss",
            "split"]

# ---- Beyond the MLP (issue 13): convolution, pooling, normalization, embedding, smooth activations
from .ops.activation_extra import elu, gelu, silu, softplus  # noqa: E402
from .ops.conv import conv1d, conv2d  # noqa: E402
from .ops.embedding import embedding  # noqa: E402
from .ops.normalization import batch_norm, layer_norm  # noqa: E402
from .ops.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d,  # noqa: E402
                       max_pool1d, max_pool2d)

__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm", "conv1d",
    "conv2d", "elu", "embedding", "gelu", "layer_norm", "max_pool1d", "max_pool2d", "silu", "softplus",
]

# ---- ported programs (branch ported2): meshgrid, which d2l binds at import
from .ops.grid import meshgrid  # noqa: E402

__all__ += ["meshgrid"]
