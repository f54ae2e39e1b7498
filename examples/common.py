"""What every example shares: its command-line options, progress lines, and figure helpers."""
from __future__ import annotations

import argparse
import os
import pathlib
import time
from typing import Any, Callable, Sequence

import numpy as np

import tinydl
import tinydl.nn  # noqa: F401  (mlp_layers)


def make_parser(description: str, epochs: int) -> argparse.ArgumentParser:
    """The options every example takes: --device --seed --epochs --out --no-plot.

    ``--help`` shows every option's default (ArgumentDefaultsHelpFormatter), so
    help texts do not repeat them.
    """
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda"], default=os.environ.get("TINYDL_DEVICE", "cpu"),
                        help="where tensors live ($TINYDL_DEVICE sets the default)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for data, weights and shuffling")
    parser.add_argument("--epochs", type=int, default=epochs, help="training epochs")
    parser.add_argument("--out", default="out", help="folder for the figures (out/ is ignored by git)")
    parser.add_argument("--no-plot", action="store_true", help="skip the figures")
    return parser


def add_hidden_option(parser: argparse.ArgumentParser, default: str, what: str = "the hidden layers") -> None:
    """--hidden: the same comma-separated list of widths in every example, e.g. --hidden 64,128,64."""
    # a string default goes through `type` too, and --help shows it as the user types it
    parser.add_argument("--hidden", type=widths, default=default,
                        help=f"widths of {what}, comma-separated, one number per hidden layer")


def widths(text: str) -> list[int]:
    """"64,128,64" -> [64, 128, 64]; refuses anything but positive integers."""
    try:
        values = [int(width) for width in text.split(",") if width.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive widths separated by commas, like 64,128,64; got {text!r}")
    return values


def setup(args: argparse.Namespace) -> None:
    """Seed everything and make the output folder."""
    tinydl.manual_seed(args.seed)
    np.random.seed(args.seed)
    if not args.no_plot:
        pathlib.Path(args.out).mkdir(parents=True, exist_ok=True)


class Progress:
    """Prints `epoch 50/200  loss 0.2134  acc 0.9038  0.4s` every `every` epochs."""

    def __init__(self, total: int, every: int) -> None:
        self.total, self.every, self.start = total, max(1, every), time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def __call__(self, epoch: int, loss: float, accuracy: float) -> None:
        if epoch % self.every == 0 or epoch == self.total:
            print(f"epoch {epoch:4d}/{self.total}  loss {loss:.4f}  acc {accuracy:.4f}  {self.elapsed():.1f}s")


def mlp_layers(width_in: int, hidden: list[int], width_out: int, activation: type = tinydl.nn.ReLU,
               dropout: float = 0.0) -> list[tinydl.nn.Module]:
    """Linear + activation (+ Dropout) for each hidden width, then a Linear to ``width_out``."""
    layers: list[tinydl.nn.Module] = []
    for size_in, size_out in zip([width_in] + hidden, hidden):
        layers += [tinydl.nn.Linear(size_in, size_out), activation()]
        if dropout:
            layers.append(tinydl.nn.Dropout(dropout))
    layers.append(tinydl.nn.Linear(([width_in] + hidden)[-1], width_out))
    return layers


def accuracy(logits: tinydl.Tensor, labels: tinydl.Tensor) -> float:
    return (logits.argmax(1) == labels).float().mean().item()


def count_parameters(model: tinydl.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------ figures
def pyplot() -> Any:
    """matplotlib's pyplot on the non-interactive Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, out: str, name: str) -> str:
    path = str(pathlib.Path(out) / name)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    pyplot().close(fig)
    print(f"saved {path}")
    return path


def plot_decision_boundary(ax: Any, predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                           y: np.ndarray, title: str, resolution: int = 200) -> None:
    """Shade the plane by predicted class and scatter the data on top."""
    pad = 0.5
    xs = np.linspace(x[:, 0].min() - pad, x[:, 0].max() + pad, resolution)
    ys = np.linspace(x[:, 1].min() - pad, x[:, 1].max() + pad, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    predicted = predict(grid).reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, predicted, alpha=0.3, cmap="coolwarm", levels=np.unique(predicted).size)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=18)
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def model_predictor(model: tinydl.nn.Module, device: str) -> Callable[[np.ndarray], np.ndarray]:
    """A function numpy points -> predicted class, for plot_decision_boundary."""
    def predict(points: np.ndarray) -> np.ndarray:
        with tinydl.no_grad():
            logits = model(tinydl.tensor(points, dtype=tinydl.float32, device=device))
        return logits.argmax(1).cpu().numpy()
    return predict


def plot_curves(ax: Any, series: dict[str, Sequence[float]], title: str, ylabel: str) -> None:
    for label, values in series.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend()
