"""Receptive fields: which input pixels one feature-map pixel sees (chapter: LeNet, layer by layer).

Each convolution or pooling layer widens the region: output index o of a layer with kernel k,
stride s, padding p and dilation d reads input indices o*s - p ... o*s - p + d*(k - 1). Walking
from the chosen layer back to the image gives the region; activations keep it, and a dense
layer sees the whole image.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from cnnviz.lenet.model import IMAGE_SIZE


@dataclass(frozen=True)
class Region:
    """Rows top..bottom and columns left..right of the input image, inclusive."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) in pixels."""
        return self.bottom - self.top + 1, self.right - self.left + 1


def _pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, tuple | list) else (value, value)


def _back(layer: nn.Module, lo: int, hi: int, axis: int) -> tuple[int, int] | None:
    """The input interval that output indices lo..hi of ``layer`` read (None: all of it)."""
    if isinstance(layer, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
        k, s = _pair(layer.kernel_size)[axis], _pair(layer.stride)[axis]
        p = _pair(layer.padding)[axis]
        d = _pair(getattr(layer, "dilation", 1))[axis]
        return lo * s - p, hi * s - p + d * (k - 1)
    if isinstance(layer, nn.Flatten | nn.Linear):
        return None
    return lo, hi  # activations: one input pixel per output pixel


def receptive_field(net: nn.Sequential, layer_index: int, row: int, col: int,
                    image_size: int = IMAGE_SIZE) -> Region:
    """The input region that pixel (row, col) of layer ``layer_index``'s output depends on."""
    if not 0 <= layer_index < len(net):
        raise ValueError(f"Layer {layer_index} does not exist: the network has {len(net)}.")
    rows, cols = (row, row), (col, col)
    for layer in reversed(net[:layer_index + 1]):
        back_rows, back_cols = _back(layer, *rows, 0), _back(layer, *cols, 1)
        if back_rows is None or back_cols is None:
            return Region(0, 0, image_size - 1, image_size - 1)
        rows, cols = back_rows, back_cols
    clip = lambda v: min(max(v, 0), image_size - 1)  # noqa: E731 - padding lies outside
    return Region(clip(rows[0]), clip(cols[0]), clip(rows[1]), clip(cols[1]))
