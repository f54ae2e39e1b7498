"""Planted bug: max-pool backward sends each window's gradient to every element of the window.

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'np.put_along_axis(grad_cols, ctx.argmax[:, None, :], grad_y, axis=1)     # only the max gets it'
NEW = 'grad_cols[:] = grad_y'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a6_convolution' / 'convolution.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
