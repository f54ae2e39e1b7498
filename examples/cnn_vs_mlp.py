"""CNN vs MLP with the same parameter budget, on digits that wander around a larger canvas.

The tutorial's exercise 4: compare a CNN with an MLP and say what the CNN's
inductive bias buys. On scikit-learn's 8x8 digits, centred, both do well.
So each digit is pasted at a random place on a 16x16 canvas (a fresh place
every epoch for training; fixed places for the test set): now the same
stroke can appear anywhere. The CNN's kernels are slid over the whole image
(the same weights at every position) and max pooling forgets small shifts;
the MLP has one weight per pixel and must learn every digit at every position
from examples. Both get about the same number of parameters, the same
optimizer, batches and epochs. No download: the data ships with scikit-learn.

After 15 epochs the CNN classifies about 89% of the test digits and the MLP
about 35%; with --canvas 8 (digits centred) both reach about 97%.

    python examples/cnn_vs_mlp.py               # --canvas 8 puts the digits back in the centre
"""
from __future__ import annotations

import argparse
import sys
import textwrap
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim

try:
    from examples import common
except ImportError:
    import common


def place_on_canvas(digits: np.ndarray, canvas: int, rng: np.random.Generator) -> np.ndarray:
    """Paste each 8x8 digit (values 0..16) at a random offset of a canvas x canvas image in [0, 1]."""
    images = np.zeros((len(digits), 1, canvas, canvas), dtype=np.float32)
    rows, columns = rng.integers(0, canvas - 8 + 1, (2, len(digits)))
    for image, digit, row, column in zip(images, digits, rows, columns):
        image[0, row:row + 8, column:column + 8] = digit / 16
    return images


def canvas_statistics(digits: np.ndarray, canvas: int) -> tuple[float, float]:
    """Mean and std of the pixels of the canvases: the digits' pixels plus zeros, wherever they land."""
    pixels = len(digits) * canvas * canvas
    mean = (digits / 16).sum() / pixels
    return float(mean), float(np.sqrt(((digits / 16) ** 2).sum() / pixels - mean ** 2))


def cnn(canvas: int) -> nn.Sequential:
    """Two 3x3 conv layers (8 and 16 channels) with 2x2 max pooling, then one Linear layer."""
    side = canvas // 4
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # (N, 8, c/2, c/2)
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # (N, 16, c/4, c/4)
                         nn.Flatten(), nn.Linear(16 * side * side, 10))


