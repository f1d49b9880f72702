"""TIFF pages through tifffile: one page decoded at a time, samples per pixel kept apart.

Every page's declared size is checked against the limits and its data segments against the
file's length before decoding; uncompressed pages are viewed in the upload's bytes, not copied.
"""

from __future__ import annotations

import io

import numpy as np

from cnnviz.formats.common import (
    ImageLoadError,
    LoadedImage,
    check_decoded,
    check_pixels,
    pick_frame,
)
from cnnviz.formats.tiffmeta import tiff_pixel_size_nm

_RGB = 2  # PhotometricInterpretation
_ALPHA = (1, 2)  # ExtraSamples: associated or unassociated alpha


def load_tiff(data: bytes, frame: int) -> LoadedImage:
    """One TIFF page (or channel of a one-page file) with the pixel size from its metadata."""
    import tifffile

    with tifffile.TiffFile(io.BytesIO(data)) as tf:
        pages = tf.pages
        pixel_nm = tiff_pixel_size_nm(tf, data)
        n_pages = len(pages)
        if n_pages > 1:
            pick_frame(n_pages, frame)
        page = pages[frame] if n_pages > 1 else pages.first
        pixels = _page_pixels(page, data)  # (depth, H, W, samples)
        photometric, extra = int(page.photometric), tuple(page.extrasamples or ())
    notes: list[str] = []
    depth, samples = pixels.shape[0], pixels.shape[-1]
    if n_pages > 1 or depth == 1:
        arr = pixels[0]
        n_frames, index = n_pages, frame
    else:  # a volume stored in one page: its slices are the frames
        pick_frame(depth, frame)
        arr, n_frames, index = pixels[frame], depth, frame
    if photometric == _RGB and samples >= 3:
        keep = 4 if samples >= 4 and extra[:1] and extra[0] in _ALPHA else 3
        if samples > keep:
            notes.append(f"{samples - keep} extra sample channel(s) beyond RGB were dropped.")
        arr = arr[..., :keep]
    elif samples == 2 and extra[:1] and extra[0] in _ALPHA:
        arr = arr[..., 0]
        notes.append("The alpha (transparency) channel was dropped.")
    elif samples > 1 and n_frames == 1:  # separate channels: each one is a frame
        pick_frame(samples, frame)
        arr, n_frames, index = arr[..., frame], samples, frame
        notes.append(f"This TIFF stores {samples} samples (channels) per pixel; channel "
                     f"{frame} is shown (pick another as the frame).")
    elif samples > 1:
        arr = arr[..., 0]
        notes.append(f"Each page stores {samples} samples (channels) per pixel; the first is "
                     "shown.")
    else:
        arr = arr[..., 0]
    pick_frame(n_frames, index)  # a one-frame file has frame 0 only
    return LoadedImage(arr, pixel_nm, "TIFF", n_frames, index, notes)


def _page_pixels(page, data: bytes) -> np.ndarray:
    """A page's pixels as (depth, H, W, samples), after the size checks."""
    check_pixels(page.imagelength, page.imagewidth)
    if page.dtype is None:
        raise ImageLoadError(f"This TIFF's pixel format ({page.bitspersample} bits, sample "
                             f"format {int(page.sampleformat)}) is not supported.")
    sep, depth, height, width, contig = page.shaped
    check_decoded(sep * depth * height * width * contig * page.dtype.itemsize, "TIFF page")
    ends = [o + c for o, c in zip(page.dataoffsets, page.databytecounts, strict=False) if c]
    if not ends or max(ends) > len(data):
        raise ImageLoadError("The TIFF file ends early (truncated): its pixels are missing.")
    if (page.is_contiguous and page.fillorder == 1 and int(page.compression) == 1
            and page.bitspersample == page.dtype.itemsize * 8):
        dtype = page.dtype.newbyteorder(page.parent.byteorder)
        arr = np.frombuffer(data, dtype, count=sep * depth * height * width * contig,
                            offset=page.dataoffsets[0]).reshape(page.shaped)
    else:
        arr = page.asarray().reshape(page.shaped)
    return np.moveaxis(arr[..., 0], 0, -1) if sep > 1 else arr[0]
