"""Planted bug: momentum applied to the step (b = momentum * b + lr * g; p -= b) instead of to the gradient.

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = '            buffer = grad.clone()                          # first step: b = g, no dampening\n        else:\n            buffer = momentum * state["momentum_buffer"] + (1 - group["dampening"]) * grad\n        state["momentum_buffer"] = buffer\n        return grad + momentum * buffer if group["nesterov"] else buffer'
NEW = '            buffer = group["lr"] * grad\n        else:\n            buffer = momentum * state["momentum_buffer"] + group["lr"] * grad\n        state["momentum_buffer"] = buffer\n        return buffer / group["lr"]                        # step() multiplies by lr: p -= b'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a4_optimizers' / 'optimizers.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
