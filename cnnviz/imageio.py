"""Load uploaded micrographs: PNG, JPEG, TIFF, MRC, DM3/DM4 into a 2-D float32 array.

Contract (used by pages and external tests): ``load_image(data, filename)`` returns a
``LoadedImage`` whose ``.array`` holds the file's values as float32 (not rescaled), with
``.pixel_size_nm`` (float or None) and ``.source`` (format name). Anything unreadable,
unsupported or unsafe raises ``ImageLoadError`` with a message meant for people; no other
exception escapes.

Colour images become grayscale by the ITU-R BT.601 luma rule 0.299 R + 0.587 G + 0.114 B;
an alpha channel is dropped (transparency is not an intensity).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np

from cnnviz.formats import em as emformats
from cnnviz.lab.buffers import OUTPUTS

MAX_UPLOAD_BYTES = 256 * 2**20  # matches server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 8192 * 8192  # 256 MB as float32; larger images would crowd a shared server
MIN_SIDE = 2
LUMA_BT601 = (0.299, 0.587, 0.114)
EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
              ".mrc": "MRC", ".mrcs": "MRC", ".map": "MRC", ".dm3": "DM3", ".dm4": "DM4"}
_DM = ("DM3", "DM4")


class ImageLoadError(ValueError):
    """An uploaded file that cannot be shown; the message is meant for the person uploading."""


@dataclass
class LoadedImage:
    """A 2-D image with the metadata the lab shows."""

    array: np.ndarray  # (H, W) float32, the file's values
    pixel_size_nm: float | None
    source: str  # format name: PNG, JPEG, TIFF, MRC, DM3, DM4
    n_frames: int = 1  # frames (pages, slices) in the file; ``frame`` is the one loaded
    frame: int = 0
    notes: list[str] = field(default_factory=list)  # conversions people should know about


def sniff(data: bytes) -> str | None:
    """The format that the file's first bytes announce, or None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if data[:4] in (b"\x00\x00\x00\x03", b"\x00\x00\x00\x04"):
        return f"DM{data[3]}"
    if data[208:211] == b"MAP":
        return "MRC"
    return None


def load_image(data: bytes, filename: str, frame: int = 0) -> LoadedImage:
    """Decode an uploaded file into a LoadedImage; raise ImageLoadError for anything bad."""
    fmt = _check_upload(data, filename)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fmt in ("PNG", "JPEG"):
                from PIL import Image

                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = _load_pillow(data, fmt, frame)
            elif fmt == "TIFF":
                image = _load_tiff(data, frame)
            elif fmt == "MRC":
                image = LoadedImage(*emformats.load_mrc(data, frame, MAX_PIXELS))
            else:
                image = LoadedImage(*emformats.load_dm(data, fmt, frame, MAX_PIXELS))
    except ImageLoadError:
        raise
    except emformats.FormatError as err:
        raise ImageLoadError(str(err)) from err
    except MemoryError as err:
        raise ImageLoadError("The server ran out of memory decoding this image; "
                             "try a smaller one.") from err
    except Exception as err:  # noqa: BLE001 - decoders raise anything on damaged files
        raise ImageLoadError(_damaged(fmt, filename, err)) from err
    return _finish(image)


def _damaged(fmt: str, filename: str, err: Exception) -> str:
    """A message for a file its decoder rejected."""
    text = str(err).lower()
    if "bomb" in text or "exceeds limit" in text:
        return (f"'{filename}' declares a huge image size (a decompression bomb): refused. "
                f"The lab accepts up to {MAX_PIXELS:,} pixels.")
    how = "ends early (truncated)" if any(w in text for w in ("truncat", "end of", "eof", "short",
                                                             "not enough")) else "is damaged"
    return f"'{filename}' could not be read as a {fmt} file: it {how}. Export it again."


def _check_upload(data: bytes, filename: str) -> str:
    """Size, extension and content checks before decoding; returns the format name."""
    name = filename or "the file"
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kinds = "PNG, JPEG, TIFF, MRC, DM3 or DM4"
    if suffix not in EXTENSIONS:
        what = f"'{suffix}' files" if suffix else "Files without an extension"
        raise ImageLoadError(f"{what} are not supported: upload a {kinds} image.")
    if len(data) == 0:
        raise ImageLoadError(f"'{name}' is empty (0 bytes).")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageLoadError(f"'{name}' is {len(data) / 2**20:.0f} MB; the lab accepts files up "
                             f"to {MAX_UPLOAD_BYTES // 2**20} MB.")
    fmt, found = EXTENSIONS[suffix], sniff(data)
    if found is None and fmt != "MRC":
        raise ImageLoadError(f"'{name}' is not a {fmt} image (its content is no image format "
                             "the lab knows).")
    if found is not None and found != fmt and not (found in _DM and fmt in _DM):
        raise ImageLoadError(f"'{name}' is named like a {fmt} file but contains a {found} image: "
                             f"rename it to end in .{found.lower()}.")
    return fmt


