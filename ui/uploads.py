"""Image uploads on every page: one file picker and one decoder, ``cnnviz.imageio.load_image``."""

from __future__ import annotations

import streamlit as st

from cnnviz.imageio import EXTENSIONS, ImageLoadError, LoadedImage, load_image

UPLOAD_TYPES = sorted({e.lstrip(".") for e in EXTENSIONS})
UPLOAD_KINDS = "PNG, JPEG, TIFF, MRC, DM3 or DM4"


def image_uploader(label: str, key: str, where=st):
    """A file picker for every format the loader reads; the UploadedFile or None."""
    return where.file_uploader(label, type=UPLOAD_TYPES, key=key)


def decode(data: bytes, name: str, frame: int = 0,
           band: tuple[float, float] | None = None) -> LoadedImage | None:
    """The decoded upload, or None after telling the user why it cannot be used."""
    try:
        return load_image(data, name, frame, band)
    except ImageLoadError as err:
        st.error(f"Could not use '{name}': {err}")
        return None


def describe(image: LoadedImage, name: str) -> str:
    """One line on what was read: file, format, size, frame and the range of its values."""
    h, w = image.array.shape
    lo, hi = float(image.array.min()), float(image.array.max())
    frames = f", frame {image.frame} of {image.n_frames}" if image.n_frames > 1 else ""
    return f"**{name}** ({image.source}): {h} x {w} pixels{frames}, values {lo:g} to {hi:g}"


def uploaded_image(label: str, key: str) -> LoadedImage | None:
    """A picker plus its decoded upload (first frame), described with the loader's notes."""
    upload = image_uploader(label, key)
    image = decode(upload.getvalue(), upload.name) if upload is not None else None
    if image is not None:
        st.caption(" ".join([describe(image, upload.name) + ".", *image.notes]))
    return image
