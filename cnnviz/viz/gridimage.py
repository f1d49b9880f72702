"""Grids of numbers as small PNG images (one coloured square per cell) for the animations.

Plotly removes heatmap traces while it animates scatter traces without a full redraw, so the
animated figures draw their grids as layout images instead; the numbers are a text trace.
The colours come from ``cnnviz.viz.colors``.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from cnnviz.viz import colors

PADDING_RGB, HATCH_RGB = (236, 236, 236), (170, 170, 170)  # padding: light grey, hatched
HATCH_PERIOD = 8  # pixels between the diagonal stripes on padding cells
# The same hatch as a plotly fill (the animations' cover over output cells not yet written).
HATCH_FILL = {"fillcolor": "rgb({},{},{})".format(*PADDING_RGB),
              "fillpattern": {"shape": "/", "fgcolor": "rgb({},{},{})".format(*HATCH_RGB),
                              "bgcolor": "rgb({},{},{})".format(*PADDING_RGB),
                              "size": HATCH_PERIOD, "solidity": 0.25}}
GAP_RGB = (150, 150, 150)  # lines between cells and around the grid (white cells stay visible)


def cell_colors(grid: list[list[float | None]], scale: dict) -> np.ndarray:
    """(h, w, 3) uint8 colours on the map ``scale`` (from ``colors.value_range``).

    None cells (padding) get the light padding background; ``grid_png`` hatches them.
    """
    z = np.array([[np.nan if v is None else v for v in row] for row in grid], dtype=float)
    return colors.to_rgb(z, scale["signed"], scale["zmin"], scale["zmax"], nan_rgb=PADDING_RGB)


def missing(grid: list[list[float | None]]) -> np.ndarray:
    """(h, w) bool: the None cells of ``grid``."""
    return np.array([[v is None for v in row] for row in grid], dtype=bool)


def text_colors(rgb: np.ndarray) -> list[list[str]]:
    """Black or white text per cell, whichever reads better on its color."""
    luminance = rgb @ np.array([0.299, 0.587, 0.114])
    return [["#111111" if v > 140 else "#FFFFFF" for v in row] for row in luminance]


def grid_png(rgb: np.ndarray, cell_px: int, hatched: np.ndarray | None = None) -> str:
    """A data URI of the grid: square cells of ``cell_px`` pixels, grey lines between them.

    Cells where ``hatched`` is True (padding) get diagonal stripes, so no value's grey level
    can be mistaken for them.
    """
    big = np.repeat(np.repeat(rgb, cell_px, axis=0), cell_px, axis=1)
    if hatched is not None and hatched.any():
        rows, cols = np.indices(big.shape[:2])
        stripes = (rows + cols) % HATCH_PERIOD < 2
        big[stripes & np.repeat(np.repeat(hatched, cell_px, 0), cell_px, 1)] = HATCH_RGB
    big[::cell_px, :] = GAP_RGB
    big[:, ::cell_px] = GAP_RGB
    big[-1, :] = GAP_RGB
    big[:, -1] = GAP_RGB
    buffer = io.BytesIO()
    Image.fromarray(big).save(buffer, format="PNG", optimize=False, compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def cell_pixels(h: int, w: int) -> int:
    """Pixels per cell so the image stays sharp on a projector without growing large."""
    return max(6, min(48, 640 // max(h, w)))
