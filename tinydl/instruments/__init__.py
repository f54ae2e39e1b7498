"""Instruments for watching backprop: they plug into the engine's one seam.

``tinydl/engine.py`` keeps two lists, ``node_observers`` (called when a node
is recorded in forward) and ``backward_observers`` (called for each node that
backward visits). Empty, they cost the engine one truth test per node. Each
instrument here appends an observer while it is active and removes it after:

    trace.py     tinydl.autograd.trace(loss): the chain rule, step by step
    draw.py      tinydl.autograd.draw(tensor, path): the graph as SVG (and DOT)
    anomaly.py   tinydl.autograd.detect_anomaly(): where a NaN gradient was born
"""
from .anomaly import DivergedWarning, detect_anomaly, set_detect_anomaly, warn_if_diverged
from .draw import draw
from .trace import TraceRecord, trace

__all__ = ["DivergedWarning", "TraceRecord", "detect_anomaly", "draw", "set_detect_anomaly", "trace",
           "warn_if_diverged"]
