"""Load uploaded micrographs: PNG, JPEG, TIFF, MRC, DM3/DM4 into a 2-D float32 array.

Contract (used by pages and external tests): ``load_image(data, filename)`` returns a
``LoadedImage`` whose ``.array`` holds the file's values as float32 (not rescaled), with
``.pixel_size_nm`` (float or None), ``.source`` (format name) and ``.notes`` (every lossy
step: colour to grey, alpha dropped, rounding, orientation, a spectrum image summed).
Anything unreadable, unsupported, unsafe or too big for memory raises ``ImageLoadError``
with a message meant for people; no other exception escapes.

The readers live in ``cnnviz.formats``; each checks what a file declares against the file's
length and the memory limits (``cnnviz.formats.common``) before allocating.
"""

from __future__ import annotations

import warnings

from cnnviz.formats.common import MAX_PIXELS, ImageLoadError, LoadedImage
from cnnviz.formats.spectra import SpectrumImage

__all__ = ["EXTENSIONS", "ImageLoadError", "LoadedImage", "SpectrumImage", "load_image",
           "load_spectrum_image"]

MAX_UPLOAD_BYTES = 256 * 2**20  # matches server.maxUploadSize in .streamlit/config.toml
EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
              ".mrc": "MRC", ".mrcs": "MRC", ".map": "MRC", ".dm3": "DM3", ".dm4": "DM4"}
_DM = ("DM3", "DM4")


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


def load_image(data: bytes, filename: str, frame: int = 0,
               band: tuple[float, float] | None = None) -> LoadedImage:
    """Decode an uploaded file into a LoadedImage; raise ImageLoadError for anything bad.

    ``band``: for a spectrum image, the (low, high) window on its spectral axis (in the file's
    units, e.g. eV or nm) to sum; None sums every channel.
    """
    from cnnviz.formats.values import to_float32

    fmt = _check_upload(data, filename)

    def decode() -> LoadedImage:
        image = _read(data, fmt, frame, band)
        image.array = to_float32(image.array, image.notes)
        return image
    return _guarded(decode, fmt, filename)


def load_spectrum_image(data: bytes, filename: str) -> SpectrumImage:
    """The (H, W, C) float32 cube of an uploaded DM spectrum image with its axes."""
    from cnnviz.formats.dm import load_dm_spectrum_image

    fmt = _check_upload(data, filename)
    if fmt not in _DM:
        raise ImageLoadError("Spectrum images are read from DM3 or DM4 files.")
    return _guarded(lambda: load_dm_spectrum_image(data, fmt), fmt, filename)


def _read(data: bytes, fmt: str, frame: int, band) -> LoadedImage:
    """The format's reader: pixels as stored, before the float32 conversion."""
    if fmt in ("PNG", "JPEG"):
        from cnnviz.formats.raster import load_raster
        return load_raster(data, fmt, frame)
    if fmt == "TIFF":
        from cnnviz.formats.tiff import load_tiff
        return load_tiff(data, frame)
    if fmt == "MRC":
        from cnnviz.formats.mrc import load_mrc
        return load_mrc(data, frame)
    from cnnviz.formats.dm import load_dm
    return load_dm(data, fmt, frame, band)


def _guarded(decode, fmt: str, filename: str):
    """Run a reader; every failure becomes an ImageLoadError with a human reason."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return decode()
    except ImageLoadError:
        raise
    except MemoryError as err:
        raise ImageLoadError("The server ran out of memory decoding this image; "
                             "try a smaller one.") from err
    except Exception as err:  # noqa: BLE001 - decoders raise anything on damaged files
        raise ImageLoadError(_damaged(fmt, filename, err)) from err


def _damaged(fmt: str, filename: str, err: Exception) -> str:
    """A message for a file its decoder rejected."""
    text = str(err).lower()
    if "bomb" in text or "exceeds limit" in text:
        return (f"'{filename}' declares a huge image size (a decompression bomb): refused. "
                f"The lab accepts up to {MAX_PIXELS:,} pixels.")
    ends = ("truncat", "end of", "eof", "short", "not enough", "stream too small")
    how = "ends early (truncated)" if any(w in text for w in ends) else "is damaged"
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
