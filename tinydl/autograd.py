"""``tinydl.autograd``: the extension point, under PyTorch's names.

    class Cube(tinydl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3
        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad_out
"""
from .gradcheck import GradcheckError, GradcheckWarning, gradcheck
from .tensor import Context, Function, enable_grad, is_grad_enabled, no_grad

__all__ = ["Context", "Function", "GradcheckError", "GradcheckWarning", "enable_grad", "gradcheck", "is_grad_enabled", "no_grad"]
