"""Tiny Fashion-MNIST and MNIST raw IDX files, written by the tests themselves (no real data)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

TRAIN_SIZE, TEST_SIZE = 120, 40


def tiny_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 28x28 uint8 images, class c drawn as a bright 8x8 block at a place set by c."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 10).astype(np.uint8)
    rng.shuffle(labels)
    images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
    for i, c in enumerate(labels):
        r, q = divmod(int(c), 5)
        top, left = 4 + 12 * r + rng.integers(-1, 2), 1 + 5 * q + rng.integers(-1, 2)
        images[i, top:top + 8, max(left, 0):left + 8] = 230
    return images, labels


def write_split(raw: Path, prefix: str, images: np.ndarray, labels: np.ndarray) -> None:
    """The two IDX files of one split, headers as in the official files."""
    n, h, w = images.shape
    (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
        struct.pack(">IIII", 2051, n, h, w) + images.tobytes())
    (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, n) + labels.tobytes())


def write_tiny_datasets(root: Path) -> Path:
    """Write <root>/FashionMNIST/raw and <root>/MNIST/raw the way torchvision expects them."""
    for seed, folder in enumerate(("FashionMNIST", "MNIST")):
        raw = Path(root) / folder / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        write_split(raw, "train", *tiny_images(TRAIN_SIZE, seed=10 + seed))
        write_split(raw, "t10k", *tiny_images(TEST_SIZE, seed=20 + seed))
    return Path(root)
