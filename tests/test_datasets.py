"""tinydl.datasets: offline (train, test) TensorDatasets, reproducible from a seed."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import tinydl
from tinydl import datasets
from tinydl.data import TensorDataset

GENERATED = {"moons": datasets.moons, "circles": datasets.circles, "blobs": datasets.blobs,
             "spirals": datasets.spirals, "xor": datasets.xor}
SHIPPED = {"digits": (1797, 64, 10), "iris": (150, 4, 3), "wine": (178, 13, 3), "breast_cancer": (569, 30, 2)}


def arrays(dataset: TensorDataset) -> tuple[np.ndarray, np.ndarray]:
    x, y = dataset.tensors
    return x.numpy(), y.numpy()


@pytest.mark.parametrize("name", GENERATED)
def test_generated_sets_split_by_test_size_with_pytorch_dtypes(name):
    train, test = GENERATED[name](n_samples=300, test_size=0.2, seed=1)
    assert isinstance(train, TensorDataset) and (len(train), len(test)) == (240, 60)
    (x, y), (x_test, y_test) = arrays(train), arrays(test)
    assert x.shape == (240, 2) and x.dtype == np.float32 and y.shape == (240,) and y.dtype == np.int64
    assert x_test.dtype == np.float32 and y_test.dtype == np.int64
    assert set(np.unique(np.concatenate([y, y_test]))) == set(range(3 if name in ("blobs", "spirals") else 2))


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_same_data_other_seed_other_data(name):
    first, second, other = (arrays(GENERATED[name](n_samples=100, seed=s)[0]) for s in (3, 3, 4))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], other[0])


def test_train_and_test_are_disjoint_and_cover_the_data():
    train, test = datasets.xor(n_samples=200, seed=0)
    rows = np.concatenate([arrays(train)[0], arrays(test)[0]])
    assert len(np.unique(rows, axis=0)) == 200


def test_moons_without_noise_lie_on_the_two_half_circles():
    train, _ = datasets.moons(n_samples=200, noise=0.0, seed=0)
    x, y = arrays(train)
    np.testing.assert_allclose(np.hypot(x[y == 0, 0], x[y == 0, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(x[y == 1, 0] - 1, x[y == 1, 1] - 0.5), 1.0, atol=1e-6)
    assert (x[y == 0, 1] >= -1e-6).all() and (x[y == 1, 1] <= 0.5 + 1e-6).all()


def test_circles_without_noise_have_the_two_radii():
    train, _ = datasets.circles(n_samples=200, noise=0.0, factor=0.3, seed=0)
    x, y = arrays(train)
    np.testing.assert_allclose(np.hypot(x[:, 0], x[:, 1]), np.where(y == 0, 1.0, 0.3), atol=1e-6)


def test_xor_labels_are_the_exclusive_or_of_the_quadrant_signs():
    train, _ = datasets.xor(n_samples=500, seed=0)
    x, y = arrays(train)
    np.testing.assert_array_equal(y, (x[:, 0] > 0) ^ (x[:, 1] > 0))


def test_blobs_cluster_around_their_centers():
    train, _ = datasets.blobs(n_samples=600, centers=4, n_features=3, cluster_std=0.1, seed=0)
    x, y = arrays(train)
    assert x.shape[1] == 3
    for k in range(4):
        assert x[y == k].std(axis=0).max() < 0.2      # tight around one center


def test_spirals_without_noise_grow_outward_along_each_arm():
    train, _ = datasets.spirals(n_samples=300, n_classes=3, noise=0.0, seed=0)
    x, y = arrays(train)
    radius, angle = np.hypot(x[:, 0], x[:, 1]), np.arctan2(x[:, 0], x[:, 1])
    expected = 4 * radius + 2 * np.pi * y / 3
    away_from_centre = radius > 1e-3                   # at the centre the angle is undefined
    difference = np.angle(np.exp(1j * (angle - expected)))[away_from_centre]
    np.testing.assert_allclose(difference, 0.0, atol=1e-4)


@pytest.mark.parametrize("name", SHIPPED)
def test_scikit_learn_sets_are_read_offline_with_their_shapes(name):
    pytest.importorskip("sklearn", reason="scikit-learn: the datasets extra is not installed")
    count, features, classes = SHIPPED[name]
    train, test = getattr(datasets, name)(test_size=0.25, seed=0)
    assert len(train) + len(test) == count and len(test) == round(count * 0.25)
    x, y = arrays(train)
    assert x.shape[1] == features and x.dtype == np.float32 and y.dtype == np.int64
    assert set(np.unique(np.concatenate([y, arrays(test)[1]]))) == set(range(classes))


def test_standardize_uses_the_training_statistics_only():
    pytest.importorskip("sklearn", reason="scikit-learn: the datasets extra is not installed")
    train, test = datasets.wine(standardize=True, seed=0)
    x, x_test = arrays(train)[0], arrays(test)[0]
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0), 1.0, atol=1e-4)
    assert np.abs(x_test.mean(axis=0)).max() > 1e-3    # the test set was not used for the statistics


def test_missing_scikit_learn_names_the_extra_and_the_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)           # import sklearn now raises ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r'datasets.*pip install "tinydl-edu\[datasets\]"'):
        datasets.digits()


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1])
def test_test_size_must_be_a_fraction(test_size):
    with pytest.raises(ValueError, match="test_size"):
        datasets.moons(n_samples=50, test_size=test_size)


def test_a_split_feeds_a_dataloader_and_a_model():
    train, _ = datasets.spirals(n_samples=90, seed=0)
    x, y = next(iter(tinydl.utils.data.DataLoader(train, batch_size=16)))
    logits = tinydl.nn.Linear(2, 3)(x)
    assert tuple(logits.shape) == (16, 3) and tinydl.nn.CrossEntropyLoss()(logits, y).item() > 0
