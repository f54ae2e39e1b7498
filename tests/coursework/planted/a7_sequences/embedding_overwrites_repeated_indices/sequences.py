"""Planted bug: the embedding gradient overwrites rows looked up more than once instead of adding (grad[indices] = grad_out).

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'np.add.at(grad_weight, ctx.indices, grad_out)'
NEW = 'grad_weight[ctx.indices] = grad_out'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a7_sequences' / 'sequences.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
