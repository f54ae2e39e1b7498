"""``tinydl.nn.modules``: PyTorch's import path for the global hook functions (see tinydl/nn/hooks.py)."""
from . import module  # noqa: F401
