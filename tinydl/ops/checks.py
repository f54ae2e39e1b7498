"""Small helpers for the error messages of the ops that check their arguments' shapes."""
from __future__ import annotations

from typing import Any

from ..engine import Tensor


def shape_or_type(value: Any) -> str:
    """A tensor's shape, e.g. "(2, 3)", or the type name of something that is not a tensor."""
    return str(tuple(value.shape)) if isinstance(value, Tensor) else type(value).__name__
