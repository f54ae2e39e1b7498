"""The functions users call: ``tinydl.functional.relu(x)``, ``F.cross_entropy(...)``.

Each is defined next to its Function in ``tinydl/ops``, and marked public
there with the ``@public`` decorator of ``tinydl/ops/registry.py``:

    @public                  # tinydl.exp, tinydl.functional.exp, F.exp and x.exp()
    def exp(x: Tensor) -> Tensor:
        return Exp.apply(as_float("exp", x))

Importing a family of ops runs its decorators, which write its functions into
``registry.FUNCTIONS`` (and, unless ``method=False``, ``registry.METHODS``).
This module imports every family, then publishes what they registered: its
``__all__`` is what ``from tinydl.functional import *`` gives ``tinydl`` and
``tinydl.nn.functional`` (PyTorch's ``F``); ``tinydl/methods.py`` attaches the
methods to Tensor. Adding an op is one edit, in its own family file.
"""
from .ops import registry as _registry

# Every family of ops, in reading order (see tinydl/ops/__init__.py): importing one registers its functions.
from .ops import (convert, elementwise, activation, compare, reduce, shape, linalg, nn,  # noqa: F401
                  math, rounding, activation_extra, loss, norm, sort, split, grid, arguments,
                  conv, pool, normalization, embedding)

# The module names have done their job; unbound, they cannot shadow a function (ops.norm vs norm).
del (convert, elementwise, activation, compare, reduce, shape, linalg, nn, math, rounding,
     activation_extra, loss, norm, sort, split, grid, arguments, conv, pool, normalization, embedding)

globals().update(_registry.FUNCTIONS)
__all__ = sorted(_registry.FUNCTIONS)
