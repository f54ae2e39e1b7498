"""The tutorial's DeepMLP on make_moons, written in tinydl.

2 -> 64 -> 128 -> 64 -> 2 with ReLU, CrossEntropyLoss, Adam (lr 1e-3), 200
full-batch epochs on 1000 noisy moons, as in "A Simple Deep Network in
PyTorch". It prints the tutorial's progress lines and test accuracy, and
saves the decision boundary and the training curves.

The tutorial's second exercise, a 5th hidden layer of 256 units:

    python examples/moons_mlp.py --hidden 64,128,64,256
"""
from __future__ import annotations

import statistics
import sys
import time

from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim

try:
    from examples import common
except ImportError:
    import common


class DeepMLP(nn.Module):
    """Linear + ReLU for each hidden width, then a Linear to 2 classes."""

    def __init__(self, hidden: list[int]) -> None:
        super().__init__()
        self.network = nn.Sequential(*common.mlp_layers(2, hidden, 2))

    def forward(self, x: tinydl.Tensor) -> tinydl.Tensor:
        return self.network(x)


def train(hidden: list[int], data: tuple, epochs: int, device: str, verbose: bool = True) -> dict:
    """The tutorial's training loop; the test set is scored every epoch too (for the curves)."""
    inputs, labels, test_inputs, test_labels = data
    model = DeepMLP(hidden).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    curves: dict[str, list[float]] = {name: [] for name in
                                      ("losses", "accuracies", "test_losses", "test_accuracies")}
    start = time.perf_counter()
    for epoch in range(epochs):
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curves["losses"].append(loss.item())
        curves["accuracies"].append(common.accuracy(outputs, labels))
        with tinydl.no_grad():
            test_outputs = model(test_inputs)
            curves["test_losses"].append(criterion(test_outputs, test_labels).item())
            curves["test_accuracies"].append(common.accuracy(test_outputs, test_labels))
        if verbose and ((epoch + 1) % 50 == 0 or epoch + 1 == epochs):
            print(f"Epoch {epoch+1}: Loss={curves['losses'][-1]:.4f}, Acc={curves['accuracies'][-1]:.4f}  "
                  f"({time.perf_counter() - start:.2f}s)")
    training_time = time.perf_counter() - start
    with tinydl.no_grad():
        test_accuracy = common.accuracy(model(test_inputs), test_labels)
    return {"model": model, "test_accuracy": test_accuracy, "training_time": training_time, **curves}


def main(argv: list[str] | None = None) -> dict:
    parser = common.make_parser(__doc__.splitlines()[0], epochs=200)
    common.add_hidden_option(parser, "64,128,64")
    parser.add_argument("--samples", type=int, default=1000, help="number of points")
    parser.add_argument("--repeats", type=int, default=1,
                        help="train this many times (weights seeded seed, seed+1, ...) and report the median "
                             "time and the mean accuracy: one run's time is too noisy to compare two models")
    args = parser.parse_args(argv)
    common.setup(args)
    hidden = args.hidden

    x, y = make_moons(n_samples=args.samples, noise=0.2, random_state=42)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=args.seed)
    data = (tinydl.FloatTensor(x_train).to(args.device), tinydl.LongTensor(y_train).to(args.device),
            tinydl.FloatTensor(x_test).to(args.device), tinydl.LongTensor(y_test).to(args.device))

    parameters = common.count_parameters(DeepMLP(hidden))
    print(f"DeepMLP 2-{'-'.join(map(str, hidden))}-2: {parameters} parameters, device {args.device}")
    runs = []
    for repeat in range(args.repeats):
        tinydl.manual_seed(args.seed + repeat)   # each run's weights from its own seed (the first: --seed)
        runs.append(train(hidden, data, args.epochs, args.device, verbose=repeat == 0))
        if args.repeats > 1:
            print(f"run {repeat + 1}/{args.repeats} (seed {args.seed + repeat}): training time "
                  f"{runs[-1]['training_time']:.2f}s, test accuracy {runs[-1]['test_accuracy']:.4f}")
    run = runs[0]
    print(f"\nTest Accuracy: {run['test_accuracy']:.4f}")
    times = [r["training_time"] for r in runs]
    accuracies = [r["test_accuracy"] for r in runs]
    if args.repeats > 1:
        print(f"over {args.repeats} runs: training time median {statistics.median(times):.2f}s "
              f"(min {min(times):.2f}s, max {max(times):.2f}s), "
              f"test accuracy mean {statistics.mean(accuracies):.4f} "
              f"(min {min(accuracies):.4f}, max {max(accuracies):.4f})")

    result = {"test_accuracy": run["test_accuracy"], "parameters": parameters,
              "training_time": statistics.median(times), "training_times": times,
              "test_accuracies": accuracies,
              **{key: run[key] for key in ("losses", "accuracies", "test_losses")},
              "test_accuracy_curve": run["test_accuracies"]}
    if not args.no_plot:
        model = run["model"]
        plt = common.pyplot()
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        common.plot_decision_boundary(ax, common.model_predictor(model, args.device), x_test, y_test,
                                      f"DeepMLP on moons (test points): {run['test_accuracy']:.1%}")
        boundary = common.save_figure(fig, args.out, "moons_boundary.png")
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        common.plot_curves(axes[0], {"training": run["losses"], "test": run["test_losses"]}, "Loss",
                           "cross-entropy")
        common.plot_curves(axes[1], {"training": run["accuracies"], "test": run["test_accuracies"]},
                           "Accuracy", "accuracy")
        result["figures"] = [boundary, common.save_figure(fig, args.out, "moons_curves.png")]
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
