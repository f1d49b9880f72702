"""Test image files made in memory: PNG, JPEG, TIFF, MRC (no files from outside the tests)."""

from __future__ import annotations

import io
import struct
import zlib

import mrcfile
import numpy as np
import tifffile
from PIL import Image


def png_bytes(arr: np.ndarray, mode: str | None = None) -> bytes:
    """Encode an array as PNG with Pillow."""
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(arr: np.ndarray) -> bytes:
    """Encode an 8-bit array as JPEG."""
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def tiff_bytes(arr: np.ndarray, **kwargs) -> bytes:
    """Encode an array as TIFF with tifffile (kwargs: imagej, ome, resolution, metadata...)."""
    buf = io.BytesIO()
    tifffile.imwrite(buf, arr, **kwargs)
    return buf.getvalue()


def mrc_bytes(arr: np.ndarray, voxel_size_a: float = 0.0) -> bytes:
    """Encode an array as MRC through mrcfile's stream writer."""
    buf = io.BytesIO()
    with mrcfile.mrcinterpreter.MrcInterpreter() as mrc:
        mrc._iostream = buf
        mrc._create_default_attributes()
        mrc.set_data(arr)
        mrc.voxel_size = voxel_size_a
        mrc.flush()
    return buf.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares a huge size (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def mrc_4bit_bytes(arr: np.ndarray) -> bytes:
    """An MRC mode 101 file: 4-bit values two per byte, low bits first, rows padded to bytes."""
    ny, nx = arr.shape
    padded = np.zeros((ny, nx + nx % 2), np.uint8)
    padded[:, :nx] = arr
    packed = (padded[:, 0::2] | (padded[:, 1::2] << 4)).view(np.int8)
    data = bytearray(mrc_bytes(packed))  # written as mode 0, same bytes per row
    data[0:4], data[12:16] = struct.pack("<i", nx), struct.pack("<i", 101)
    return bytes(data)
