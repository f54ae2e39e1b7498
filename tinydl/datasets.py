"""Small offline data sets for learning, each as a (train, test) pair of TensorDatasets.

    train, test = tinydl.datasets.moons(n_samples=1000, noise=0.2, test_size=0.2, seed=0)
    x, y = train.tensors          # x: (800, 2) float32, y: (800,) int64 class labels
    loader = tinydl.utils.data.DataLoader(train, batch_size=64, shuffle=True)

Nothing is ever downloaded. The two-dimensional sets (moons, circles, blobs,
spirals, xor) are generated here with NumPy from ``seed``; digits, iris, wine
and breast_cancer are the copies that ship inside scikit-learn (an optional
extra: ``pip install "tinydl-edu[datasets]"``).

Every function shuffles with ``seed`` and puts the last ``test_size`` fraction
of the samples in the test set, so the same seed always gives the same split.
Features are float32 (N, D), labels int64 (N,), as ``nn.CrossEntropyLoss``
expects.
"""
from __future__ import annotations

import math
from typing import Any

import numpy

from .creation import tensor
from .data import TensorDataset
from .dtypes import float32, int64

Split = tuple[TensorDataset, TensorDataset]


# ------------------------------------------------------------------ shared
def train_test_split(features: numpy.ndarray, labels: numpy.ndarray, test_size: float, seed: int,
                     standardize: bool = False, device: Any = "cpu") -> Split:
    """Shuffle (features, labels) with ``seed``, cut off ``test_size`` of them as the test set.

    features: (N, D), labels: (N,). ``standardize`` rescales every feature to
    mean 0, standard deviation 1 using the training set's statistics only (the
    test set must not leak into them).
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"datasets: test_size must be a fraction between 0 and 1, got {test_size}")
    count = len(labels)
    test_count = max(1, round(count * test_size))
    if test_count >= count:
        raise ValueError(f"datasets: test_size={test_size} of {count} samples leaves no training samples")
    order = numpy.random.default_rng(seed).permutation(count)
    train_rows, test_rows = order[:count - test_count], order[count - test_count:]
    features = features.astype(numpy.float64)
    if standardize:
        mean = features[train_rows].mean(axis=0)
        std = features[train_rows].std(axis=0)
        features = (features - mean) / numpy.where(std > 0, std, 1.0)  # constant pixels stay 0

    def dataset(rows: numpy.ndarray) -> TensorDataset:
        return TensorDataset(tensor(features[rows], dtype=float32, device=device),
                             tensor(labels[rows], dtype=int64, device=device))

    return dataset(train_rows), dataset(test_rows)


def _check_samples(name: str, n_samples: int, minimum: int = 2) -> None:
    if not isinstance(n_samples, int) or n_samples < minimum:
        raise ValueError(f"datasets.{name}: n_samples must be an integer >= {minimum}, got {n_samples!r}")


# ------------------------------------------------------------------ generated in two dimensions
def moons(n_samples: int = 1000, noise: float = 0.2, test_size: float = 0.2, seed: int = 0,
          device: Any = "cpu") -> Split:
    """Two interleaving half circles (scikit-learn's make_moons), the tutorial's data.

    Class 0: (cos t, sin t), class 1: (1 - cos t, 0.5 - sin t), t in [0, pi],
    plus Gaussian noise of standard deviation ``noise``.
    """
    _check_samples("moons", n_samples)
    rng = numpy.random.default_rng(seed)
    outer, inner = n_samples // 2, n_samples - n_samples // 2
    t_outer, t_inner = numpy.linspace(0, math.pi, outer), numpy.linspace(0, math.pi, inner)
    points = numpy.concatenate([numpy.column_stack([numpy.cos(t_outer), numpy.sin(t_outer)]),
                                numpy.column_stack([1 - numpy.cos(t_inner), 0.5 - numpy.sin(t_inner)])])
    labels = numpy.repeat([0, 1], [outer, inner])
    points += noise * rng.standard_normal(points.shape)
    return train_test_split(points, labels, test_size, seed, device=device)


def circles(n_samples: int = 1000, noise: float = 0.1, factor: float = 0.5, test_size: float = 0.2,
            seed: int = 0, device: Any = "cpu") -> Split:
    """A circle of radius 1 (class 0) around one of radius ``factor`` (class 1), plus Gaussian noise."""
    _check_samples("circles", n_samples)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"datasets.circles: factor is the inner radius, between 0 and 1; got {factor}")
    rng = numpy.random.default_rng(seed)
    outer, inner = n_samples // 2, n_samples - n_samples // 2
    angles = numpy.concatenate([numpy.linspace(0, 2 * math.pi, outer, endpoint=False),
                                numpy.linspace(0, 2 * math.pi, inner, endpoint=False)])
    radius = numpy.repeat([1.0, factor], [outer, inner])
    points = radius[:, None] * numpy.column_stack([numpy.cos(angles), numpy.sin(angles)])
    points += noise * rng.standard_normal(points.shape)
    return train_test_split(points, numpy.repeat([0, 1], [outer, inner]), test_size, seed, device=device)


def blobs(n_samples: int = 1000, centers: int = 3, n_features: int = 2, cluster_std: float = 1.0,
          test_size: float = 0.2, seed: int = 0, device: Any = "cpu") -> Split:
    """``centers`` Gaussian clusters (class k around center k), centers uniform in [-10, 10]^n_features."""
    _check_samples("blobs", n_samples, minimum=centers)
    rng = numpy.random.default_rng(seed)
    middles = rng.uniform(-10, 10, size=(centers, n_features))
    labels = numpy.arange(n_samples) % centers
    points = middles[labels] + cluster_std * rng.standard_normal((n_samples, n_features))
    return train_test_split(points, labels, test_size, seed, device=device)


def spirals(n_samples: int = 1000, n_classes: int = 3, noise: float = 0.2, test_size: float = 0.2,
            seed: int = 0, device: Any = "cpu") -> Split:
    """``n_classes`` interleaved spiral arms (CS231n's classic): not separable by any line.

    Arm k: radius r in [0, 1], angle 4r + 2 pi k / n_classes (plus ``noise``
    times a standard normal), point (r sin angle, r cos angle).
    """
    _check_samples("spirals", n_samples, minimum=n_classes)
    rng = numpy.random.default_rng(seed)
    labels = numpy.arange(n_samples) % n_classes
    radius = numpy.empty(n_samples)
    for k in range(n_classes):  # each arm evenly from the centre outwards
        arm = labels == k
        radius[arm] = numpy.linspace(0.0, 1.0, arm.sum())
    angle = 4 * radius + 2 * math.pi * labels / n_classes + noise * rng.standard_normal(n_samples)
    points = radius[:, None] * numpy.column_stack([numpy.sin(angle), numpy.cos(angle)])
    return train_test_split(points, labels, test_size, seed, device=device)


def xor(n_samples: int = 400, noise: float = 0.0, test_size: float = 0.2, seed: int = 0,
        device: Any = "cpu") -> Split:
    """Points uniform in [-1, 1]^2, class 1 where exactly one coordinate is positive.

    No line separates the classes (Minsky and Papert's point about the
    perceptron); one hidden layer does. ``noise`` moves the points after
    labelling, blurring the quadrant borders.
    """
    _check_samples("xor", n_samples)
    rng = numpy.random.default_rng(seed)
    points = rng.uniform(-1, 1, size=(n_samples, 2))
    labels = ((points[:, 0] > 0) != (points[:, 1] > 0)).astype(numpy.int64)
    points += noise * rng.standard_normal(points.shape)
    return train_test_split(points, labels, test_size, seed, device=device)


# ------------------------------------------------------------------ shipped with scikit-learn
def _sklearn_loader(name: str) -> Any:
    """sklearn.datasets.load_<name>, or an ImportError that says how to install it."""
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError(
            f"tinydl.datasets.{name} reads the copy of this data set that ships with scikit-learn, which is "
            "not installed. Install the `datasets` extra: pip install \"tinydl-edu[datasets]\" "
            "(in a clone of tinydl: .venv/bin/pip install -e \".[datasets]\")") from None
    return getattr(sklearn.datasets, f"load_{name}")


def _from_sklearn(name: str, test_size: float, seed: int, standardize: bool, device: Any) -> Split:
    bunch = _sklearn_loader(name)()
    return train_test_split(bunch.data, bunch.target, test_size, seed, standardize, device)


def digits(test_size: float = 0.2, seed: int = 0, standardize: bool = False, device: Any = "cpu") -> Split:
    """1797 handwritten digits, 8x8 grey levels 0..16 flattened to (N, 64); 10 classes."""
    return _from_sklearn("digits", test_size, seed, standardize, device)


def iris(test_size: float = 0.2, seed: int = 0, standardize: bool = False, device: Any = "cpu") -> Split:
    """150 iris flowers, 4 measurements in cm; 3 species."""
    return _from_sklearn("iris", test_size, seed, standardize, device)


def wine(test_size: float = 0.2, seed: int = 0, standardize: bool = False, device: Any = "cpu") -> Split:
    """178 wines, 13 chemical measurements on very different scales (standardize!); 3 cultivars."""
    return _from_sklearn("wine", test_size, seed, standardize, device)


def breast_cancer(test_size: float = 0.2, seed: int = 0, standardize: bool = False,
                  device: Any = "cpu") -> Split:
    """569 tumours, 30 features of cell nuclei; 2 classes (0 malignant, 1 benign)."""
    return _from_sklearn("breast_cancer", test_size, seed, standardize, device)


__all__ = ["moons", "circles", "blobs", "spirals", "xor", "digits", "iris", "wine", "breast_cancer",
           "train_test_split"]
