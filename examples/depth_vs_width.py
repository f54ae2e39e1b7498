"""Depth vs width: one wide hidden layer against a deep narrow stack with the same parameter budget.

The tutorial's last exercise asks why we don't just use very wide single
layers, since one hidden layer can approximate anything. Here both models get
about the same number of parameters on the same task (noisy concentric
circles), the same optimizer and epochs; the table shows parameters, time
and accuracy, and the figure both learning curves.

    python examples/depth_vs_width.py
"""
from __future__ import annotations

import math
import sys
import time

from sklearn.datasets import make_circles
from sklearn.model_selection import train_test_split

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim

try:
    from examples import common
except ImportError:
    import common


def mlp(widths: list[int]) -> nn.Sequential:
    """2 -> widths... -> 2 with ReLU between the layers."""
    return nn.Sequential(*common.mlp_layers(2, widths, 2))


def wide_width_for_budget(budget: int) -> int:
    """A single hidden layer of width w has 2w + w + 2w + 2 = 5w + 2 parameters."""
    return max(1, round((budget - 2) / 5))


def train(model: nn.Module, data: tuple, epochs: int) -> dict:
    x_train, y_train, x_test, y_test = data
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    losses, test_accuracies = [], []
    progress = common.Progress(epochs, every=max(1, epochs // 3))
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        loss = loss_fn(model(x_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        with tinydl.no_grad():
            test_accuracies.append(common.accuracy(model(x_test), y_test))
        progress(epoch, losses[-1], test_accuracies[-1])
    elapsed = time.perf_counter() - start
    with tinydl.no_grad():
        train_accuracy = common.accuracy(model(x_train), y_train)
    return {"losses": losses, "test_accuracies": test_accuracies, "time": elapsed,
            "train_accuracy": train_accuracy, "test_accuracy": test_accuracies[-1],
            "parameters": common.count_parameters(model)}


def lesson(results: dict, test_count: int) -> str:
    """What the table means, in words, for the numbers this run produced (the tutorial's exercise 5)."""
    (wide_name, wide), (deep_name, deep) = results.items()
    difference = deep["test_accuracy"] - wide["test_accuracy"]
    mean = (deep["test_accuracy"] + wide["test_accuracy"]) / 2
    # two standard errors of an accuracy measured on test_count points: differences below it are chance
    noise = 2 * math.sqrt(max(mean * (1 - mean), 1e-4) / test_count)
    if abs(difference) <= noise:
        verdict = (f"the same within noise (a difference of {difference:+.3f}; {test_count} test points "
                   f"cannot tell apart less than about {noise:.3f})")
    else:
        better = "deep" if difference > 0 else "wide"
        verdict = f"the {better} model is better by {abs(difference):.3f}, more than the noise of {noise:.3f}"
    return (
        f"What this means (the tutorial's exercise 5): with the same budget ({wide['parameters']} and "
        f"{deep['parameters']} parameters) the wide model scored {wide['test_accuracy']:.3f} on the test set "
        f"and the deep one {deep['test_accuracy']:.3f}: {verdict}.\n"
        "The universal approximation theorem says one wide hidden layer CAN fit any function, not that it "
        "does so with few parameters or from few examples. Two noisy circles have a smooth boundary, so one "
        "layer is enough here; a target made of repeated pieces (a spiral's turns, a checkerboard's squares) "
        "needs units for every piece in a single layer, while a deep net reuses its pieces layer after layer "
        "(statistically: fewer parameters to learn from the same data).\n"
        f"Computationally: the wide model took {wide['time']:.2f}s and the deep one {deep['time']:.2f}s. "
        "The wide layer is one large matrix product; the deep stack is several small ones that must run "
        "one after another, so depth costs latency per step even at an equal parameter count.")


def main(argv: list[str] | None = None) -> dict:
    parser = common.make_parser(__doc__.splitlines()[0], epochs=300)
    common.add_hidden_option(parser, "32,32,32,32", what="the deep model's hidden layers (the wide model "
                                                      "gets one layer with the same parameter count)")
    args = parser.parse_args(argv)
    common.setup(args)

    x, y = make_circles(n_samples=1000, noise=0.2, factor=0.6, random_state=args.seed)
    splits = train_test_split(x, y, test_size=0.3, random_state=args.seed)
    x_train, x_test, y_train, y_test = splits
    data = (tinydl.FloatTensor(x_train).to(args.device), tinydl.LongTensor(y_train).to(args.device),
            tinydl.FloatTensor(x_test).to(args.device), tinydl.LongTensor(y_test).to(args.device))

    deep_widths = args.hidden
    deep = mlp(deep_widths).to(args.device)
    wide_width = wide_width_for_budget(common.count_parameters(deep))
    wide = mlp([wide_width]).to(args.device)
    results = {}
    for name, model in ((f"wide 2-{wide_width}-2", wide), (f"deep 2-{'-'.join(map(str, deep_widths))}-2", deep)):
        print(f"{name} ({common.count_parameters(model)} parameters), test accuracy in the progress lines:")
        results[name] = train(model, data, args.epochs)

    print("\n| model | parameters | time (s) | train acc | test acc |\n|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['parameters']} | {r['time']:.2f} | {r['train_accuracy']:.4f} | {r['test_accuracy']:.4f} |")

    print("\n" + lesson(results, test_count=len(y_test)))

    if not args.no_plot:
        plt = common.pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        common.plot_curves(axes[0], {name: r["losses"] for name, r in results.items()}, "Training loss",
                           "cross-entropy")
        common.plot_curves(axes[1], {name: r["test_accuracies"] for name, r in results.items()},
                           "Test accuracy", "accuracy")
        results["figures"] = [common.save_figure(fig, args.out, "depth_vs_width.png")]
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
