"""What every format reader shares: the error, the result, length units and memory limits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# One frame of at most 8192 x 8192 pixels: 256 MB as float32 (the array the lab keeps).
MAX_PIXELS = 8192 * 8192
# The decoded pixels of that frame as the file stores them (all samples, native width), which a
# decoder must hold next to the float32 result. With the 256 MB result and the interpreter this
# keeps one load under 1 GB of resident memory.
MAX_DECODED_BYTES = 512 * 2**20

# Length units seen in TIFF, ImageJ, OME, MRC and DM metadata, in nanometres.
NM_PER_UNIT = {"nm": 1.0, "nanometer": 1.0, "nanometre": 1.0, "um": 1e3, "\u00b5m": 1e3,
               "\u03bcm": 1e3, "micron": 1e3, "microns": 1e3, "micrometer": 1e3,
               "micrometre": 1e3, "mm": 1e6, "cm": 1e7, "m": 1e9, "a": 0.1, "\u00e5": 0.1,
               "\u212b": 0.1, "angstrom": 0.1, "pm": 1e-3}


class ImageLoadError(ValueError):
    """An uploaded file that cannot be shown; the message is meant for the person uploading."""


@dataclass
class LoadedImage:
    """A 2-D image with the metadata the lab shows."""

    array: np.ndarray  # (H, W) float32, the file's values
    pixel_size_nm: float | None
    source: str  # format name: PNG, JPEG, TIFF, MRC, DM3, DM4
    n_frames: int = 1  # frames (pages, slices, channels) in the file; ``frame`` is the one loaded
    frame: int = 0
    notes: list[str] = field(default_factory=list)  # conversions people should know about
    # for a spectrum image shown as a sum: (first channel, last channel, units) of its axis
    spectral_range: tuple[float, float, str] | None = None


def to_nm(value: float | None, unit: str | None) -> float | None:
    """A length in nanometres, or None when the unit is not a length or the value is unusable."""
    if value is None or unit is None:
        return None
    factor = NM_PER_UNIT.get(str(unit).strip().lower())
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if factor is None or not np.isfinite(value) or value <= 0:
        return None
    return value * factor


def check_pixels(h: int, w: int) -> None:
    """Refuse a declared frame size above MAX_PIXELS before any pixel is decoded."""
    if h * w > MAX_PIXELS:
        raise ImageLoadError(f"The image declares {h} x {w} pixels, more than the lab's limit of "
                             f"{MAX_PIXELS:,} (possibly a decompression bomb).")


def check_decoded(nbytes: int, what: str) -> None:
    """Refuse a frame whose decoded pixels (as stored: all samples, full width) exceed the limit."""
    if nbytes > MAX_DECODED_BYTES:
        raise ImageLoadError(
            f"Decoding this {what} would take {nbytes / 2**20:,.0f} MB of memory, more than the "
            f"lab's {MAX_DECODED_BYTES // 2**20} MB per image: save it smaller, as grayscale, or "
            "with fewer bits per sample.")


def check_length(needed: int, present: int, what: str) -> None:
    """Refuse a file shorter than what its header declares, before allocating for it."""
    if needed > present:
        raise ImageLoadError(f"The {what} file is shorter than its header declares ({needed:,} "
                             f"bytes needed, {present:,} present): it is truncated or damaged.")


def pick_frame(n_frames: int, frame: int) -> None:
    """Frames are numbered 0 .. n_frames-1."""
    if not 0 <= frame < n_frames:
        raise ImageLoadError(f"Frame {frame} does not exist: this file has {n_frames} frame(s), "
                             f"numbered 0 to {n_frames - 1}.")
