"""Planted bug: the bias gradient is summed over the positions but not over the batch: shape (N, O), not (O,).

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'grad_y.sum(axis=(0, 2))'
NEW = 'grad_y.sum(axis=2)'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a6_convolution' / 'convolution.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
