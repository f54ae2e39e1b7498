"""Planted bug: the RNN cell's bias gradients are not summed over the batch.

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'grad_bias = grad_pre.sum(axis=0)                             # summed over the batch: (H,)'
NEW = 'grad_bias = grad_pre'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a7_sequences' / 'sequences.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
