"""A 1x1 convolution on a spectrum image: per-pixel channel mixing (chapter: 1x1 section).

A spectrum image is an (H, W, C) cube with one input channel per energy (or wavelength)
channel. A 1x1 convolution with c_o output channels is a (c_o, C) weight matrix applied to
every pixel's spectrum: each output map is a weighted sum of the energy channels. Energy
windows (weight 1 inside, 0 outside) give the microscopist's element maps.
"""

from __future__ import annotations

import numpy as np


def window_weights(channels: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    """(c_o, C) weights: row o is 1 for channels within windows[o] = (centre, half width)."""
    channels = np.asarray(channels, np.float64)
    rows = [(np.abs(channels - centre) <= half).astype(np.float32) for centre, half in windows]
    return np.stack(rows) if rows else np.zeros((0, channels.size), np.float32)


def channel_maps(cube: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(c_o, H, W): the 1x1 convolution of the (H, W, C) cube with (c_o, C) weights."""
    h, w, c = cube.shape
    if weights.shape[-1] != c:
        raise ValueError(f"The weights have {weights.shape[-1]} input channels; the spectrum "
                         f"image has {c}.")
    flat = cube.reshape(h * w, c).astype(np.float32, copy=False)  # one row per pixel
    return (flat @ weights.astype(np.float32).T).T.reshape(len(weights), h, w)
