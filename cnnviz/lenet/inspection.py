"""Looking inside a trained LeNet: inputs prepared like the data set, activations, mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from cnnviz.formats.values import LUMA_BT601
from cnnviz.lenet.data import ImageSet, as_batch
from cnnviz.lenet.model import ACTIVATIONS, LeNet

SIZE = 28
# How large the object is inside the 28x28 frame: MNIST digits fit a 20x20 box centred by their
# centre of mass; Fashion-MNIST garments (and our shapes) fill most of the frame.
OBJECT_BOX = {"mnist": 20, "fashion": 26, "shapes": 22}


def to_gray(image: np.ndarray) -> np.ndarray:
    """A 2-D image of any value range, or an RGBA canvas drawing, as float32 gray values in [0, 1].

    A 2-D image (an upload decoded by ``cnnviz.imageio.load_image``) is stretched from its
    minimum to its maximum; a drawing keeps its strokes' brightness, weighted by their opacity.
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 4:  # canvas drawing: strokes opaque, background transparent
        gray = a[..., :3].astype(np.float32) @ np.asarray(LUMA_BT601, np.float32) / 255
        return (gray * (a[..., 3].astype(np.float32) / 255)).astype(np.float32)
    if a.ndim != 2:
        raise ValueError(f"Expected a 2-D image or an RGBA drawing, got shape {a.shape}.")
    a = a.astype(np.float32)
    lo, hi = float(a.min()), float(a.max())
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def central_crop(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """The central ``height`` x ``width`` pixels (fewer where the image is smaller); a view."""
    h, w = image.shape[:2]
    top, left = max(0, (h - height) // 2), max(0, (w - width) // 2)
    return image[top:top + height, left:left + width]


def bright_on_dark(gray: np.ndarray, invert: bool | None = None) -> np.ndarray:
    """Make the object bright on a dark background like the data sets (auto: border is dark)."""
    if invert is None:
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        invert = float(np.median(border)) > 0.5
    return 1.0 - gray if invert else gray


def center_object(gray: np.ndarray, style: str = "mnist") -> np.ndarray:
    """Crop the object, fit it in the data set's box and centre it in 28x28: uint8 like the data."""
    if float(gray.max()) < 0.05:
        raise ValueError("The image is empty: draw or upload something first.")
    rows, cols = np.nonzero(gray > 0.1 * float(gray.max()))
    crop = gray[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    box = OBJECT_BOX.get(style, 22)
    scale = box / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(
        (w, h), Image.Resampling.LANCZOS), dtype=np.float32)
    out = np.zeros((SIZE, SIZE), np.float32)
    top, left = (SIZE - h) // 2, (SIZE - w) // 2
    out[top:top + h, left:left + w] = small
    if style == "mnist" and out.sum() > 0:  # MNIST centres the centre of mass
        yy, xx = np.indices(out.shape)
        dy = int(round(SIZE / 2 - 0.5 - (yy * out).sum() / out.sum()))
        dx = int(round(SIZE / 2 - 0.5 - (xx * out).sum() / out.sum()))
        dy, dx = np.clip(dy, -top, SIZE - top - h), np.clip(dx, -left, SIZE - left - w)
        out = np.roll(out, (dy, dx), axis=(0, 1))
    return torch.from_numpy(np.clip(out, 0, 255).astype(np.uint8))


def prepare_drawing(rgba: np.ndarray, style: str) -> torch.Tensor:
    """A canvas drawing (strokes on a transparent or dark canvas) as a 28x28 uint8 sample."""
    return center_object(bright_on_dark(to_gray(rgba)), style)


def prepare_patch(image: np.ndarray, invert: bool | None = None) -> torch.Tensor:
    """A loaded 2-D upload as a 28x28 uint8 sample: central square, box-averaged, bright object.

    The square is shrunk in float32 before its values are stretched to 0..255, so 16-bit and
    float micrographs keep their full precision until the last step, as the data sets' images
    span 0..255.
    """
    side = min(image.shape[:2])
    square = np.ascontiguousarray(central_crop(np.asarray(image), side, side), dtype=np.float32)
    small = np.asarray(Image.fromarray(square).resize(
        (SIZE, SIZE), Image.Resampling.BOX), dtype=np.float32)
    gray = bright_on_dark(to_gray(small), invert)
    return torch.from_numpy(np.round(gray * 255).astype(np.uint8))


@dataclass(frozen=True)
class LayerOutput:
    """One layer's output for one image."""

    index: int
    name: str
    values: torch.Tensor  # (C, H, W) or (L,)


@torch.no_grad()
def feature_maps(model: LeNet, image: torch.Tensor) -> list[LayerOutput]:
    """The output of every layer of ``model.net`` for one uint8 28x28 image."""
    X = as_batch(image.reshape(1, SIZE, SIZE)).to(next(model.parameters()).device)
    outputs = []
    for i, layer in enumerate(model.net):
        X = layer(X)
        outputs.append(LayerOutput(i, layer.__class__.__name__, X[0].detach().cpu()))
    return outputs


@torch.no_grad()
def class_probabilities(model: LeNet, image: torch.Tensor) -> torch.Tensor:
    """Softmax over the classes for one uint8 28x28 image: (classes,)."""
    X = as_batch(image.reshape(1, SIZE, SIZE)).to(next(model.parameters()).device)
    return torch.softmax(model(X), dim=1)[0].cpu()


@torch.no_grad()
def predict(model: LeNet, data: ImageSet, chunk: int = 256) -> torch.Tensor:
    """Class probabilities for every image of a split: (N, classes).

    ``chunk`` bounds the activations held at once (256 images: about 12 MB for LeNet).
    """
    device = next(model.parameters()).device
    parts = [torch.softmax(model(as_batch(data.images[s:s + chunk]).to(device)), 1).cpu()
             for s in range(0, len(data), chunk)]
    return torch.cat(parts) if parts else torch.zeros(0, len(data.classes))


def confusion_matrix(labels: torch.Tensor, predicted: torch.Tensor, classes: int) -> torch.Tensor:
    """Counts[true, predicted] as a (classes, classes) int64 tensor."""
    flat = labels.to(torch.int64) * classes + predicted.to(torch.int64)
    return torch.bincount(flat, minlength=classes * classes).reshape(classes, classes)


def confident_mistakes(labels: torch.Tensor, probs: torch.Tensor, k: int = 8
                       ) -> list[tuple[int, int, int, float]]:
    """The ``k`` wrong predictions made with most confidence: (index, true, predicted, prob)."""
    confidence, predicted = probs.max(1)
    wrong = (predicted != labels).nonzero().flatten()
    order = wrong[confidence[wrong].argsort(descending=True)][:k]
    return [(int(i), int(labels[i]), int(predicted[i]), float(confidence[i])) for i in order]


def synthetic_micrograph(size: int = 512, seed: int = 0) -> np.ndarray:
    """A gray image like a TEM view of nanoparticles: bright discs, lattice fringes, shot noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    image = np.full((size, size), 0.15, np.float32)
    for _ in range(max(4, size // 40)):
        cy, cx = rng.uniform(0, size, 2)
        r = rng.uniform(size / 40, size / 12)
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        angle, period = rng.uniform(0, np.pi), rng.uniform(4, 9)
        fringes = 0.5 + 0.5 * np.cos(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle))
                                     / period)
        image[inside] = 0.55 + 0.3 * fringes[inside]
    image += rng.normal(0, 0.05, image.shape).astype(np.float32)
    return np.clip(image, 0, 1)


@torch.no_grad()
def first_layer_responses(model: LeNet, image: np.ndarray, activate: bool = True
                          ) -> torch.Tensor:
    """The first convolution (and its activation) over a whole gray image: (C, H, W)."""
    gray = to_gray(image)
    conv = model.net[0]
    X = torch.from_numpy(gray)[None, None].to(conv.weight.device)  # (1, 1, H, W) in [0, 1]
    Y = F.conv2d(X, conv.weight, conv.bias, padding=conv.padding)
    if activate:
        Y = ACTIVATIONS[model.config.activation]()(Y)
    return Y[0].cpu()

