"""Planted bug: running_var updated with the biased batch variance (divided by n, not n - 1).

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'unbiased_var = values.var(axis=axes) * count / (count - 1)'
NEW = 'unbiased_var = values.var(axis=axes)'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a5_normalization' / 'normalization.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
