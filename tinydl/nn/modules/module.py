"""``tinydl.nn.modules.module``, as ``torch.nn.modules.module``: Module and the global forward hooks."""
from ..hooks import RemovableHandle, register_module_forward_hook, register_module_forward_pre_hook
from ..module import Module

__all__ = ["Module", "RemovableHandle", "register_module_forward_hook", "register_module_forward_pre_hook"]
