"""``tinydl.nn.functional`` (import it as ``F``): the same functions as ``tinydl.functional``."""
from ..functional import *  # noqa: F401,F403
from ..functional import __all__  # noqa: F401
