"""Named tuples that ops return, like ``torch.return_types``.

``x.max(dim=1)`` returns ``(values, indices)``: unpack it (``values, indices =
x.max(1)``) or name the fields (``x.max(1).indices``), as in PyTorch.
"""
from __future__ import annotations

import collections
from typing import Any


def _values_indices(name: str) -> type:
    """A (values, indices) named tuple that prints as PyTorch prints torch.return_types.<name>."""
    fields = collections.namedtuple(name, ["values", "indices"])

    def __repr__(self: Any) -> str:
        return f"tinydl.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    return type(name, (fields,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__,
                                  "__doc__": f"The (values, indices) that {name}(...) returns."})


max = _values_indices("max")  # noqa: A001  (PyTorch's names)
min = _values_indices("min")  # noqa: A001
sort = _values_indices("sort")
topk = _values_indices("topk")
