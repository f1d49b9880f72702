"""The app's two colour maps and its one sign convention, for plotly figures and for images.

Plain (unsigned) values use the grey ramp: dark is small, bright is large, the way micrographs
and the data sets' pictures look. Grey carries no hue, so it is safe for every kind of colour
blindness and never competes with the sign colours. Signed values use ColorBrewer's RdBu
(rated colour-blind safe) centred at zero: negative is blue, zero is white, positive is red.
Every figure and image that shows signed values takes its colours, its limits and the sentence
that states the convention (``SIGN_LEGEND``) from here. Only numpy is needed (no plotly), so
the image code of the kernel lab and LeNet can use it too.
"""

from __future__ import annotations

import numpy as np

SIGN_LEGEND = "Colours show the sign: blue is negative, white is zero, red is positive."
# ColorBrewer RdBu, 11 classes, from its most negative end (blue) to its most positive (red).
_DIVERGING_STOPS = np.array([[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222],
                             [209, 229, 240], [247, 247, 247], [253, 219, 199], [244, 165, 130],
                             [214, 96, 77], [178, 24, 43], [103, 0, 31]], dtype=np.float64)
_SEQUENTIAL_STOPS = np.array([[0, 0, 0], [255, 255, 255]], dtype=np.float64)  # black to white
NEGATIVE, ZERO, POSITIVE = "#2166AC", "#F7F7F7", "#B2182B"  # strong blue, white, strong red
NAN_RGB = (255, 255, 255)  # cells with no value (gaps between tiles) show the page's white
LUT_SIZE = 1025  # odd, so that the middle of a map (zero on the diverging one) is one entry


def _stops(signed: bool) -> np.ndarray:
    """The (n, 3) RGB anchors of the diverging (``signed``) or the sequential map."""
    return _DIVERGING_STOPS if signed else _SEQUENTIAL_STOPS


def colorscale(signed: bool) -> list[list]:
    """A plotly colorscale: [[position 0..1, 'rgb(r,g,b)'], ...] (rgb() strings, not hex)."""
    stops = _stops(signed)
    positions = np.linspace(0, 1, len(stops))
    return [[float(p), "rgb({},{},{})".format(*(int(c) for c in rgb))]
            for p, rgb in zip(positions, stops, strict=True)]


SEQUENTIAL = colorscale(signed=False)
DIVERGING = colorscale(signed=True)


def _finite(values) -> np.ndarray:
    """The finite numbers among ``values`` (array, nested lists, an iterable; None = missing)."""
    array = values if hasattr(values, "__array__") else list(values)
    flat = np.asarray(array, dtype=np.float64).ravel()  # None becomes NaN
    return flat[np.isfinite(flat)]


def is_signed(values) -> bool:
    """Whether any finite value is negative (then the diverging map shows them)."""
    finite = _finite(values)
    return bool(finite.size and finite.min() < 0)


def symmetric_limit(values, pct: float = 100.0) -> float:
    """The colour limit L for signed values shown over -L..L: the pct-th percentile of |v|.

    Below 100, large arrays are subsampled (the same percentile to ~0.1 %) and a few extreme
    pixels do not wash out the rest. All zero (or nothing finite) gives 1, so zero stays white.
    """
    flat = np.abs(_finite(values))
    if flat.size > 1_000_000 and pct < 100:
        flat = flat[:: flat.size // 1_000_000]
    if not flat.size:
        return 1.0
    limit = float(np.percentile(flat, pct)) if pct < 100 else float(flat.max())
    return limit if limit > 0 else max(float(flat.max()), 1.0)


def value_range(values, signed: bool | None = None, limit: float | None = None) -> dict:
    """Which map and limits show ``values``: {'signed', 'zmin', 'zmax'}.

    ``signed=None`` decides by the data (any negative value); signed ranges are -L..L around
    zero (L = ``limit``, else ``symmetric_limit``), plain ones the data's min..max (a constant
    grid sits in the middle of the ramp).
    """
    finite = _finite(values)  # once: ``values`` may be a generator
    signed = is_signed(finite) if signed is None else signed
    if signed:
        limit = symmetric_limit(finite) if limit is None else limit
        return {"signed": True, "zmin": -limit, "zmax": limit}
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return {"signed": False, "zmin": lo, "zmax": hi}


def heatmap_colors(values, signed: bool | None = None, limit: float | None = None) -> dict:
    """Keyword arguments for a plotly heatmap of ``values``: colorscale, zmin, zmax (zmid 0).

    ``signed`` and ``limit`` as in ``value_range``.
    """
    r = value_range(values, signed, limit)
    extra = {"zmid": 0.0} if r["signed"] else {}
    return {"colorscale": colorscale(r["signed"]), "zmin": r["zmin"], "zmax": r["zmax"], **extra}


def _unit(values, zmin: float, zmax: float) -> np.ndarray:
    """Values as positions 0..1 on a map spanning zmin..zmax (clipped; NaN stays NaN)."""
    z = np.asarray(values, dtype=np.float32)
    span = zmax - zmin
    return np.clip((z - zmin) / span, 0, 1) if span > 0 else np.where(np.isnan(z), z, 0.5)


def gray_levels(values, zmin: float, zmax: float) -> np.ndarray:
    """The sequential map as one uint8 grey level per value (a 2-D array shows as an image)."""
    return (np.nan_to_num(_unit(values, zmin, zmax)) * 255 + 0.5).astype(np.uint8)


def _lookup_table(signed: bool, size: int = LUT_SIZE) -> np.ndarray:
    """(size, 3) uint8: the map sampled at positions 0, 1/(size-1), ..., 1 (linear between)."""
    stops = _stops(signed)
    t = np.linspace(0, 1, size)
    x = np.linspace(0, 1, len(stops))
    return np.stack([np.interp(t, x, stops[:, c]) for c in range(3)], axis=1).round().astype(
        np.uint8)


_LUTS = {signed: _lookup_table(signed) for signed in (False, True)}


def to_rgb(values, signed: bool, zmin: float, zmax: float,
           nan_rgb: tuple[int, int, int] = NAN_RGB) -> np.ndarray:
    """Values (any shape) as uint8 RGB (shape + (3,)) on one of the two maps; NaN -> nan_rgb.

    A lookup table keeps a 512 x 512 image at a few milliseconds; positions 0, 1/2 and 1
    (zmin, the middle: zero on the diverging map, and zmax) are exact.
    """
    t = _unit(values, zmin, zmax)
    rgb = _LUTS[signed][(np.nan_to_num(t) * (LUT_SIZE - 1) + 0.5).astype(np.intp)]
    rgb[np.isnan(t)] = nan_rgb
    return rgb


def image_rgb(values, signed: bool | None = None) -> np.ndarray:
    """A whole array as an RGB picture: -L..L on the diverging map if signed, else min..max."""
    r = value_range(values, signed)
    return to_rgb(values, r["signed"], r["zmin"], r["zmax"])


def sign_colorbar(limit: float, **extra) -> dict:
    """A plotly colorbar for a -limit..limit heatmap whose ends say 'negative' and 'positive'."""
    return {"tickvals": [-limit, 0, limit],
            "ticktext": [f"{-limit:.3g} negative", "0", f"+{limit:.3g} positive"], **extra}


def sign_annotation(**placement) -> dict:
    """A plotly annotation with ``SIGN_LEGEND``, by default just under the plot, left-aligned.

    Figures that use it keep about 28 px of bottom margin free (or place it elsewhere).
    """
    return {"text": SIGN_LEGEND, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0,
            "xanchor": "left", "y": 0, "yanchor": "top", "yshift": -6, **placement}
