"""Planted bug: the output size counts the padding once, not on both sides: (size + padding - kernel) // stride + 1 (off by one at padding=1).

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'return (size + 2 * padding - kernel) // stride + 1'
NEW = 'return (size + padding - kernel) // stride + 1'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a6_convolution' / 'convolution.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
