"""Kernel presets for the kernel lab, normalisation, and a kernel's frequency response.

Every kernel is a 2-D float32 numpy array read as a cross-correlation kernel (the chapter's
convention): ``[[1, -1]]`` gives x[i, j] - x[i, j+1].
"""

from __future__ import annotations

import math

import numpy as np

from cnnviz.viz import colors

MAX_SIZE = 15  # the lab's grid goes from 1x1 to 15x15

_SOBEL = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
_PREWITT = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
_SCHARR = [[3, 0, -3], [10, 0, -10], [3, 0, -3]]
_LAPLACIAN = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
_SHARPEN = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]

# Preset names shown in the lab, in menu order; parameters are passed to ``preset``.
PRESETS = ("identity", "difference [1, -1]", "difference [1, -1] transposed", "Sobel x", "Sobel y",
           "Prewitt x", "Prewitt y", "Scharr x", "Scharr y", "Laplacian", "Gaussian blur",
           "box blur", "sharpen", "directional derivative")


def as_kernel(values) -> np.ndarray:
    """Validate a kernel: a 2-D grid of finite numbers from 1x1 to 15x15, as float32."""
    try:
        K = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError("Every kernel cell must be a number.") from err
    if K.ndim != 2 or K.size == 0:
        raise ValueError(f"A kernel is a 2-D grid of numbers, got shape {K.shape}.")
    if max(K.shape) > MAX_SIZE:
        raise ValueError(f"Kernels go up to {MAX_SIZE}x{MAX_SIZE}, got {K.shape[0]}x{K.shape[1]}.")
    if not np.isfinite(K).all():
        raise ValueError("Every kernel cell needs a finite number (empty cells count as missing).")
    return K.astype(np.float32)


def parse_kernel_text(text: str) -> np.ndarray:
    """A kernel typed as rows separated by ';' or new lines, numbers by spaces or commas."""
    rows = [r.replace(",", " ").split() for r in text.replace(";", "\n").splitlines()]
    rows = [r for r in rows if r]
    if not rows:
        raise ValueError("Type at least one number, e.g. '1 -1' or '1 0 -1; 2 0 -2; 1 0 -1'.")
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise ValueError(f"Row {i} has {len(row)} number(s) but row 1 has {len(rows[0])}: "
                             "every row needs the same count.")
    try:
        values = [[float(v) for v in row] for row in rows]
    except ValueError as err:
        raise ValueError(f"Not a number: {str(err).split(': ')[-1]}.") from err
    return as_kernel(values)


def gaussian_size(sigma: float) -> tuple[int, int]:
    """(size used, size wanted): an odd size covering +-3 sigma, 2*ceil(3 sigma)+1, capped at 15."""
    wanted = 2 * math.ceil(3 * sigma) + 1
    return min(MAX_SIZE, wanted), wanted


def gaussian(sigma: float, size: int | None = None) -> np.ndarray:
    """Sampled 2-D Gaussian summing to 1; default size from ``gaussian_size`` (at most 15)."""
    if not sigma > 0:
        raise ValueError(f"The Gaussian's sigma must be above 0, got {sigma}.")
    if size is None:
        size = gaussian_size(sigma)[0]
    r = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-(r**2) / (2 * sigma**2))
    K = np.outer(g, g)
    return (K / K.sum()).astype(np.float32)


def box(size: int) -> np.ndarray:
    """Box blur: a size x size average."""
    as_kernel(np.zeros((size, size)))
    return np.full((size, size), 1.0 / size**2, dtype=np.float32)


def directional_derivative(v: tuple[float, float]) -> np.ndarray:
    """3x3 kernel whose response is the derivative along v = (v1, v2), rows then columns.

    It is v1 * (d/drow) + v2 * (d/dcol) with central differences, so it responds to edges
    orthogonal to v, i.e. running along (v2, -v1) (chapter exercise 2.1). Each central difference
    is the correlation kernel [-1/2, 0, 1/2] along its axis.
    """
    v1, v2 = float(v[0]), float(v[1])
    norm = math.hypot(v1, v2)
    if norm == 0 or not math.isfinite(norm):
        raise ValueError("The direction vector must be non-zero, e.g. (1, 0) or (1, 1).")
    v1, v2 = v1 / norm, v2 / norm
    K = np.zeros((3, 3), dtype=np.float32)
    K[0, 1], K[2, 1] = -v1 / 2, v1 / 2  # d/drow: x[i+1, j] - x[i-1, j]
    K[1, 0], K[1, 2] = -v2 / 2, v2 / 2  # d/dcol: x[i, j+1] - x[i, j-1]
    return K


