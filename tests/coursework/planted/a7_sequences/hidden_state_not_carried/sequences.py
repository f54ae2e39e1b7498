"""Planted bug: run_rnn restarts every step from h0 instead of carrying the hidden state.

The reference solution with one change; the grader must take exactly the points of
bug.json's tasks, with its diagnosis in the message.
"""
from pathlib import Path

OLD = '        h = cell(x, h)\n        hidden_states.append(h)'
NEW = '        hidden_states.append(cell(x, h0))'
_source = (Path(__file__).resolve().parents[3] / "solutions" / 'a7_sequences' / 'sequences.py').read_text()
assert _source.count(OLD) == 1, "the planted change no longer applies to the reference solution"
exec(compile(_source.replace(OLD, NEW), __file__, "exec"))
