"""Planted bug: BatchNorm's dx forgets that the batch mean and variance depend on x: dx = dx_hat / sigma.

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'grad_x = normalize_backward(grad_out * ctx.weight, ctx.x_hat, ctx.inv_std, ctx.axes)'
NEW = 'grad_x = grad_out * ctx.weight * ctx.inv_std'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a5_normalization' / 'normalization.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
