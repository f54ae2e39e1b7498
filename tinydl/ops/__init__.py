"""Differentiable ops, one module per family, each a Function with forward and backward side by side.

Reading order: convert (dtype/device moves), elementwise (arithmetic, math),
activation (activations, selection), compare, reduce, shape, linalg, nn (the
fused ops neural networks lean on).
"""
