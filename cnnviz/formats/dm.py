"""Gatan DM3/DM4 through RosettaSciIO: images, stacks, RGB images and spectrum images.

RosettaSciIO reads from a path, so the upload goes to a temporary file. Data are read lazily
(a stack decodes only the chosen frame), except RGB images, which RosettaSciIO reads only
eagerly; either way the declared array must fit in the file before anything is computed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from cnnviz.formats.common import (
    ImageLoadError,
    LoadedImage,
    check_decoded,
    check_length,
    check_pixels,
    pick_frame,
    to_nm,
)
from cnnviz.formats.spectra import SpectrumImage, as_spectrum_image, band_view, spectral_axis

_RGB_NOT_LAZY = "Lazy loading of RGBA images is not supported"


def load_dm(data: bytes, fmt: str, frame: int,
            band: tuple[float, float] | None = None) -> LoadedImage:
    """The file's first image (or frame of a stack, or view of a spectrum image) and its scale."""
    with _first_signal(data, fmt) as (arr, axes):
        if spectral_axis(axes) is not None:
            pick_frame(1, frame)  # one view of the whole cube
            si = _spectrum_image(arr, axes, fmt)
            view, note = band_view(si, band)
            return LoadedImage(view, si.pixel_size_nm, fmt, 1, 0, [note], (
                float(si.channels[0]), float(si.channels[-1]), si.units))
        if arr.ndim > 3:
            raise ImageLoadError(f"The {fmt} data has {arr.ndim} dimensions {arr.shape}; the "
                                 "lab shows 2-D images and stacks of them.")
        n = arr.shape[0] if arr.ndim == 3 else 1
        pick_frame(n, frame)
        image = arr[frame] if arr.ndim == 3 else arr
        image = np.asarray(image.compute() if hasattr(image, "compute") else image)
    if image.dtype.names:  # RGB(A) as a structured array: the lab uses R, G, B
        image = np.stack([image[c] for c in "RGB"], axis=-1)
    x_axis = axes[arr.ndim - 1]
    return LoadedImage(image, to_nm(x_axis.get("scale"), x_axis.get("units")), fmt, n, frame)


def load_dm_spectrum_image(data: bytes, fmt: str) -> SpectrumImage:
    """The file's spectrum image as a float32 (H, W, C) cube, for per-pixel channel mixing."""
    with _first_signal(data, fmt) as (arr, axes):
        si = _spectrum_image(arr, axes, fmt)
    check_decoded(si.cube.size * 4, f"{fmt} spectrum image")
    si.cube = np.asarray(si.cube, dtype=np.float32)
    return si


def _spectrum_image(arr, axes: list[dict], fmt: str) -> SpectrumImage:
    """The whole signal in memory (bounded by the file's length) as a SpectrumImage."""
    check_decoded(int(np.prod(arr.shape)) * arr.dtype.itemsize, f"{fmt} spectrum image")
    return as_spectrum_image(np.asarray(arr.compute() if hasattr(arr, "compute") else arr),
                             axes, fmt)


@contextmanager
def _first_signal(data: bytes, fmt: str) -> Iterator[tuple]:
    """(data, axes) of the first image or spectral signal, size-checked, in a temporary file.

    The file exists while the block runs: lazy data are read from it.
    """
    from rsciio.digitalmicrograph import file_reader

    fd, path = tempfile.mkstemp(suffix="." + fmt.lower())
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            signals = file_reader(path, lazy=True)
        except ValueError as err:
            if _RGB_NOT_LAZY not in str(err):
                raise
            signals = file_reader(path, lazy=False)  # eager: bounded by the file's length
        usable = [s for s in signals if spectral_axis(s["axes"]) is not None
                  or (len(s["data"].shape) >= 2 and min(s["data"].shape[-2:]) > 1)]
        if not usable:
            raise ImageLoadError(f"The {fmt} file holds no 2-D image.")
        arr, axes = usable[0]["data"], usable[0]["axes"]
        shape = tuple(int(n) for n in arr.shape)
        if spectral_axis(axes) is None:
            check_pixels(*shape[-2:])
        check_length(int(np.prod(shape, dtype=np.int64)) * arr.dtype.itemsize, len(data), fmt)
        yield arr, axes
    finally:
        os.unlink(path)
