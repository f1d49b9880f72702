"""PNG (8 and 16 bits per sample, through imagecodecs) and JPEG (through Pillow).

Pillow only reads the header first (size, frames, EXIF), so nothing is decoded before the
declared size passed the limits. Pillow keeps PNG colour at 8 bits, so PNG pixels come from
imagecodecs' libpng decoder, which keeps 16-bit RGB.
"""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np

from cnnviz.formats.common import LoadedImage, check_decoded, check_pixels, pick_frame

# PNG colour type -> samples per decoded pixel (palette images may expand to RGBA).
_PNG_SAMPLES = {0: 1, 2: 3, 3: 4, 4: 2, 6: 4}
# EXIF orientation -> (what the viewer does, the numpy view that does it).
_ORIENTATION = {
    2: ("mirrored left to right", lambda a: a[:, ::-1]),
    3: ("rotated by 180 degrees", lambda a: a[::-1, ::-1]),
    4: ("mirrored top to bottom", lambda a: a[::-1]),
    5: ("transposed (mirrored about the main diagonal)", lambda a: a.swapaxes(0, 1)),
    6: ("rotated by 90 degrees clockwise", lambda a: np.rot90(a, -1)),
    7: ("mirrored about the anti-diagonal", lambda a: a[::-1, ::-1].swapaxes(0, 1)),
    8: ("rotated by 90 degrees counter-clockwise", lambda a: np.rot90(a, 1)),
}
EXIF_ORIENTATION_TAG = 0x0112


def load_raster(data: bytes, fmt: str, frame: int) -> LoadedImage:
    """A PNG or JPEG frame as stored (grey, RGB or RGBA), oriented as its EXIF tag says."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        im = Image.open(io.BytesIO(data))
    check_pixels(im.height, im.width)
    n_frames = getattr(im, "n_frames", 1)
    pick_frame(n_frames, frame)
    notes: list[str] = []
    orient = _orientation(fmt, im)
    if fmt == "PNG":
        arr = _png_pixels(data, im, frame)
    else:
        check_decoded(im.width * im.height * len(im.getbands()), "JPEG image")
        im.load()
        if im.mode not in ("L", "RGB"):
            notes.append(f"The JPEG's {im.mode} colours were converted to RGB.")
            im = im.convert("RGB")
        arr = np.asarray(im)
    im.close()
    if arr.ndim == 3 and arr.shape[-1] == 2:  # grey + alpha
        arr = arr[..., 0]
        notes.append("The alpha (transparency) channel was dropped.")
    if orient in _ORIENTATION:
        what, view = _ORIENTATION[orient]
        arr = view(arr)
        notes.append(f"The file's EXIF orientation tag says it is viewed {what}; it is shown "
                     "that way.")
    return LoadedImage(arr, None, fmt, n_frames, frame, notes)


def _png_pixels(data: bytes, im, frame: int) -> np.ndarray:
    """The frame's pixels at the file's bit depth, size-checked from the PNG header."""
    import imagecodecs

    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    samples = _PNG_SAMPLES.get(colour, 4)
    check_decoded(width * height * samples * (2 if depth == 16 else 1), "PNG image")
    if getattr(im, "n_frames", 1) > 1:
        return imagecodecs.apng_decode(data, index=frame)
    return imagecodecs.png_decode(data)


def _orientation(fmt: str, im) -> int:
    """The EXIF orientation (1 = as stored) without decoding pixels."""
    from PIL import Image

    try:
        if fmt == "JPEG":
            return int(im.getexif().get(EXIF_ORIENTATION_TAG, 1))
        raw = im.info.get("exif")  # a PNG eXIf chunk before the pixels
        if not raw:
            return 1
        exif = Image.Exif()
        exif.load(raw)
        return int(exif.get(EXIF_ORIENTATION_TAG, 1))
    except (ValueError, TypeError, OSError, struct.error):
        return 1
