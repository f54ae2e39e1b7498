"""An MLP reads handwritten digits: scikit-learn's 8x8 digits, mini-batches from a DataLoader.

1797 images of 8x8 pixels, standardised with the training set's mean and
standard deviation, 64 -> 128 -> 10 with ReLU and dropout, Adam, batches of
64. Reaches about 97% test accuracy in a few seconds, then saves a
confusion matrix and a grid of test images with the predicted labels.

    python examples/digits_mlp.py
"""
from __future__ import annotations

import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim
from tinydl.data import DataLoader, TensorDataset

try:
    from examples import common
except ImportError:
    import common


MAX_MISTAKES_SHOWN = 8


def digits_to_show(predicted: np.ndarray, truth: np.ndarray, count: int) -> list[int]:
    """Test indices for the predictions grid: up to MAX_MISTAKES_SHOWN mistakes, the rest correct ones.

    The first ``count`` test images would usually all be right (97%); a grid
    that shows what the model gets wrong teaches more.
    """
    wrong = np.flatnonzero(predicted != truth)[:MAX_MISTAKES_SHOWN]
    right = np.flatnonzero(predicted == truth)[:count - len(wrong)]
    return sorted(np.concatenate([wrong, right]).tolist())


def main(argv: list[str] | None = None) -> dict:
    parser = common.make_parser(__doc__.splitlines()[0], epochs=30)
    parser.add_argument("--batch-size", type=int, default=64, help="images per mini-batch")
    common.add_hidden_option(parser, "128")
    args = parser.parse_args(argv)
    common.setup(args)

    digits = load_digits()
    x_train, x_test, y_train, y_test, images_train, images_test = train_test_split(
        digits.data, digits.target, digits.images, test_size=0.25, random_state=args.seed,
        stratify=digits.target)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6   # statistics of the training set only
    to_tensor = lambda a: tinydl.tensor((a - mean) / std, dtype=tinydl.float32, device=args.device)  # noqa: E731
    train_set = TensorDataset(to_tensor(x_train), tinydl.tensor(y_train, device=args.device))
    test_x, test_y = to_tensor(x_test), tinydl.tensor(y_test, device=args.device)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)

    model = nn.Sequential(*common.mlp_layers(64, args.hidden, 10, dropout=0.2)).to(args.device)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    progress = common.Progress(args.epochs, every=max(1, args.epochs // 6))
    losses, test_accuracies = [], []
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, count = 0.0, 0
        for inputs, labels in loader:
            loss = loss_fn(model(inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            count += len(labels)
        model.eval()
        with tinydl.no_grad():
            test_accuracies.append(common.accuracy(model(test_x), test_y))
        losses.append(total / count)
        progress(epoch, losses[-1], test_accuracies[-1])

    with tinydl.no_grad():
        predicted = model(test_x).argmax(1).cpu().numpy()
    test_accuracy = float((predicted == y_test).mean())
    print(f"Test accuracy: {test_accuracy:.4f} ({int((predicted == y_test).sum())}/{len(y_test)} digits)")
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test, predicted), 1)

    result = {"test_accuracy": test_accuracy, "confusion": confusion, "losses": losses}
    if not args.no_plot:
        plt = common.pyplot()
        fig, ax = plt.subplots(figsize=(5.5, 5))
        ax.imshow(confusion, cmap="Blues")
        for (i, j), n in np.ndenumerate(confusion):
            if n:
                ax.text(j, i, str(n), ha="center", va="center", color="white" if n > confusion.max() / 2 else "black")
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("true digit")
        ax.set_title(f"Digits confusion matrix (test accuracy {test_accuracy:.1%})")
        confusion_path = common.save_figure(fig, args.out, "digits_confusion.png")

        fig, axes = plt.subplots(4, 8, figsize=(9, 5.4))
        shown = digits_to_show(predicted, y_test, count=axes.size)
        for ax, index in zip(axes.ravel(), shown):
            truth, guess = y_test[index], predicted[index]
            ax.imshow(images_test[index], cmap="gray_r")
            ax.set_title(f"{guess}" if guess == truth else f"{guess} (is {truth})",
                         color="black" if guess == truth else "red", fontsize=9)
            ax.axis("off")
        mistakes = int((predicted != y_test).sum())
        fig.suptitle(f"Test digits with predicted labels: {min(mistakes, MAX_MISTAKES_SHOWN)} of the "
                     f"{mistakes} mistakes in red")
        result["figures"] = [confusion_path, common.save_figure(fig, args.out, "digits_predictions.png")]
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
