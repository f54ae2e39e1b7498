"""Planted bug: the first momentum step dampened (b = (1 - dampening) * g) where PyTorch takes b = g.

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'buffer = grad.clone()                          # first step: b = g, no dampening'
NEW = 'buffer = (1 - group["dampening"]) * grad'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a4_optimizers' / 'optimizers.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
