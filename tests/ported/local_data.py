"""Offline stand-ins for what the ported programs download (test scaffolding, not ported code).

FashionMNIST and MNIST are 28x28 grayscale images in 10 classes. Without a network we build
images of the same shape and dtype from scikit-learn's bundled 8x8 digits: each digit is enlarged
3x to 24x24, padded to 28x28, shifted by up to 1 pixel and given a little noise, so the ten
classes are learnable like the real ones. Train and test images come from disjoint digits.

``torchvision`` and ``transforms`` here mimic just what the programs call
(``torchvision.datasets.FashionMNIST(root, train, download, transform)``, ``ToTensor``,
``Compose``), so the programs' own lines stay unchanged. Sizes are smaller than the real
sets (60000/10000) to keep the suite fast on two cores.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from sklearn.datasets import load_digits

import tinydl

N_TRAIN, N_TEST = 6000, 1000


def digit_images(train: bool, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(count, 28, 28) uint8 images in [0, 255] and (count,) int64 labels, reproducible."""
    digits = load_digits()
    split = 1500  # digits 0..1499 make training images, the rest test images
    images = digits.images[:split] if train else digits.images[split:]
    labels = digits.target[:split] if train else digits.target[split:]
    count = count or (N_TRAIN if train else N_TEST)
    rng = np.random.default_rng(0 if train else 1)
    pick = rng.integers(0, len(images), count)
    big = np.kron(images[pick], np.ones((1, 3, 3)))  # (count, 8, 8) -> (count, 24, 24)
    canvas = np.zeros((count, 28, 28))
    shifts = rng.integers(1, 4, (count, 2))  # up to 1 pixel off centre
    for k, (dy, dx) in enumerate(shifts):
        canvas[k, dy:dy + 24, dx:dx + 24] = big[k]
    canvas = canvas / 16.0 + rng.normal(0.0, 0.05, canvas.shape)
    pixels = np.clip(canvas * 255, 0, 255).astype(np.uint8)
    return pixels, labels[pick].astype(np.int64)


class FashionMNIST:
    """torchvision.datasets.FashionMNIST's interface over local images: (image, int label) pairs."""

    def __init__(self, root: str, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        self.data, self.targets = digit_images(train)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        image, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


class ToTensor:
    """(H, W) uint8 image -> (1, H, W) float32 tensor in [0, 1], as torchvision's ToTensor."""

    def __call__(self, picture: np.ndarray) -> tinydl.Tensor:
        return tinydl.tensor(picture[None].astype(np.float32) / 255.0)


class Compose:
    def __init__(self, transforms: list) -> None:
        self.transforms = transforms

    def __call__(self, picture):
        for transform in self.transforms:
            picture = transform(picture)
        return picture


datasets = SimpleNamespace(FashionMNIST=FashionMNIST, MNIST=FashionMNIST)
transforms = SimpleNamespace(ToTensor=ToTensor, Compose=Compose)
torchvision = SimpleNamespace(datasets=datasets, transforms=transforms)
