"""Reference solution of assignment 2 (Linear from scratch)."""
import math

import tinydl
from tinydl import nn
from tinydl.autograd import Function


def linear_forward(x, weight, bias):
    y = x @ weight.T  # (N, in) @ (in, out) -> (N, out)
    return y if bias is None else y + bias  # bias (out,) broadcasts over the N rows


def grad_input(grad_out, weight):
    return grad_out @ weight  # (N, out) @ (out, in) -> (N, in)


def grad_weight(grad_out, x):
    return grad_out.T @ x  # (out, N) @ (N, in) -> (out, in)


def grad_bias(grad_out):
    return grad_out.sum(dim=0)  # (N, out) -> (out,): b was added to every row


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return linear_forward(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        return (grad_input(grad_out, weight) if needs_x else None,
                grad_weight(grad_out, x) if needs_weight else None,
                grad_bias(grad_out) if needs_bias else None)


class Linear(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(tinydl.zeros(out_features, in_features))
        nn.init.uniform_(self.weight, -bound, bound)
        if bias:
            self.bias = nn.Parameter(tinydl.zeros(out_features))
            nn.init.uniform_(self.bias, -bound, bound)
        else:
            self.bias = None

    def forward(self, x):
        return LinearFunction.apply(x, self.weight, self.bias)
