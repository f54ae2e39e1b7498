"""Vanishing gradients: layer by layer in a deep sigmoid MLP against the same MLP with ReLU.

Backward multiplies the gradient, once per layer, by W^T and by the
activation's derivative. sigmoid'(x) <= 1/4, so after ten sigmoid layers the
gradient reaching the first layer is orders of magnitude smaller than at the
last one, and the first layers barely learn: the classic reason depth was
hard before ReLU (derivative 1 where active) and careful initialisation.

The per-layer numbers are read with hooks: ``h.register_hook(fn)`` on each
layer's output sees dL/dh as backward passes through it (``h.retain_grad()``
would keep it in ``h.grad`` instead). The figure shows the gradient norm per
layer at initialisation, and the training loss of both networks.

    python examples/vanishing_gradients.py --depth 10
"""
from __future__ import annotations

import sys
from typing import Callable

import numpy as np
from sklearn.datasets import make_moons

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim

try:
    from examples import common
except ImportError:
    import common


def deep_mlp(depth: int, width: int, activation: type) -> nn.Sequential:
    """2 -> width (x depth hidden layers, each followed by ``activation``) -> 2."""
    layers: list[nn.Module] = [nn.Linear(2, width), activation()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), activation()]
    layers.append(nn.Linear(width, 2))
    return nn.Sequential(*layers)


def gradient_norms(model: nn.Sequential, x: tinydl.Tensor, y: tinydl.Tensor) -> list[float]:
    """||dL/dh|| for the output h of every Linear layer, first layer first, via tensor hooks."""
    norms: dict[int, float] = {}
    h = x
    for layer in model:
        h = layer(h)
        if isinstance(layer, nn.Linear):
            h.register_hook(_recorder(norms, len(norms)))
            norms[len(norms)] = float("nan")
    loss = nn.functional.cross_entropy(h, y)
    model.zero_grad()
    loss.backward()
    return [norms[number] for number in range(len(norms))]


def _recorder(norms: dict[int, float], number: int) -> Callable[[tinydl.Tensor], None]:
    """A tensor hook that stores ||dL/dh|| under ``number`` when backward passes through h."""
    def record(grad: tinydl.Tensor) -> None:
        norms[number] = float((grad * grad).sum().sqrt())
    return record


def train(model: nn.Module, x: tinydl.Tensor, y: tinydl.Tensor, epochs: int) -> list[float]:
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(epochs):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def main(argv: list[str] | None = None) -> dict:
    parser = common.make_parser(__doc__.splitlines()[0], epochs=100)
    parser.add_argument("--depth", type=int, default=10, help="hidden layers (default 10)")
    parser.add_argument("--width", type=int, default=32, help="units per hidden layer (default 32)")
    parser.add_argument("--init", choices=["kaiming", "default"], default="kaiming",
                        help="weight init of both networks: He (kaiming_normal_, default) or nn.Linear's own")
    args = parser.parse_args(argv)
    common.setup(args)

    points, labels = make_moons(n_samples=256, noise=0.1, random_state=args.seed)
    x = tinydl.tensor(points, dtype=tinydl.float32, device=args.device)
    y = tinydl.tensor(labels, device=args.device)

    result: dict = {"norms": {}, "losses": {}}
    for name, activation in (("sigmoid", nn.Sigmoid), ("relu", nn.ReLU)):  # same init, same data
        tinydl.manual_seed(args.seed)  # the same initial weights for both networks
        model = deep_mlp(args.depth, args.width, activation)
        if args.init == "kaiming":  # He et al. 2015: keeps ReLU activations' variance constant with depth
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                    nn.init.zeros_(layer.bias)
        model = model.to(args.device)
        norms = gradient_norms(model, x, y)
        result["norms"][name] = norms
        result["losses"][name] = train(model, x, y, args.epochs)
        ratio = norms[0] / norms[-1]
        print(f"{name:>7}: ||dL/dh|| first layer {norms[0]:.2e}, last layer {norms[-1]:.2e} "
              f"(ratio {ratio:.1e}); loss after {args.epochs} epochs {result['losses'][name][-1]:.4f}")

    if not args.no_plot:
        plt = common.pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        for name, norms in result["norms"].items():
            axes[0].semilogy(np.arange(1, len(norms) + 1), norms, marker="o", label=name)
        axes[0].set_title(f"Gradient norm per layer at initialisation (depth {args.depth})")
        axes[0].set_xlabel("Linear layer (1 = nearest the input)")
        axes[0].set_ylabel("||dL/d(layer output)||")
        axes[0].legend()
        common.plot_curves(axes[1], result["losses"], "Training loss (SGD, lr 0.5)", "cross-entropy")
        result["figures"] = [common.save_figure(fig, args.out, "vanishing_gradients.png")]
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
