"""Turning full-resolution arrays into small browser images: view window, contrast, colour maps.

The full-resolution data stays on the server; the browser gets at most ``max_side`` pixels
per side of the current view window (zoom and pan choose the window).
"""

from __future__ import annotations

import cv2
import numpy as np

from cnnviz.viz import colors


def view_window(shape: tuple[int, int], zoom: float = 1.0,
                center: tuple[float, float] = (0.5, 0.5)) -> tuple[slice, slice]:
    """Rows and columns shown at ``zoom`` (1 = whole image) around ``center`` (fractions 0..1)."""
    if zoom < 1:
        raise ValueError(f"Zoom must be at least 1, got {zoom}.")
    spans = []
    for n, c in zip(shape, center, strict=True):
        size = max(1, int(round(n / zoom)))
        start = int(round(c * n - size / 2))
        start = min(max(start, 0), n - size)
        spans.append(slice(start, start + size))
    return spans[0], spans[1]


# Gaussian low-pass before area-averaging, sigma = this x input pixels per output dot: area
# averaging alone passes detail near the new Nyquist rate (a 3-pixel stripe at 1.5 pixels per
# dot came through at full contrast as moire); 0.6 leaves it at 1/8 and keeps coarser detail.
ANTIALIAS_SIGMA = 0.6


def downsample(array: np.ndarray, max_side: int = 512) -> np.ndarray:
    """Low-pass, then area-average down to at most ``max_side`` pixels per side.

    The mean is kept; detail finer than two output dots is removed instead of aliased into
    stripes. Small arrays come back unchanged (as float32).
    """
    h, w = array.shape
    scale = max(h, w) / max_side
    array = np.asarray(array, dtype=np.float32)
    if scale <= 1:
        return array
    size = (max(1, round(w / scale)), max(1, round(h / scale)))  # cv2 wants (width, height)
    smooth = cv2.GaussianBlur(array, (0, 0), ANTIALIAS_SIGMA * scale,
                              borderType=cv2.BORDER_REFLECT_101)
    return cv2.resize(smooth, size, interpolation=cv2.INTER_AREA)


def contrast_limits(array: np.ndarray, low_pct: float = 0.5,
                    high_pct: float = 99.5) -> tuple[float, float]:
    """Values at the two percentiles (sampled on big images); clipping outside them."""
    if not 0 <= low_pct < high_pct <= 100:
        raise ValueError("Percentiles need 0 <= low < high <= 100.")
    flat = np.asarray(array).ravel()
    if flat.size > 1_000_000:  # a regular subsample gives the same percentiles to ~0.1 %
        flat = flat[:: flat.size // 1_000_000]
    lo, hi = np.percentile(flat, [low_pct, high_pct])
    return float(lo), float(hi)


def to_gray8(array: np.ndarray, lo: float, hi: float, gamma: float = 1.0) -> np.ndarray:
    """The app's grey ramp over [lo, hi] (clipped) after gamma (display = value ** gamma)."""
    if not gamma > 0:
        raise ValueError(f"Gamma must be above 0, got {gamma}.")
    span = hi - lo if hi > lo else 1.0
    unit = np.clip((np.asarray(array, dtype=np.float32) - lo) / span, 0, 1)
    if gamma != 1.0:
        unit = unit**gamma
    return colors.gray_levels(unit, 0.0, 1.0)


def histogram(array: np.ndarray, bins: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Counts and bin edges over the full image (a regular subsample above 4 M pixels)."""
    flat = np.asarray(array).ravel()
    step = max(1, flat.size // 4_000_000)
    return np.histogram(flat[::step], bins=bins)


def patch_exponent(values: np.ndarray) -> int:
    """Power of ten to divide a patch by so its numbers fit a cell; 0 below 1000.

    At most 2 digits before the point, 3 significant: 16-bit counts such as 41234 become
    41.2 x 10^3.
    """
    largest = float(np.max(np.abs(values))) if np.size(values) else 0.0
    if not np.isfinite(largest) or largest < 1000:
        return 0
    return int(np.floor(np.log10(largest))) - 1


def nm_footprint(kernel_shape: tuple[int, int], pixel_size_nm: float | None) -> str:
    """A kernel's footprint, in nm when the pixel size is known."""
    kh, kw = kernel_shape
    if pixel_size_nm is None:
        return f"{kh} x {kw} pixels (pixel size unknown)"
    return f"{kh} x {kw} pixels = {kh * pixel_size_nm:.3g} x {kw * pixel_size_nm:.3g} nm"


def render_pair(image: np.ndarray, result: np.ndarray, *, zoom: float = 1.0,
                center: tuple[float, float] = (0.5, 0.5), low_pct: float = 0.5,
                high_pct: float = 99.5, gamma: float = 1.0, max_side: int = 512) -> dict:
    """Browser-sized views of one window of image (grey ramp) and result (diverging map)."""
    rows, cols = view_window(image.shape, zoom, center)
    small_image = downsample(image[rows, cols], max_side)
    small_result = downsample(result[rows, cols], max_side)
    # Limits from what is shown: averaging many pixels per dot narrows the range of values.
    lo, hi = contrast_limits(small_image, low_pct, high_pct)
    limit = colors.symmetric_limit(small_result, pct=99.5)  # a few hot pixels do not set it
    return {"image": to_gray8(small_image, lo, hi, gamma),
            "result": colors.to_rgb(small_result, True, -limit, limit), "limits": (lo, hi),
            "signed_limit": limit, "rows": (rows.start, rows.stop),
            "cols": (cols.start, cols.stop),
            "scale": (rows.stop - rows.start) / small_image.shape[0]}


def mark_box(gray8: np.ndarray, view: dict, rows: tuple[int, int],
             cols: tuple[int, int]) -> np.ndarray:
    """The rendered view as RGB with an orange outline around full-resolution rows x cols."""
    rgb = np.repeat(np.asarray(gray8)[..., None], 3, axis=2) if gray8.ndim == 2 else gray8.copy()
    scale, (r0, _), (c0, _) = view["scale"], view["rows"], view["cols"]
    top, bottom = (rows[0] - r0) / scale, (rows[1] - r0) / scale - 1
    left, right = (cols[0] - c0) / scale, (cols[1] - c0) / scale - 1
    h, w = rgb.shape[:2]
    if bottom < 0 or right < 0 or top >= h or left >= w:
        return rgb  # the box is outside the shown window
    pt1 = (int(max(left, 0)), int(max(top, 0)))
    pt2 = (int(min(max(right, left), w - 1)), int(min(max(bottom, top), h - 1)))
    return cv2.rectangle(np.ascontiguousarray(rgb), pt1, pt2, (255, 140, 0), 2)
