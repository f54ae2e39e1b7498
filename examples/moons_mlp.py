"""The tutorial's DeepMLP on make_moons, written in tinydl.

2 -> 64 -> 128 -> 64 -> 2 with ReLU, CrossEntropyLoss, Adam (lr 1e-3), 200
full-batch epochs on 1000 noisy moons, as in "A Simple Deep Network in
PyTorch". It prints the tutorial's progress lines and test accuracy, and
saves the decision boundary and the training curves.

The tutorial's second exercise, a 5th hidden layer of 256 units:

    python examples/moons_mlp.py --hidden 64,128,64,256
"""
from __future__ import annotations

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
        layers: list[nn.Module] = []
        width = 2
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, 2))
        self.network = nn.Sequential(*layers)

    def forward(self, x: tinydl.Tensor) -> tinydl.Tensor:
        return self.network(x)


def main(argv: list[str] | None = None) -> dict:
    parser = common.make_parser(__doc__.splitlines()[0], epochs=200)
    parser.add_argument("--hidden", default="64,128,64", help="hidden widths, comma-separated (default 64,128,64)")
    parser.add_argument("--samples", type=int, default=1000, help="number of points (default 1000)")
    args = parser.parse_args(argv)
    common.setup(args)
    hidden = [int(width) for width in args.hidden.split(",") if width]

    x, y = make_moons(n_samples=args.samples, noise=0.2, random_state=42)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=args.seed)
    inputs = tinydl.FloatTensor(x_train).to(args.device)
    labels = tinydl.LongTensor(y_train).to(args.device)
    test_inputs = tinydl.FloatTensor(x_test).to(args.device)
    test_labels = tinydl.LongTensor(y_test).to(args.device)

    model = DeepMLP(hidden).to(args.device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    parameters = common.count_parameters(model)
    print(f"DeepMLP 2-{'-'.join(map(str, hidden))}-2: {parameters} parameters, device {args.device}")

    losses, accuracies = [], []
    start = time.perf_counter()
    for epoch in range(args.epochs):
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        accuracies.append(common.accuracy(outputs, labels))
        if (epoch + 1) % 50 == 0 or epoch + 1 == args.epochs:
            print(f"Epoch {epoch+1}: Loss={losses[-1]:.4f}, Acc={accuracies[-1]:.4f}  "
                  f"({time.perf_counter() - start:.2f}s)")
    training_time = time.perf_counter() - start

    with tinydl.no_grad():
        test_accuracy = common.accuracy(model(test_inputs), test_labels)
    print(f"\nTest Accuracy: {test_accuracy:.4f}")
    print(f"parameters {parameters}, training time {training_time:.2f}s, test accuracy {test_accuracy:.4f}")

    result = {"test_accuracy": test_accuracy, "parameters": parameters, "training_time": training_time,
              "losses": losses, "accuracies": accuracies}
    if not args.no_plot:
        plt = common.pyplot()
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        common.plot_decision_boundary(ax, common.model_predictor(model, args.device), x_test, y_test,
                                      f"DeepMLP on moons (test points): {test_accuracy:.1%}")
        boundary = common.save_figure(fig, args.out, "moons_boundary.png")
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        common.plot_curves(axes[0], {"training loss": losses}, "Loss", "cross-entropy")
        common.plot_curves(axes[1], {"training accuracy": accuracies}, "Accuracy", "accuracy")
        result["figures"] = [boundary, common.save_figure(fig, args.out, "moons_curves.png")]
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