def mlp(canvas: int, budget: int) -> nn.Sequential:
    """canvas^2 -> hidden -> 10, hidden chosen so the parameters match ``budget``: (p + 11) h + 10."""
    pixels = canvas * canvas
    hidden = max(1, round((budget - 10) / (pixels + 11)))
    return nn.Sequential(nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def evaluate(model: nn.Module, x: tinydl.Tensor, y: tinydl.Tensor) -> float:
    model.eval()
    with tinydl.no_grad():
        return common.accuracy(model(x), y)


def train(name: str, model: nn.Module, data: dict, args: argparse.Namespace) -> dict:
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(args.seed)   # the same placements and batch order for both models
    train_accuracies, test_accuracies = [], []
    print(f"{name}: {common.count_parameters(model)} parameters")
    progress = common.Progress(args.epochs, every=max(1, args.epochs // 4))
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        images = (place_on_canvas(data["digits_train"], args.canvas, rng) - data["mean"]) / data["std"]
        images = tinydl.tensor(images, device=args.device)
        order = rng.permutation(len(images))
        model.train()
        total = 0.0
        for first in range(0, len(order), args.batch_size):
            batch = tinydl.tensor(order[first:first + args.batch_size], device=args.device)
            loss = loss_fn(model(images[batch]), data["y_train"][batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        train_accuracies.append(evaluate(model, images, data["y_train"]))
        test_accuracies.append(evaluate(model, data["x_test"], data["y_test"]))
        progress(epoch, total / len(order), test_accuracies[-1])
    return {"parameters": common.count_parameters(model), "time": time.perf_counter() - start,
            "train_accuracies": train_accuracies, "test_accuracies": test_accuracies,
            "test_accuracy": test_accuracies[-1], "model": model}


def plot(results: dict, test_images: np.ndarray, args: argparse.Namespace) -> list[str]:
    plt = common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    curves = {}
    for name, r in results.items():
        curves[f"{name} train"] = r["train_accuracies"]
        curves[f"{name} test"] = r["test_accuracies"]
    common.plot_curves(axes[0], curves, f"Digits on a {args.canvas}x{args.canvas} canvas", "accuracy")
    side = args.canvas
    grid = test_images[:16, 0].reshape(4, 4, side, side).transpose(0, 2, 1, 3).reshape(4 * side, 4 * side)
    axes[1].imshow(grid, cmap="gray")
    axes[1].set_title("test digits, where they landed")
    axes[1].axis("off")
    paths = [common.save_figure(fig, args.out, "cnn_vs_mlp_accuracy.png")]

    filters = results["CNN"]["model"][0].weight.detach().cpu().numpy()[:, 0]      # (8, 3, 3)
    fig, axes = plt.subplots(1, len(filters), figsize=(1.3 * len(filters), 1.6))
    for k, (ax, kernel) in enumerate(zip(axes, filters)):
        ax.imshow(kernel, cmap="RdBu_r", vmin=-abs(filters).max(), vmax=abs(filters).max())
        ax.set_title(f"filter {k}", fontsize=8)
        ax.axis("off")
    fig.suptitle("The CNN's first-layer 3x3 filters (red +, blue -)", fontsize=9)
    paths.append(common.save_figure(fig, args.out, "cnn_vs_mlp_filters.png"))
    return paths


def conclusion(results: dict, canvas: int) -> str:
    """What the numbers say about the CNN's inductive bias."""
    cnn_accuracy, mlp_accuracy = results["CNN"]["test_accuracy"], results["MLP"]["test_accuracy"]
    summary = (f"With {results['CNN']['parameters']} and {results['MLP']['parameters']} parameters, the CNN "
               f"classifies {cnn_accuracy:.1%} of the test digits and the MLP {mlp_accuracy:.1%}.")
    if canvas == 8:
        return (summary + " The digits sit where they always sit, so there is no translation to exploit: "
                "the CNN's prior buys little here. Run with --canvas 16 to let them wander.")
    return (summary + " The CNN slides each 3x3 filter over every position (a stroke is a stroke "
            "wherever it is) and max pooling forgets small shifts: translation is built into the "
            "architecture, so its parameters all go to telling digits apart. The MLP has one weight per "
            "pixel and must learn every digit at every position from examples; with the same budget it "
            "cannot. That built-in assumption is the CNN's inductive bias, and it pays exactly when the "
            "data has the structure assumed: with --canvas 8 (digits centred) the two are about even.")


def main(argv: list[str] | None = None) -> dict:
    parser = common.make_parser(__doc__.splitlines()[0], epochs=15)
    parser.add_argument("--canvas", type=int, default=16,
                        help="canvas side in pixels, a multiple of 4 >= 8 (8: the digits stay centred)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per mini-batch")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate, for both models")
    args = parser.parse_args(argv)
    if args.canvas < 8 or args.canvas % 4:
        parser.error("--canvas must be a multiple of 4, at least 8")
    common.setup(args)

    digits = load_digits()
    digits_train, digits_test, y_train, y_test = train_test_split(
        digits.images, digits.target, test_size=0.3, random_state=args.seed, stratify=digits.target)
    test_images = place_on_canvas(digits_test, args.canvas, np.random.default_rng(args.seed + 1))

    mean, std = canvas_statistics(digits_train, args.canvas)   # standardise with the training set's numbers
    data = {"digits_train": digits_train, "y_train": tinydl.tensor(y_train, device=args.device),
            "mean": mean, "std": std, "x_test": tinydl.tensor((test_images - mean) / std, device=args.device),
            "y_test": tinydl.tensor(y_test, device=args.device)}

    conv_net = cnn(args.canvas).to(args.device)
    dense_net = mlp(args.canvas, common.count_parameters(conv_net)).to(args.device)
    results = {"CNN": train("CNN", conv_net, data, args), "MLP": train("MLP", dense_net, data, args)}

    print("\n| model | parameters | time (s) | train acc | test acc |\n|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['parameters']} | {r['time']:.2f} | {r['train_accuracies'][-1]:.4f} | "
              f"{r['test_accuracy']:.4f} |")
    print("\n" + textwrap.fill(conclusion(results, args.canvas), 100))

    if not args.no_plot:
        results["figures"] = plot(results, test_images, args)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
