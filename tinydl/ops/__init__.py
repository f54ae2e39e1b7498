"""Differentiable ops, one module per family, each a Function with forward and backward side by side.

Reading order: convert (dtype/device moves), elementwise (arithmetic), activation
(activations, selection), compare, reduce, shape, linalg, nn (the fused ops
neural networks lean on: linear, softmax, cross_entropy, dropout); then math,
rounding, activation_extra, loss, norm, sort, split, grid; then the layers'
ops conv, pool (both on im2col), normalization, embedding.

Beside the families: ``registry.py`` (the ``@public`` decorator that makes a
function ``tinydl.f``, ``F.f`` and ``Tensor.f``), ``common.py`` (the helpers
every family shares: dtype promotion, broadcast errors, dims, stable formulas,
index plumbing), ``arguments.py`` (PyTorch's argument conventions: out=,
axis=/keepdims=), ``checks.py``, ``im2col.py`` and ``special.py`` (erf).
"""
