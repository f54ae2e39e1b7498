"""Planted bug: the RNN cell's backward forgets the derivative of tanh (1 - h'^2).

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'grad_pre = grad_out.numpy() * (1 - ctx.h_next ** 2)          # through tanh: (N, H)'
NEW = 'grad_pre = grad_out.numpy()'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a7_sequences' / 'sequences.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
