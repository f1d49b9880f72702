"""Electron-microscopy formats and pixel-size metadata: MRC, DM3/DM4, TIFF resolution tags.

Used by ``cnnviz.imageio``; every function returns plain values and raises ``FormatError``
with a message meant for people.
"""

from __future__ import annotations

import io
import os
import re
import tempfile

import numpy as np

# Length units seen in TIFF, ImageJ, OME, MRC and DM metadata, in nanometres.
NM_PER_UNIT = {"nm": 1.0, "nanometer": 1.0, "nanometre": 1.0, "um": 1e3, "\u00b5m": 1e3,
               "\u03bcm": 1e3, "micron": 1e3, "microns": 1e3, "micrometer": 1e3,
               "micrometre": 1e3, "mm": 1e6, "cm": 1e7, "m": 1e9, "a": 0.1, "\u00e5": 0.1,
               "\u212b": 0.1, "angstrom": 0.1, "pm": 1e-3}
# Plain TIFF resolution in dots per inch is usually a print setting (72, 300 dpi), not a pixel
# size; we trust it only when it describes pixels below this size.
MAX_TRUSTED_INCH_PIXEL_NM = 1000.0


class FormatError(ValueError):
    """A file of a known format that cannot be used; the message is for people."""


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


def _frames(arr: np.ndarray, frame: int, what: str) -> tuple[np.ndarray, int]:
    """Pick frame ``frame`` of a (frames, H, W) stack; 2-D arrays are one frame."""
    if arr.ndim == 2:
        n = 1
    elif arr.ndim == 3:
        n = arr.shape[0]
    else:
        raise FormatError(f"The {what} data has {arr.ndim} dimensions {arr.shape}; the lab "
                          "shows 2-D images and stacks of them.")
    if not 0 <= frame < n:
        raise FormatError(f"Frame {frame} does not exist: this file has {n} frame(s), "
                          f"numbered 0 to {n - 1}.")
    return (arr if arr.ndim == 2 else arr[frame]), n


def _check_pixels(h: int, w: int, max_pixels: int) -> None:
    """Refuse declared sizes above the limit before reading pixels."""
    if h * w > max_pixels:
        raise FormatError(f"The image declares {h} x {w} pixels, more than the lab's limit of "
                          f"{max_pixels:,} (possibly a decompression bomb).")


def load_mrc(data: bytes, frame: int, max_pixels: int):
    """MRC/CCP4 map or stack: (array, pixel_size_nm, 'MRC', n_frames, frame); voxel size A -> nm."""
    from mrcfile.mrcinterpreter import MrcInterpreter

    try:
        with MrcInterpreter(iostream=io.BytesIO(data), header_only=True) as mrc:
            header = mrc.header
            nx, ny, nz = int(header.nx), int(header.ny), int(header.nz)
    except ValueError as err:
        raise FormatError(f"The MRC header is corrupt: {err}") from err
    if min(nx, ny, nz) < 1:
        raise FormatError(f"The MRC header is corrupt: it declares {nz} x {ny} x {nx} voxels.")
    _check_pixels(ny, nx, max_pixels)
    try:
        with MrcInterpreter(iostream=io.BytesIO(data)) as mrc:
            arr = np.asarray(mrc.data)
            size_nm = to_nm(float(mrc.voxel_size.x), "angstrom")
    except ValueError as err:
        raise FormatError(f"The MRC file does not match its header (damaged or truncated): "
                          f"{err}") from err
    image, n = _frames(arr, frame, "MRC")
    return image, size_nm, "MRC", n, frame


def load_dm(data: bytes, fmt: str, frame: int, max_pixels: int):
    """Gatan DM3/DM4 through rosettasciio: the first 2-D image (or stack) and its scale in nm."""
    from rsciio.digitalmicrograph import file_reader

    fd, path = tempfile.mkstemp(suffix="." + fmt.lower())  # rsciio reads from a path
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        signals = file_reader(path, lazy=True)
        images = [s for s in signals if len(s["data"].shape) >= 2
                  and min(s["data"].shape[-2:]) > 1]
        if not images:
            raise FormatError(f"The {fmt} file holds no 2-D image (spectra are not supported).")
        signal = images[0]
        _check_pixels(*signal["data"].shape[-2:], max_pixels)
        arr = np.asarray(signal["data"].compute())
    finally:
        os.unlink(path)
    x_axis = signal["axes"][-1]
    size_nm = to_nm(x_axis.get("scale"), x_axis.get("units"))
    image, n = _frames(arr, frame, fmt)
    return image, size_nm, fmt, n, frame


def tiff_pixel_size_nm(tf) -> float | None:
    """Pixel size from OME-XML, ImageJ metadata or the resolution tags (in that order)."""
    if tf.is_ome and tf.ome_metadata:
        size = _ome_pixel_size_nm(tf.ome_metadata)
        if size is not None:
            return size
    page = tf.pages.first
    xres = page.tags.get("XResolution")
    if xres is None:
        return None
    num, den = xres.value if isinstance(xres.value, tuple) else (xres.value, 1)
    if not num or not den:
        return None
    per_unit = num / den  # pixels per unit length
    if tf.is_imagej and tf.imagej_metadata:
        return to_nm(1.0 / per_unit, tf.imagej_metadata.get("unit"))
    unit = int(page.tags.get("ResolutionUnit").value) if "ResolutionUnit" in page.tags else 2
    if unit == 3:  # centimetre
        return 1e7 / per_unit
    if unit == 2:  # inch
        size = 2.54e7 / per_unit
        return size if size <= MAX_TRUSTED_INCH_PIXEL_NM else None
    return None


def _ome_pixel_size_nm(xml: str) -> float | None:
    """PhysicalSizeX (default unit micrometre) from an OME-XML Pixels element."""
    pixels = re.search(r"<(?:\w+:)?Pixels\b[^>]*>", xml)
    if pixels is None:
        return None
    size = re.search(r'PhysicalSizeX="([^"]+)"', pixels.group(0))
    unit = re.search(r'PhysicalSizeXUnit="([^"]+)"', pixels.group(0))
    return to_nm(size.group(1), unit.group(1) if unit else "um") if size else None
