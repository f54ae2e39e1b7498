"""Public tests of assignment 5: LayerNorm and BatchNorm1d, forward values, gradients, running statistics."""
from __future__ import annotations

import numpy as np

import tinydl
from tinydl.coursework import task
from tinydl.coursework.checks import expect_close, expect_dtype, expect_gradients

TITLE = "Normalization: LayerNorm and BatchNorm1d"
STUDENT_FILE = "normalization.py"

EPS = 1e-5


def normalized(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) over ``axes``, var biased (divided by n), as both layers normalize."""
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + EPS)


def example(*shape: int, seed: int = 0) -> np.ndarray:
    """Values with a mean and scale far from 0 and 1, so that normalizing does something."""
    return 3.0 + 2.0 * np.random.default_rng(seed).standard_normal(shape)


def reject_constant_statistics(name: str, function, x: np.ndarray, weight: np.ndarray,
                               axes: tuple[int, ...]) -> None:
    """Fail with a diagnosis when dx treats the mean and variance as constants (dx = dx_hat / sigma)."""
    x_tensor = tinydl.tensor(x, requires_grad=True)   # only x: gradcheck checks the other gradients
    grad_out = example(*x.shape, seed=5)
    y = function.apply(x_tensor, tinydl.tensor(weight), tinydl.tensor(np.zeros_like(weight)), EPS)
    y.backward(tinydl.tensor(grad_out))
    channel = weight.shape if axes == (-1,) or x.ndim == 2 else weight.shape + (1,)
    constant_statistics = grad_out * weight.reshape(channel) / np.sqrt(x.var(axis=axes, keepdims=True) + EPS)
    if x_tensor.grad is not None and np.allclose(x_tensor.grad.numpy(), constant_statistics):
        raise AssertionError(
            f"{name}.backward: your dx is dL/dx_hat / sigma, which treats the mean and the variance as "
            "constants; they depend on x too, which adds the two mean terms of statement.md: "
            "dx = (1/sigma) * (g - mean(g) - x_hat * mean(g * x_hat)), g = dL/dx_hat")


# ------------------------------------------------------------------ Task 5.1: LayerNormFunction
@task("5.1", points=3)
def test_layer_norm_forward(student) -> None:
    """y = x_hat * weight + bias over the last axis, for (N, D) and (N, T, D); float32 stays float32."""
    for shape in [(4, 5), (2, 3, 5)]:
        x, weight, bias = example(*shape), example(5, seed=1), example(5, seed=2)
        x32, weight32, bias32 = (tinydl.tensor(a, dtype=tinydl.float32) for a in (x, weight, bias))
        y = student.LayerNormFunction.apply(x32, weight32, bias32, EPS)
        expect_close(y, normalized(x, (-1,)) * weight + bias,
                     f"LayerNormFunction forward on {shape} (normalize over the last axis with the biased "
                     "variance (divide by D), then scale by weight and shift by bias)",
                     atol=1e-5)
        expect_dtype(y, tinydl.float32, "LayerNormFunction forward of float32 inputs")


@task("5.1")
def test_layer_norm_gradients(student) -> None:
    """Strict float64 gradcheck of dx, dweight, dbias on (4, 5) and (2, 3, 4)."""
    reject_constant_statistics("LayerNormFunction", student.LayerNormFunction, example(4, 5),
                               example(5, seed=1), (-1,))
    for shape in [(4, 5), (2, 3, 4)]:
        d = shape[-1]
        inputs = [tinydl.tensor(a, requires_grad=True) for a in (example(*shape), example(d, seed=1),
                                                                  example(d, seed=2))]
        function = student.LayerNormFunction
        expect_gradients(lambda x, weight, bias: function.apply(x, weight, bias, EPS), inputs,
                         f"LayerNormFunction.backward on {shape}")


# ------------------------------------------------------------------ Task 5.2: LayerNorm module
@task("5.2", points=1)
def test_layer_norm_module(student) -> None:
    """LayerNorm(D): weight = ones(D), bias = zeros(D) as Parameters, eps = 1e-5; gradients reach both."""
    layer = student.LayerNorm(5)
    parameters = dict(layer.named_parameters())
    assert set(parameters) == {"weight", "bias"}, (
        f"LayerNorm's parameters must be 'weight' and 'bias' (PyTorch's names), got {sorted(parameters)}")
    expect_close(parameters["weight"], np.ones(5), "LayerNorm(5).weight (initialize weight to ones)")
    expect_close(parameters["bias"], np.zeros(5), "LayerNorm(5).bias (initialize bias to zeros)")
    x = example(3, 5)
    with tinydl.no_grad():
        layer.weight.copy_(tinydl.tensor(example(5, seed=1)))
    y = layer(tinydl.tensor(x))
    expect_close(y, normalized(x, (-1,)) * example(5, seed=1), "LayerNorm(5)(x)")
    y.sum().backward()
    for name, p in parameters.items():
        assert p.grad is not None, (f"LayerNorm.{name}.grad is None after backward: "
                                    "pass it to LayerNormFunction.apply")


# ------------------------------------------------------------------ Task 5.3: BatchNormFunction
@task("5.3", points=3)
def test_batch_norm_forward(student) -> None:
    """Batch statistics over N for (N, C), over N and L for (N, C, L)."""
    for shape, axes in [((6, 3), (0,)), ((4, 3, 5), (0, 2))]:
        x, weight, bias = example(*shape), example(3, seed=1), example(3, seed=2)
        channel = (3,) if len(shape) == 2 else (3, 1)
        y = student.BatchNormFunction.apply(*(tinydl.tensor(a) for a in (x, weight, bias)), EPS)
        expected = normalized(x, axes) * weight.reshape(channel) + bias.reshape(channel)
        expect_close(y, expected,
                     f"BatchNormFunction forward on {shape} (each channel c is normalized with the mean and "
                     "biased variance of x[:, c] (and over L for (N, C, L) input))")


@task("5.3")
def test_batch_norm_gradients(student) -> None:
    """Strict float64 gradcheck of dx, dweight, dbias on (5, 3) and (3, 2, 4)."""
    reject_constant_statistics("BatchNormFunction", student.BatchNormFunction, example(3, 2, 4),
                               example(2, seed=1), (0, 2))
    for shape in [(5, 3), (3, 2, 4)]:
        c = shape[1]
        inputs = [tinydl.tensor(a, requires_grad=True) for a in (example(*shape), example(c, seed=1),
                                                                  example(c, seed=2))]
        function = student.BatchNormFunction
        expect_gradients(lambda x, weight, bias: function.apply(x, weight, bias, EPS), inputs,
                         f"BatchNormFunction.backward on {shape}")


# ------------------------------------------------------------------ Task 5.4: BatchNorm1d module
def trained_batch_norm(student, shape: tuple[int, ...]) -> tuple[object, list[np.ndarray]]:
    """A BatchNorm1d(3) after two training batches of ``shape``, and the batches."""
    layer = student.BatchNorm1d(3)
    batches = [example(*shape, seed=10), example(*shape, seed=11) * 0.5 - 1.0]
    layer.train()
    for batch in batches:
        layer(tinydl.tensor(batch))
    return layer, batches


@task("5.4", points=3)
def test_batch_norm_running_statistics(student) -> None:
    """running = (1 - momentum) * running + momentum * batch statistic; running_var is unbiased."""
    for shape, axes in [((6, 3), (0,)), ((4, 3, 5), (0, 2))]:
        layer, batches = trained_batch_norm(student, shape)
        running_mean, running_var, biased_var = np.zeros(3), np.ones(3), np.ones(3)
        for batch in batches:
            running_mean = 0.9 * running_mean + 0.1 * batch.mean(axis=axes)
            running_var = 0.9 * running_var + 0.1 * batch.var(axis=axes, ddof=1)
            biased_var = 0.9 * biased_var + 0.1 * batch.var(axis=axes)
        expect_close(layer.running_mean, running_mean,
                     f"running_mean after two batches of {shape} (running_mean = 0.9 * running_mean + 0.1 * "
                     "(the batch's mean), starting at zeros)")
        got_var = layer.running_var.detach().numpy()
        if np.allclose(got_var, biased_var, rtol=1e-5):
            raise AssertionError(
                f"wrong running variance after two batches of {shape}: running_var was updated with the "
                "biased batch variance (divided by n); PyTorch uses the unbiased one, divided by n - 1 "
                "(n values per channel), while the batch itself is normalized with the biased one")
        expect_close(got_var, running_var,
                     f"running_var after two batches of {shape} (wrong running variance: running_var = 0.9 "
                     "* running_var + 0.1 * (the batch's unbiased variance), starting at ones)")


@task("5.4")
def test_batch_norm_eval_uses_running_statistics(student) -> None:
    """In eval(): normalize with running_mean and running_var, and leave them unchanged."""
    layer, _ = trained_batch_norm(student, (6, 3))
    running_mean = layer.running_mean.detach().numpy().copy()
    running_var = layer.running_var.detach().numpy().copy()
    layer.eval()
    x = example(4, 3, seed=12)
    y = layer(tinydl.tensor(x))
    batch_statistics = normalized(x, (0,))
    if np.allclose(y.detach().numpy(), batch_statistics, atol=1e-4):
        raise AssertionError("in eval() BatchNorm1d normalized with the batch's own statistics: "
                             "use the running statistics (running_mean, running_var) instead")
    expect_close(y, (x - running_mean) / np.sqrt(running_var + EPS),
                 "BatchNorm1d(3).eval()(x) (in eval() use the running statistics: (x - running_mean) / "
                 "sqrt(running_var + eps))")
    expect_close(layer.running_mean, running_mean,
                 "running_mean after an eval() call (eval() must not update the running statistics)")
    one = layer(tinydl.tensor(x[:1]))
    expect_close(one, y.detach().numpy()[:1],
                 "BatchNorm1d in eval() on one sample (in eval() each sample's output must not depend on "
                 "the rest of the batch)")


@task("5.4")
def test_batch_norm_buffers_and_training_gradients(student) -> None:
    """Buffers running_mean/running_var in the state_dict; train() uses the batch's statistics."""
    layer = student.BatchNorm1d(3)
    state = layer.state_dict()
    for name, value in [("running_mean", np.zeros(3)), ("running_var", np.ones(3))]:
        assert name in state, (f"BatchNorm1d's state_dict has no '{name}': register it with "
                               f"self.register_buffer('{name}', ...) so that it is saved with the model")
        expect_close(state[name], value, f"a new BatchNorm1d(3).{name}")
    x = tinydl.tensor(example(6, 3), requires_grad=True)
    y = layer(x)
    expect_close(y, normalized(example(6, 3), (0,)), "BatchNorm1d(3) in train() mode")
    (y * tinydl.tensor(example(6, 3, seed=3))).sum().backward()
    assert x.grad is not None and layer.weight.grad is not None and layer.bias.grad is not None, (
        "after backward, x, weight and bias must have gradients: use BatchNormFunction in train()")
