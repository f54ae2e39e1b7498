"""The benchmark workloads and their contenders: tinydl, hand-written NumPy, PyTorch.

W1-W3 are MLPs; W4 is the small CNN of examples/cnn_vs_mlp.py (a
:class:`ConvWorkload`; its NumPy floor is in conv_floor.py).

Every contender starts from the same float32 weights and sees the same data
in the same order, so their losses agree (checked in run.py) and only speed
differs.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable

import numpy as np

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim
from benchmarks import conv_floor


@dataclasses.dataclass
class Workload:
    """One training run: data, layer sizes, batches per epoch, how many epochs (or steps) to time."""

    name: str
    description: str
    sizes: list[int]               # [in, hidden..., classes]
    x: np.ndarray                  # float32 (N, in)
    y: np.ndarray                  # int64 (N,)
    batch_size: int | None         # None: full batch
    epochs: int
    unit: str                      # "epoch" or "step": what one timed unit is
    lr: float = 1e-3

    def batches(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """One epoch's batches, in a fixed order (the same for every contender)."""
        if self.batch_size is None:
            return [(self.x, self.y)]
        order = np.random.default_rng(0).permutation(len(self.x))
        return [(self.x[order[i:i + self.batch_size]], self.y[order[i:i + self.batch_size]])
                for i in range(0, len(self.x), self.batch_size)]

    def initial_weights(self, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
        """PyTorch-style U(+-1/sqrt(fan_in)) weights (out, in) and biases, float32."""
        rng = np.random.default_rng(seed)
        layers = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1 / np.sqrt(fan_in)
            layers.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                           rng.uniform(-bound, bound, fan_out).astype(np.float32)))
        return layers


