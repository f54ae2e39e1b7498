"""Planted bug: Adam without bias correction (m and v used as they are).

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = 'm_hat = state["exp_avg"] / (1 - beta1 ** t)\n                    v_hat = state["exp_avg_sq"] / (1 - beta2 ** t)'
NEW = 'm_hat = state["exp_avg"]\n                    v_hat = state["exp_avg_sq"]'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a4_optimizers' / 'optimizers.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
