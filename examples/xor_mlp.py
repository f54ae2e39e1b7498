"""A two-layer MLP learns XOR, which no perceptron can (see perceptron.py).

One hidden layer bends the input space: its tanh units carve two lines whose
combination separates (0,1),(1,0) from (0,0),(1,1). Trained with autograd
and Adam; reaches 100% accuracy.

    python examples/xor_mlp.py
"""
from __future__ import annotations

import sys

import numpy as np

import tinydl
import tinydl.nn as nn
import tinydl.optim as optim

try:
    from examples import common
except ImportError:
    import common

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def main(argv: list[str] | None = None) -> dict:
    parser = common.make_parser(__doc__.splitlines()[0], epochs=300)
    common.add_hidden_option(parser, "8")
    args = parser.parse_args(argv)
    common.setup(args)

    x = tinydl.tensor(XOR_X, dtype=tinydl.float32, device=args.device)
    y = tinydl.tensor(XOR_Y, device=args.device)
    model = nn.Sequential(*common.mlp_layers(2, args.hidden, 2, activation=nn.Tanh)).to(args.device)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    progress = common.Progress(args.epochs, every=max(1, args.epochs // 5))
    losses, accuracies = [], []
    for epoch in range(1, args.epochs + 1):
        logits = model(x)
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        accuracies.append(common.accuracy(logits, y))
        progress(epoch, losses[-1], accuracies[-1])

    with tinydl.no_grad():
        final_accuracy = common.accuracy(model(x), y)
    print(f"XOR accuracy: {final_accuracy:.0%} with hidden layers {','.join(map(str, args.hidden))}")
    result = {"accuracy": final_accuracy, "losses": losses}
    if not args.no_plot:
        plt = common.pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
        common.plot_decision_boundary(axes[0], common.model_predictor(model, args.device), XOR_X, XOR_Y,
                                      f"2-layer MLP on XOR: {final_accuracy:.0%}")
        common.plot_curves(axes[1], {"loss": losses, "accuracy": accuracies}, "Training", "value")
        result["figures"] = [common.save_figure(fig, args.out, "xor_mlp.png")]
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
