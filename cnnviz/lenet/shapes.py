"""A 10-class data set of drawn shapes, generated offline and deterministically (no internet)."""

from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image, ImageDraw

from cnnviz.lenet.data import ImageSet

SHAPE_CLASSES = ("disc", "ring", "square", "triangle", "diamond",
                 "plus", "cross", "star", "horizontal bar", "vertical bar")
SIZE = 28
SCALE = 4  # draw at 4x and shrink, for smooth edges like the scanned data sets
TRAIN_SIZE, TEST_SIZE = 6000, 1000


def _polygon(cx: float, cy: float, radius: float, corners: int, angle: float,
             inner: float | None = None) -> list[tuple[float, float]]:
    """Corner points of a regular polygon (or a star when ``inner`` radius is given)."""
    points = []
    steps = corners * 2 if inner else corners
    for i in range(steps):
        r = inner if inner and i % 2 else radius
        a = angle + 2 * math.pi * i / steps
        points.append((cx + r * math.sin(a), cy - r * math.cos(a)))
    return points


def draw_shape(label: int, rng: np.random.Generator) -> np.ndarray:
    """One 28x28 uint8 image of class ``label``: bright shape, dark background, jittered."""
    big = SIZE * SCALE
    image = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(image)
    radius = rng.uniform(6.5, 11.0) * SCALE
    cx, cy = (SIZE / 2 + rng.uniform(-3, 3, size=2)) * SCALE
    width = int(rng.uniform(2.0, 3.5) * SCALE)
    tilt = math.radians(rng.uniform(-15, 15))
    ink = int(rng.integers(190, 256))
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    name = SHAPE_CLASSES[label]
    if name == "disc":
        draw.ellipse(box, fill=ink)
    elif name == "ring":
        draw.ellipse(box, outline=ink, width=width)
    elif name == "square":
        draw.polygon(_polygon(cx, cy, radius * 1.2, 4, tilt + math.pi / 4), outline=ink,
                     width=width)
    elif name == "triangle":
        draw.polygon(_polygon(cx, cy, radius * 1.1, 3, tilt), fill=ink)
    elif name == "diamond":
        draw.polygon(_polygon(cx, cy, radius * 1.1, 4, tilt), outline=ink, width=width)
    elif name in ("plus", "cross"):
        base = tilt + (math.pi / 4 if name == "cross" else 0.0)
        for a in (base, base + math.pi / 2):
            dx, dy = radius * math.sin(a), radius * math.cos(a)
            draw.line((cx - dx, cy - dy, cx + dx, cy + dy), fill=ink, width=width)
    elif name == "star":
        draw.polygon(_polygon(cx, cy, radius * 1.15, 5, tilt, inner=radius * 0.45), fill=ink)
    else:  # horizontal or vertical bar
        a = tilt + (math.pi / 2 if name == "horizontal bar" else 0.0)
        dx, dy = radius * math.sin(a), radius * math.cos(a)
        draw.line((cx - dx, cy - dy, cx + dx, cy + dy), fill=ink, width=int(width * 1.3))
    small = np.asarray(image.resize((SIZE, SIZE), Image.Resampling.BOX), dtype=np.float32)
    small += rng.normal(0, 6, size=small.shape)  # a little sensor-like noise
    return np.clip(small, 0, 255).astype(np.uint8)


def make_shapes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images with balanced labels, the same for the same seed: (N, 28, 28) and (N,)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(SHAPE_CLASSES)
    rng.shuffle(labels)
    images = np.stack([draw_shape(int(y), rng) for y in labels]) if n else np.zeros((0, 28, 28))
    return torch.from_numpy(images.astype(np.uint8)), torch.from_numpy(labels.astype(np.int64))


def shapes_split(train: bool, n: int | None = None) -> ImageSet:
    """The generated split (different seeds for train and test)."""
    count = n if n is not None else (TRAIN_SIZE if train else TEST_SIZE)
    images, labels = make_shapes(count, seed=1 if train else 2)
    return ImageSet("shapes", "train" if train else "test", images, labels, SHAPE_CLASSES,
                    "shapes generated offline by cnnviz")