def _check_size(shape: tuple[int, ...]) -> None:
    """Refuse declared sizes above MAX_PIXELS before any pixel is decoded."""
    pixels = int(np.prod(shape[-2:], dtype=np.int64)) if len(shape) >= 2 else 0
    if pixels > MAX_PIXELS:
        raise ImageLoadError(f"The image declares {shape[-2]} x {shape[-1]} pixels, more than "
                             f"the lab's limit of {MAX_PIXELS:,} (possibly a decompression bomb).")


def _pick_frame(n_frames: int, frame: int) -> None:
    """Frames are numbered 0 .. n_frames-1."""
    if not 0 <= frame < n_frames:
        raise ImageLoadError(f"Frame {frame} does not exist: this file has {n_frames} frame(s), "
                             f"numbered 0 to {n_frames - 1}.")


def _load_pillow(data: bytes, fmt: str, frame: int) -> LoadedImage:
    """PNG and JPEG through Pillow, size-checked before decoding."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    _check_size((im.height, im.width))
    n_frames = getattr(im, "n_frames", 1)
    _pick_frame(n_frames, frame)
    im.seek(frame)
    im.load()
    notes = []
    if im.mode in ("P", "PA"):
        im = im.convert("RGBA")
    elif im.mode in ("1", "CMYK", "YCbCr", "LAB", "HSV"):
        im = im.convert("L" if im.mode == "1" else "RGB")
    elif im.mode == "LA":
        im, notes = im.getchannel("L"), ["The alpha (transparency) channel was dropped."]
    arr = np.asarray(im)
    return LoadedImage(arr, None, fmt, n_frames, frame, notes)


def _load_tiff(data: bytes, frame: int) -> LoadedImage:
    """TIFF (8/16/32-bit integer or float, multi-page) with the pixel size from its metadata."""
    import tifffile

    with tifffile.TiffFile(io.BytesIO(data)) as tf:
        pages = tf.pages
        first = pages.first
        _check_size((first.imagelength, first.imagewidth))
        pixel_nm = emformats.tiff_pixel_size_nm(tf)
        if len(pages) > 1:
            _pick_frame(len(pages), frame)
            page = pages[frame]
            _check_size((page.imagelength, page.imagewidth))
            return LoadedImage(_tiff_page(page, data), pixel_nm, "TIFF", len(pages), frame)
        arr = _tiff_page(first, data)
        samples = first.samplesperpixel
    if arr.ndim == 3 and samples in (3, 4) and arr.shape[0] == samples:  # planar RGB(A)
        arr = np.moveaxis(arr, 0, -1)
    if arr.ndim == 3 and not (samples in (3, 4) and arr.shape[-1] == samples):
        _pick_frame(arr.shape[0], frame)  # a stack stored in one page
        return LoadedImage(arr[frame], pixel_nm, "TIFF", arr.shape[0], frame)
    return LoadedImage(arr, pixel_nm, "TIFF")


def _tiff_page(page, data: bytes) -> np.ndarray:
    """A page's pixels; uncompressed single-sample pages are viewed in place, not copied."""
    if page.is_contiguous and page.samplesperpixel == 1 and page.dtype is not None:
        offset, count = page.dataoffsets[0], int(np.prod(page.shape))
        dtype = page.dtype.newbyteorder(page.parent.byteorder)
        if offset + count * dtype.itemsize > len(data):
            raise ImageLoadError("The TIFF file ends early (truncated): its pixels are missing.")
        return np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(page.shape)
    return page.asarray()


def _finish(image: LoadedImage) -> LoadedImage:
    """Grayscale 2-D float32 with finite values and at least MIN_SIDE pixels per side."""
    arr = image.array
    if arr.dtype.kind == "c":
        raise ImageLoadError("The image holds complex numbers (e.g. an FFT); save its "
                             "magnitude or real part instead.")
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        if arr.shape[-1] == 4:
            image.notes.append("The alpha (transparency) channel was dropped.")
        image.notes.append("Colour converted to grayscale: 0.299 R + 0.587 G + 0.114 B "
                           "(ITU-R BT.601 luma).")
        arr = arr[..., :3].astype(np.float32) @ np.asarray(LUMA_BT601, dtype=np.float32)
    if arr.ndim != 2:
        raise ImageLoadError(f"The image has shape {arr.shape}; the lab needs a 2-D grayscale "
                             "image, a colour image or a stack of 2-D frames.")
    h, w = arr.shape
    if min(h, w) < MIN_SIDE:
        raise ImageLoadError(f"The image is only {h} x {w} pixel(s): too small to filter. "
                             f"Upload one with at least {MIN_SIDE} pixels per side.")
    was_float = arr.dtype.kind == "f"
    out = OUTPUTS.empty(arr.shape)  # a writable, native-order array that only we hold
    np.copyto(out, arr, casting="unsafe")  # exact for <= 24-bit integers, rounds wider ones
    arr = out
    bad = ~np.isfinite(arr) if was_float else None  # integers are always finite
    if bad is not None and bad.any():
        n_nan = int(np.isnan(arr).sum())
        raise ImageLoadError(f"The image contains {n_nan} NaN and {int(bad.sum()) - n_nan} "
                             "infinite value(s); replace them (e.g. by 0) and export it again.")
    image.array = arr
    return image
