"""Planted bug: BatchNorm's bias gradient not summed over the batch.

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'grad_bias = grad_out.sum(axis=ctx.axes)'
NEW = 'grad_bias = grad_out'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a5_normalization' / 'normalization.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