def preset(name: str, *, sigma: float = 1.0, size: int = 3,
           direction: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """The named preset kernel (see PRESETS); sigma, size and direction where they apply."""
    fixed = {"identity": [[1]], "difference [1, -1]": [[1, -1]],
             "difference [1, -1] transposed": [[1], [-1]], "Sobel x": _SOBEL,
             "Sobel y": np.transpose(_SOBEL), "Prewitt x": _PREWITT,
             "Prewitt y": np.transpose(_PREWITT), "Scharr x": _SCHARR,
             "Scharr y": np.transpose(_SCHARR), "Laplacian": _LAPLACIAN, "sharpen": _SHARPEN}
    if name in fixed:
        return np.array(fixed[name], dtype=np.float32)
    if name == "Gaussian blur":
        return gaussian(sigma)
    if name == "box blur":
        return box(size)
    if name == "directional derivative":
        return directional_derivative(direction)
    raise ValueError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.")


def normalize(K) -> np.ndarray:
    """Scale to sum 1 (blurs keep brightness); zero-sum kernels are scaled to sum |K| = 2."""
    K = as_kernel(K).astype(np.float64)
    total = K.sum()
    if abs(total) > 1e-6 * max(np.abs(K).sum(), 1e-30):
        return (K / total).astype(np.float32)
    l1 = np.abs(K).sum()
    if l1 == 0:
        raise ValueError("An all-zero kernel cannot be normalised.")
    return (2 * K / l1).astype(np.float32)


def separable_factors(K, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray] | None:
    """(column, row) vectors with K == outer(column, row) when K has rank 1, else None (SVD)."""
    K = np.asarray(K, dtype=np.float64)
    U, S, Vt = np.linalg.svd(K)
    if S[0] == 0 or (len(S) > 1 and S[1] > tol * S[0]):
        return None
    scale = math.sqrt(S[0])
    return (U[:, 0] * scale).astype(np.float32), (Vt[0] * scale).astype(np.float32)


def frequency_response(K, size: int = 64) -> np.ndarray:
    """|FFT2| of the kernel zero-padded to size x size, zero frequency in the centre."""
    K = as_kernel(K)
    if size < max(K.shape):
        raise ValueError(f"The FFT size {size} is smaller than the kernel {K.shape}.")
    padded = np.zeros((size, size), dtype=np.float64)
    padded[: K.shape[0], : K.shape[1]] = K
    return np.abs(np.fft.fftshift(np.fft.fft2(padded))).astype(np.float32)


def frequency_axis(size: int = 64) -> np.ndarray:
    """Spatial frequencies (cycles per pixel) of the rows/columns of ``frequency_response``."""
    return np.fft.fftshift(np.fft.fftfreq(size)).astype(np.float32)


PAINT_CELL = 40  # canvas pixels per kernel cell when painting (the smallest: 15 x 15)
PAINT_SIDE = 320  # a kernel's longer side on the canvas: big enough to paint on a projector


def paint_cell(shape: tuple[int, int]) -> int:
    """Canvas pixels per cell: the longer side about PAINT_SIDE px, at least PAINT_CELL a cell."""
    return max(PAINT_CELL, min(110, PAINT_SIDE // max(shape)))
PAINT_POSITIVE, PAINT_NEGATIVE = colors.POSITIVE, colors.NEGATIVE  # red adds, blue subtracts


def paint_grid(shape: tuple[int, int], cell: int = PAINT_CELL) -> dict:
    """The paint canvas's starting drawing (fabric.js JSON): one grey outlined square per cell."""
    rows, cols = shape
    squares = [{"type": "rect", "originX": "left", "originY": "top", "left": c * cell,
                "top": r * cell, "width": cell, "height": cell,
                "fill": "rgba(0,0,0,0)", "stroke": "#B4B4B4", "strokeWidth": 1,
                "selectable": False, "evented": False}
               for r in range(rows) for c in range(cols)]
    return {"version": "4.4.0", "objects": squares}


def kernel_from_painting(rgba, shape: tuple[int, int], strength: float = 1.0) -> np.ndarray:
    """Kernel from a painted canvas: per cell, (red coverage - blue coverage) x strength.

    A cell fully painted with the positive (red) brush becomes +strength, with the negative
    (blue) brush -strength; partly painted cells get the painted fraction, unpainted ones 0.
    """
    image = np.asarray(rgba, dtype=np.float32)
    rows, cols = shape
    if image.ndim != 3 or image.shape[2] < 3 or image.shape[0] < rows or image.shape[1] < cols:
        raise ValueError("The painting does not match the kernel grid; clear it and paint again.")
    rgb = image[..., :3] / 255.0
    alpha = image[..., 3] / 255.0 if image.shape[2] == 4 else np.ones(image.shape[:2], np.float32)
    red_minus_blue = rgb[..., 0] - rgb[..., 2]  # 0 on the grey grid and the white cells
    red = np.clip(red_minus_blue / _red_minus_blue(PAINT_POSITIVE), 0, 1) * alpha
    blue = np.clip(red_minus_blue / _red_minus_blue(PAINT_NEGATIVE), 0, 1) * alpha
    h, w = image.shape[0] // rows, image.shape[1] // cols
    signed = (red - blue)[: h * rows, : w * cols].reshape(rows, h, cols, w).mean(axis=(1, 3))
    return as_kernel(np.round(signed * strength, 2))


def _red_minus_blue(color: str) -> float:
    """Red minus blue channel of a '#RRGGBB' colour, in 0..1 units."""
    return (int(color[1:3], 16) - int(color[5:7], 16)) / 255.0
