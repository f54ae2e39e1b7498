"""Rosenblatt's perceptron (1958): learns any linearly separable data, and never learns XOR.

The learning rule needs no gradients: for every misclassified point (x, y),
with y in {-1, +1},   w <- w + lr * y * x.   The perceptron convergence
theorem says this stops making mistakes on separable data; Minsky & Papert
(1969) showed no single line can separate XOR, so there it cycles forever
and never gets more than 3 of the 4 points right.

    python examples/perceptron.py
"""
from __future__ import annotations

import sys

import numpy as np
from sklearn.datasets import make_blobs

import tinydl

try:
    from examples import common
except ImportError:  # run as a script: examples/ is on sys.path
    import common


def add_bias_column(x: np.ndarray, device: str = "cpu") -> tinydl.Tensor:
    """Append a constant 1 so the bias is just another weight."""
    return tinydl.tensor(np.column_stack([x, np.ones(len(x))]), dtype=tinydl.float32, device=device)


def train_perceptron(x: np.ndarray, labels: np.ndarray, epochs: int, seed: int, lr: float = 1.0,
                     device: str = "cpu") -> dict:
    """Mistake-driven training on labels in {0, 1}, visiting the points in a new random order each epoch.

    Returns the final and the best ("pocket") weights, the epoch it converged
    in (None if it never did), the number of updates and the best accuracy.
    """
    inputs = add_bias_column(x, device)
    signs = labels * 2 - 1                          # {0, 1} -> {-1, +1}
    weights = tinydl.zeros(inputs.shape[1], device=device)
    best_weights, best_accuracy = weights, 0.0
    updates, converged_epoch = 0, None
    order = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        mistakes = 0
        for i in order.permutation(len(signs)):
            row, sign = inputs[int(i)], float(signs[i])
            if sign * (weights @ row).item() <= 0:   # wrong side of the line (or on it)
                weights = weights + lr * sign * row
                mistakes += 1
                updates += 1
        accuracy = float((((inputs @ weights) > 0).long().cpu().numpy() == labels).mean())
        if accuracy > best_accuracy:
            best_weights, best_accuracy = weights, accuracy
        if mistakes == 0:
            converged_epoch = epoch
            break
    return {"weights": weights.cpu().numpy(), "best_weights": best_weights.cpu().numpy(),
            "converged_epoch": converged_epoch,
            "updates": updates, "best_accuracy": best_accuracy, "epochs_run": epoch}


def predict(weights: np.ndarray, points: np.ndarray) -> np.ndarray:
    return (np.column_stack([points, np.ones(len(points))]) @ weights > 0).astype(int)


def main(argv: list[str] | None = None) -> dict:
    parser = common.make_parser(__doc__.splitlines()[0], epochs=100)
    args = parser.parse_args(argv)
    common.setup(args)

    blobs_x, blobs_y = make_blobs(n_samples=200, centers=[(-2, -2), (2, 2)], cluster_std=1.0,
                                  random_state=args.seed)
    xor_x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    xor_y = np.array([0, 1, 1, 0])

    results = {}
    for name, (x, y) in {"blobs": (blobs_x, blobs_y), "xor": (xor_x, xor_y)}.items():
        result = train_perceptron(x, y, args.epochs, args.seed, device=args.device)
        results[name] = result
        if result["converged_epoch"] is not None:
            print(f"{name}: converged after {result['converged_epoch']} epoch(s) and {result['updates']} "
                  "updates: zero training errors")
        else:
            print(f"{name}: no convergence in {args.epochs} epochs ({result['updates']} updates); "
                  f"best accuracy {result['best_accuracy']:.0%}")

    if not args.no_plot:
        plt = common.pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
        common.plot_decision_boundary(axes[0], lambda p: predict(results["blobs"]["weights"], p),
                                      blobs_x, blobs_y, "Perceptron on blobs:\nseparable, converges")
        common.plot_decision_boundary(axes[1], lambda p: predict(results["xor"]["best_weights"], p), xor_x,
                                      xor_y, f"Perceptron on XOR: never converges;\nits best line "
                                      f"gets {results['xor']['best_accuracy']:.0%}")
        results["figures"] = [common.save_figure(fig, args.out, "perceptron.png")]
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
