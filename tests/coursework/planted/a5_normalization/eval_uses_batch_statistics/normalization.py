"""Planted bug: eval() normalizes with the batch's statistics (the running statistics are never used).

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'if not self.training:'
NEW = 'if False:'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a5_normalization' / 'normalization.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
