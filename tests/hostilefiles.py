"""Hostile upload files made by the tests: headers that declare far more than the file holds."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import tifffile
from imagefiles import mrc_bytes


def mrc_declaring_frames(nz: int = 100_000) -> bytes:
    """A 21 KB MRC (one 100 x 50 float32 frame) whose header claims ``nz`` frames."""
    data = bytearray(mrc_bytes(np.zeros((1, 100, 50), np.float32)))
    data[8:12] = struct.pack("<i", nz)
    return bytes(data)


def mrc_declaring_extended_header(nbytes: int = 2**31 - 1) -> bytes:
    """A small MRC whose header claims an extended header of ``nbytes`` bytes."""
    data = bytearray(mrc_bytes(np.zeros((100, 50), np.float32)))
    data[92:96] = struct.pack("<i", nbytes)  # NSYMBT, word 24
    return bytes(data)


def tiff_tiled_zeros(side: int = 8192, samples: int = 4, dtype: str = "float64") -> bytes:
    """A deflate-compressed tiled RGB(A) TIFF of zeros: a few MB that decode to gigabytes."""
    tile = np.zeros((512, 512, samples), dtype)
    n_tiles = (side // 512) ** 2
    buf = io.BytesIO()
    tifffile.imwrite(buf, (tile for _ in range(n_tiles)), shape=(side, side, samples),
                     dtype=dtype, tile=(512, 512), compression="zlib", photometric="rgb",
                     extrasamples=["unassalpha"] * (samples - 3))
    return buf.getvalue()


def png_zeros(side: int = 8192, channels: int = 4, bit_depth: int = 8) -> bytes:
    """A valid PNG of zeros (RGBA by default) written row by row, never held decoded."""
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    row = b"\x00" * (1 + side * channels * bit_depth // 8)  # filter byte 0, then samples
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))
