"""Assignment 3: softmax cross-entropy, fused and numerically stable (read statement.md first).

    loss = mean over n of  -log softmax(logits[n])[target[n]]
    logits: (N, C) floats, target: (N,) class indices in [0, C)

Arguments are tinydl Tensors. Useful: ``z.max(dim=1, keepdim=True).values``, ``z.exp()``,
``z.log()``, ``z.sum(dim=1, keepdim=True)``, ``z[tinydl.arange(N), target]`` (one entry per row),
``tinydl.eye(C)[target]`` (one-hot rows). Do not call tinydl's own softmax, log_softmax,
logsumexp or cross_entropy: the point is to write them.

Grade it with:  python -m tinydl.coursework grade .
"""
import tinydl
from tinydl.autograd import Function


def log_softmax(logits):
    """log softmax over the last axis, numerically stable: (N, C) -> (N, C). Finite for logits of 1e4."""
    raise NotImplementedError("Task 3.1: log_softmax")


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of softmax(logits) against integer targets, forward and backward fused.

    reduction: "mean" (PyTorch's default: divide by N), "sum", or "none" (the (N,) per-sample losses).
    """

    @staticmethod
    def forward(ctx, logits, target, reduction):
        # Save what backward needs (ctx.save_for_backward(...), ctx.reduction = reduction).
        if reduction != "mean":
            raise NotImplementedError("Task 3.4: reduction='sum' and reduction='none' (forward and backward)")
        raise NotImplementedError("Task 3.2: SoftmaxCrossEntropy.forward with reduction='mean'")

    @staticmethod
    def backward(ctx, grad_out):
        # Task 3.3: return (dL/dlogits, None, None): target and reduction get no gradient.
        raise NotImplementedError("Task 3.3: SoftmaxCrossEntropy.backward")


def cross_entropy(logits, target, reduction="mean"):
    """The function users call, as tinydl.nn.functional.cross_entropy (nothing to write here)."""
    return SoftmaxCrossEntropy.apply(logits, target, reduction)
