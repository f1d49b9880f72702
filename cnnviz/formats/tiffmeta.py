"""TIFF pixel sizes: vendor tags through RosettaSciIO, then OME-XML, ImageJ, resolution tags.

RosettaSciIO's TIFF reader knows the FEI/Thermo Fisher, Zeiss SEM, TVIPS, Olympus SIS, JEOL
SightX and Digital Micrograph tags; it reads from a path, so those files (only those) are
written to a temporary file and read lazily: metadata only, no pixels.
"""

from __future__ import annotations

import os
import re
import tempfile

from cnnviz.formats.common import to_nm

# Resolution tags (per inch or per centimetre) are usually a print density (72 or 300 dpi,
# 28.35 px/cm), not a pixel size; they are trusted only for pixels below this size.
MAX_TRUSTED_RESOLUTION_PIXEL_NM = 1000.0
_NM_PER_RESOLUTION_UNIT = {2: 2.54e7, 3: 1e7}  # ResolutionUnit: inch, centimetre
_DM_TAGS = range(65003, 65026)  # Digital Micrograph's TIFF export: units, scales, offsets


def tiff_pixel_size_nm(tf, data: bytes) -> float | None:
    """The pixel size of the first page in nm, or None when the file does not say."""
    if _has_vendor_tags(tf):
        size = _vendor_pixel_size_nm(data)
        if size is not None:
            return size
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
    unit = int(page.tags["ResolutionUnit"].value) if "ResolutionUnit" in page.tags else 2
    if unit not in _NM_PER_RESOLUTION_UNIT:
        return None
    size = _NM_PER_RESOLUTION_UNIT[unit] / per_unit
    return size if size <= MAX_TRUSTED_RESOLUTION_PIXEL_NM else None


def _has_vendor_tags(tf) -> bool:
    page = tf.pages.first
    make = page.tags.get("Make")
    return (tf.is_fei or tf.is_sem or tf.is_tvips or page.is_sis
            or (make is not None and make.value == "JEOL Ltd.")
            or any(code in page.tags for code in _DM_TAGS))


def _vendor_pixel_size_nm(data: bytes) -> float | None:
    """The x scale of the first signal's last (width) axis as RosettaSciIO reads it."""
    from rsciio.tiff import file_reader

    fd, path = tempfile.mkstemp(suffix=".tif")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        signals = file_reader(path, lazy=True)
    except Exception:  # noqa: BLE001 - vendor metadata is optional; the pixels still load
        return None
    finally:
        os.unlink(path)
    axes = signals[0]["axes"] if signals else []
    return to_nm(axes[-1].get("scale"), axes[-1].get("units")) if axes else None


def _ome_pixel_size_nm(xml: str) -> float | None:
    """PhysicalSizeX (default unit micrometre) from an OME-XML Pixels element."""
    pixels = re.search(r"<(?:\w+:)?Pixels\b[^>]*>", xml)
    if pixels is None:
        return None
    size = re.search(r'PhysicalSizeX="([^"]+)"', pixels.group(0))
    unit = re.search(r'PhysicalSizeXUnit="([^"]+)"', pixels.group(0))
    return to_nm(size.group(1), unit.group(1) if unit else "um") if size else None
