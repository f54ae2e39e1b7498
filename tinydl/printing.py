"""How tensors print: PyTorch's ``set_printoptions`` and the text inside ``tensor(...)``.

``Tensor.__repr__`` (engine.py) copies the numbers to the host and asks
:func:`format_array` for the text; :func:`set_printoptions` changes how every
tensor prints from then on. NumPy's ``array2string`` does the layout.
"""
from __future__ import annotations

import sys

import numpy

# PyTorch's defaults; set_printoptions changes them for every tensor's repr.
_PRINT_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": sys.maxsize, "edgeitems": 3, "linewidth": 80},
}
_print_options: dict = {**_PRINT_PROFILES["default"], "sci_mode": None}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print, as PyTorch's ``torch.set_printoptions``.

    precision: digits after the point (4); threshold: more elements than this are
    summarised with ``...`` (1000); edgeitems: items shown at each end when
    summarised (3); linewidth: characters per line (80); profile: "default",
    "short" or "full" (never summarise) sets the four at once; sci_mode: True or
    False forces scientific notation on or off, None (the default) decides by the values.
    """
    if profile is not None:
        if profile not in _PRINT_PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PRINT_PROFILES)}, "
                             f"got {profile!r}")
        _print_options.update(_PRINT_PROFILES[profile])
    for name, value in (("precision", precision), ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _print_options[name] = int(value)
    if threshold is not None:  # PyTorch takes float("inf") for "never summarise"; NumPy wants an int
        _print_options["threshold"] = sys.maxsize if threshold == float("inf") else int(threshold)
    _print_options["sci_mode"] = sci_mode  # as in PyTorch, leaving it out means "decide by the values"


def format_array(array: numpy.ndarray, prefix: str) -> str:
    """Host array as text for Tensor.__repr__, like PyTorch: ``[1.5000, 2.0000]``, ``[1., 2.]``.

    Floats print with ``precision`` decimals, or as ``1.`` when all of them are whole numbers.
    ``prefix`` is the text before the array on its first line (``"tensor("``): later
    lines are indented by its width so the columns line up.
    """
    options = _print_options
    precision, sci_mode = options["precision"], options["sci_mode"]
    formatter = None
    floatmode = "maxprec"
    if array.dtype.kind == "f" and array.size:
        finite = array[numpy.isfinite(array)]
        whole = bool((finite == numpy.round(finite)).all())
        floatmode = "maxprec" if whole else "fixed"
        if sci_mode is True:
            formatter = {"float_kind": lambda value: f"{value:.{precision}e}"}
        elif sci_mode is False and not whole:
            formatter = {"float_kind": lambda value: f"{value:.{precision}f}"}
    elif array.dtype.kind == "b" and array.size and array.all():
        formatter = {"bool": lambda value: "True"}  # NumPy pads to the width of "False" even without one
    return numpy.array2string(array, separator=", ", prefix=prefix, precision=precision,
                              floatmode=floatmode, threshold=options["threshold"],
                              edgeitems=options["edgeitems"], max_line_width=options["linewidth"],
                              formatter=formatter)