@dataclasses.dataclass
class ConvWorkload(Workload):
    """W4: images (N, 1, 16, 16) through the CNN conv(1->8) pool conv(8->16) pool linear(256->10)."""

    def initial_weights(self, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
        """PyTorch-style U(+-1/sqrt(fan_in)) for the two convs and the linear layer, float32."""
        rng = np.random.default_rng(seed)
        layers = []
        for shape in [(8, 1, 3, 3), (16, 8, 3, 3), (10, 256)]:
            bound = 1 / np.sqrt(np.prod(shape[1:]))
            layers.append((rng.uniform(-bound, bound, shape).astype(np.float32),
                           rng.uniform(-bound, bound, shape[0]).astype(np.float32)))
        return layers


def translated_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 digits, each at a fixed random place on a 16x16 canvas (as in examples/cnn_vs_mlp.py)."""
    from sklearn.datasets import load_digits

    from examples.cnn_vs_mlp import place_on_canvas

    digits = load_digits()
    return place_on_canvas(digits.images, 16, np.random.default_rng(0)), digits.target.astype(np.int64)


def make_workloads(quick: bool = False) -> list[Workload]:
    from sklearn.datasets import load_digits, make_moons
    from sklearn.model_selection import train_test_split

    x, y = make_moons(n_samples=1000, noise=0.2, random_state=42)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.2, random_state=42)
    digits = load_digits()
    digits_x = (digits.data - digits.data.mean(0)) / (digits.data.std(0) + 1e-6)
    rng = np.random.default_rng(0)
    return [
        Workload("W1 tutorial", "moons, MLP 2-64-128-64-2, full batch (800), Adam",
                 [2, 64, 128, 64, 2], x_train.astype(np.float32), y_train.astype(np.int64), None,
                 40 if quick else 200, "epoch"),
        Workload("W2 digits", "digits 1797x64, MLP 64-256-256-10, batch 64, Adam",
                 [64, 256, 256, 10], digits_x.astype(np.float32), digits.target.astype(np.int64), 64,
                 2 if quick else 20, "epoch"),
        Workload("W3 wide", "random 784-1024-1024-10, batch 256, Adam steps",
                 [784, 1024, 1024, 10], rng.standard_normal((256, 784), dtype=np.float32),
                 rng.integers(0, 10, 256).astype(np.int64), None, 10 if quick else 50, "step"),
        ConvWorkload("W4 cnn", "digits on a 16x16 canvas 1797x1x16x16, conv 1-8 pool conv 8-16 pool "
                     "linear 256-10, batch 64, Adam", [], *translated_digits(), 64, 1 if quick else 3, "epoch"),
    ]


# ---------------------------------------------------------------------- contenders
def training_loop(model: Any, optimizer: Any, loss_fn: Any, batches: list, epochs: int) -> float:
    """The tutorial's loop, word for word the same for tinydl and PyTorch; returns the last loss.

    ``loss.item()`` only at the end: one host sync (a GPU runs asynchronously until then).
    """
    for _ in range(epochs):
        for x, y in batches:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return loss.item()



class Contender:
    """Build from initial weights with ``setup``; ``train(epochs)`` runs; ``gradients`` for checks."""

    name = ""

    def setup(self, workload: Workload, device: str = "cpu") -> None:
        raise NotImplementedError

    def train(self, epochs: int) -> float:
        """Run ``epochs`` epochs; return the last loss."""
        raise NotImplementedError

    def gradients(self) -> list[np.ndarray]:
        """Gradients of the loss on the first batch, weight then bias for each layer."""
        raise NotImplementedError


class ModuleContender(Contender):
    """tinydl and PyTorch: a model, an optimizer and a loss, driven by the same code."""

    model: Any
    optimizer: Any
    loss_fn: Any
    batches: list

    def train(self, epochs: int) -> float:
        return training_loop(self.model, self.optimizer, self.loss_fn, self.batches, epochs)

    def gradients(self) -> list[np.ndarray]:
        x, y = self.batches[0]
        self.optimizer.zero_grad()
        self.loss_fn(self.model(x), y).backward()
        return [p.grad.cpu().numpy() for p in self.model.parameters()]


class Tinydl(ModuleContender):
    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.name = f"tinydl ({device})"

    def setup(self, workload: Workload, device: str = "cpu") -> None:
        if isinstance(workload, ConvWorkload):
            from examples.cnn_vs_mlp import cnn

            self.model = cnn(16)
        else:
            layers: list[nn.Module] = []
            for i, (fan_in, fan_out) in enumerate(zip(workload.sizes[:-1], workload.sizes[1:])):
                layers += [nn.Linear(fan_in, fan_out)] + ([nn.ReLU()] if i < len(workload.sizes) - 2 else [])
            self.model = nn.Sequential(*layers)
        weighted = [layer for layer in self.model if hasattr(layer, "weight")]
        for layer, (weight, bias) in zip(weighted, workload.initial_weights()):
            layer.load_state_dict({"weight": weight, "bias": bias})
        self.model.to(self.device)
        self.optimizer = optim.Adam(self.model.parameters(), lr=workload.lr)
        self.loss_fn = nn.CrossEntropyLoss()
        self.batches = [(tinydl.tensor(x, device=self.device), tinydl.tensor(y, device=self.device))
                        for x, y in workload.batches()]


    def dtypes(self) -> set:
        """Every dtype in the model, its grads and the optimizer state (float32 expected)."""
        found = {p.dtype.name for p in self.model.parameters()}
        found |= {p.grad.dtype.name for p in self.model.parameters() if p.grad is not None}
        for state in self.optimizer.state.values():
            found |= {v.dtype.name for v in state.values() if hasattr(v, "dtype")}
        return found


class NumpyFloor(Contender):
    """Hand-written forward, backward and Adam: no engine, no graph. The floor a NumPy engine can approach."""

    name = "numpy by hand"

    def setup(self, workload: Workload, device: str = "cpu") -> None:
        self.params = [array.copy() for layer in workload.initial_weights() for array in layer]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.step_count, self.lr = 0, workload.lr
        self.batches = workload.batches()
        if isinstance(workload, ConvWorkload):
            self.forward_backward = lambda x, y: conv_floor.loss_and_grads(self.params, x, y)
        else:
            self.forward_backward = self.loss_and_grads

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        weights, biases = self.params[0::2], self.params[1::2]
        activations = [x]
        h = x
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = h @ w.T
            z += b
            h = np.maximum(z, 0) if i < len(weights) - 1 else z
            activations.append(h)
        logits = activations.pop()
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.log(total[:, 0]).mean() - shifted[rows, y].mean())
        grad = exp / total                      # softmax - onehot, over N
        grad[rows, y] -= 1
        grad /= len(y)
        grads: list[np.ndarray] = []
        for i in range(len(weights) - 1, -1, -1):
            grads[:0] = [grad.T @ activations[i], grad.sum(axis=0)]
            if i:
                grad = grad @ weights[i]
                grad *= activations[i] > 0
        return loss, grads

    def adam(self, grads: list[np.ndarray], beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        """Adam written as a careful NumPy programmer would: in place, one scratch array per parameter."""
        self.step_count += 1
        step_size = self.lr / (1 - beta1 ** self.step_count)
        correction2_sqrt = np.sqrt(1 - beta2 ** self.step_count)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            scratch = g * (1 - beta1)
            m *= beta1
            m += scratch
            np.multiply(g, g, out=scratch)
            scratch *= 1 - beta2
            v *= beta2
            v += scratch
            np.sqrt(v, out=scratch)
            scratch += eps * correction2_sqrt
            np.divide(m, scratch, out=scratch)
            scratch *= step_size * correction2_sqrt
            p -= scratch

    def train(self, epochs: int) -> float:
        for _ in range(epochs):
            for x, y in self.batches:
                loss, grads = self.forward_backward(x, y)
                self.adam(grads)
        return loss

    def gradients(self) -> list[np.ndarray]:
        return self.forward_backward(*self.batches[0])[1]


class Torch(ModuleContender):
    name = "pytorch (cpu)"

    def __init__(self) -> None:
        import torch

        self.torch = torch

    def setup(self, workload: Workload, device: str = "cpu") -> None:
        torch = self.torch
        nn_ = torch.nn
        if isinstance(workload, ConvWorkload):
            layers: list[Any] = [nn_.Conv2d(1, 8, 3, padding=1), nn_.ReLU(), nn_.MaxPool2d(2),
                                 nn_.Conv2d(8, 16, 3, padding=1), nn_.ReLU(), nn_.MaxPool2d(2),
                                 nn_.Flatten(), nn_.Linear(256, 10)]
        else:
            layers = []
            for i, (fan_in, fan_out) in enumerate(zip(workload.sizes[:-1], workload.sizes[1:])):
                hidden = i < len(workload.sizes) - 2
                layers += [nn_.Linear(fan_in, fan_out)] + ([nn_.ReLU()] if hidden else [])
        with torch.no_grad():
            weighted = [layer for layer in layers if hasattr(layer, "weight")]
            for layer, (weight, bias) in zip(weighted, workload.initial_weights()):
                layer.weight.copy_(torch.from_numpy(weight))
                layer.bias.copy_(torch.from_numpy(bias))
        self.model = nn_.Sequential(*layers)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=workload.lr)
        self.loss_fn = nn_.CrossEntropyLoss()
        self.batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in workload.batches()]


def time_run(contender: Contender, workload: Workload, epochs: int,
             synchronize: Callable[[], None] = lambda: None) -> tuple[float, float]:
    """Fresh setup, then time ``epochs`` epochs; return (ms per unit, final loss)."""
    contender.setup(workload)
    synchronize()
    start = time.perf_counter()
    loss = contender.train(epochs)
    synchronize()
    elapsed = time.perf_counter() - start
    units = epochs * (len(workload.batches()) if workload.unit == "step" else 1)
    return 1000 * elapsed / units, loss
