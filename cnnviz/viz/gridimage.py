"""Grids of numbers as small PNG images (one colored square per cell) for the animations.

Plotly removes heatmap traces while it animates scatter traces without a full redraw, so the
animated figures draw their grids as layout images instead; the numbers are a text trace.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
from PIL import Image
from plotly.colors import diverging, hex_to_rgb, sequential, unlabel_rgb

SEQUENTIAL = sequential.Cividis  # colorblind-safe, for inputs and non-negative values
DIVERGING = diverging.RdBu  # red below zero, white at zero, blue above (zmid = 0)
PADDING_RGB = (208, 208, 208)
GAP_RGB = (255, 255, 255)


def _stops(colors: list[str]) -> np.ndarray:
    """Plotly color strings ('#rrggbb' or 'rgb(r,g,b)') as an (n, 3) float array."""
    rgb = [hex_to_rgb(c) if c.startswith("#") else unlabel_rgb(c) for c in colors]
    return np.asarray(rgb, dtype=float)


_SCALES = {"sequential": _stops(SEQUENTIAL), "diverging": _stops(DIVERGING)}


def color_scale_for(values, signed: bool = True) -> dict:
    """Diverging map centered at zero for signed values (if ``signed``), sequential otherwise."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if signed and lo < 0:
        bound = max(abs(lo), abs(hi))
        return {"scale": "diverging", "zmin": -bound, "zmax": bound, "zmid": 0.0}
    return {"scale": "sequential", "zmin": lo, "zmax": hi}


def cell_colors(grid: list[list[float | None]], scale: str, zmin: float, zmax: float
                ) -> np.ndarray:
    """(h, w, 3) uint8 colors; None cells get the padding grey."""
    stops = _SCALES[scale]
    z = np.array([[np.nan if v is None else v for v in row] for row in grid], dtype=float)
    span = zmax - zmin
    t = np.clip((z - zmin) / span, 0, 1) if span > 0 else np.full(z.shape, 0.5)
    pos = np.nan_to_num(t) * (len(stops) - 1)
    lower = np.clip(np.floor(pos).astype(int), 0, len(stops) - 2)
    frac = (pos - lower)[..., None]
    rgb = stops[lower] * (1 - frac) + stops[lower + 1] * frac
    rgb[np.isnan(z)] = PADDING_RGB
    return rgb.round().astype(np.uint8)


def text_colors(rgb: np.ndarray) -> list[list[str]]:
    """Black or white text per cell, whichever reads better on its color."""
    luminance = rgb @ np.array([0.299, 0.587, 0.114])
    return [["#111111" if v > 140 else "#FFFFFF" for v in row] for row in luminance]


def grid_png(rgb: np.ndarray, cell_px: int) -> str:
    """A data URI of the grid drawn with square cells of ``cell_px`` pixels and white gaps."""
    h, w, _ = rgb.shape
    big = np.repeat(np.repeat(rgb, cell_px, axis=0), cell_px, axis=1)
    big[::cell_px, :] = GAP_RGB
    big[:, ::cell_px] = GAP_RGB
    buffer = io.BytesIO()
    Image.fromarray(big).save(buffer, format="PNG", optimize=False, compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def cell_pixels(h: int, w: int) -> int:
    """Pixels per cell so the image stays sharp on a projector without growing large."""
    return max(6, min(48, 640 // max(h, w)))
