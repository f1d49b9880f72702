"""MRC/CCP4 maps and stacks, read straight from the upload's bytes with mrcfile's header layout.

The header is checked against the file's length before anything is allocated, and only the
chosen frame is copied: a header that declares 100,000 frames or a 2 GB extended header costs
nothing. Modes follow MRC2014 and mrcfile; mode 101 (4-bit) is unpacked here because mrcfile
does not read it.
"""

from __future__ import annotations

import numpy as np

from cnnviz.formats.common import (
    ImageLoadError,
    LoadedImage,
    check_length,
    check_pixels,
    pick_frame,
    to_nm,
)

HEADER_BYTES = 1024
# MRC mode -> numpy dtype (little-endian; swapped for big-endian files). 3 and 4 are complex.
_MODES = {0: "i1", 1: "i2", 2: "f4", 3: "c4", 4: "c8", 6: "u2", 12: "f2", 101: "u1"}
FOUR_BIT = 101


def load_mrc(data: bytes, frame: int) -> LoadedImage:
    """One frame of an MRC file with its voxel size (Angstrom in the file, nm here)."""
    if len(data) < HEADER_BYTES:
        raise ImageLoadError(f"This is not an MRC file: it has {len(data)} bytes, fewer than "
                             f"an MRC header alone ({HEADER_BYTES}).")
    signed = data[208:211] == b"MAP"  # MRC2014 files carry 'MAP' at byte 208
    header = _header(data)
    if header is None:
        if not signed:
            raise ImageLoadError("This is not an MRC file: it has neither the MRC signature "
                                 "nor a header that describes image data.")
        raise ImageLoadError("The MRC header is corrupt: its sizes or data mode make no sense.")
    nx, ny, nz, mode = (int(header[k]) for k in ("nx", "ny", "nz", "mode"))
    if mode in (3, 4):
        raise ImageLoadError("The image holds complex numbers (e.g. an FFT); save its "
                             "magnitude or real part instead.")
    check_pixels(ny, nx)
    dtype = np.dtype(_MODES[mode]).newbyteorder(header.dtype["nx"].byteorder)
    row_bytes = (nx + 1) // 2 if mode == FOUR_BIT else nx * dtype.itemsize
    offset = HEADER_BYTES + int(header["nsymbt"])
    needed = offset + nz * ny * row_bytes
    if needed > len(data) and not signed:
        raise ImageLoadError("This is not an MRC file: its first bytes do not describe the "
                             "data that follows.")
    check_length(needed, len(data), "MRC")
    pick_frame(nz, frame)
    start = offset + frame * ny * row_bytes
    notes = []
    if mode == FOUR_BIT:
        arr = _unpack_four_bit(data, start, nx, ny, row_bytes)
        notes.append("4-bit MRC values (mode 101) unpacked two per byte, the low 4 bits first "
                     "as IMOD writes them.")
    else:
        arr = np.frombuffer(data, dtype, count=nx * ny, offset=start).reshape(ny, nx)
    mx = int(header["mx"])
    size_nm = to_nm(float(header["cella"]["x"]) / mx, "angstrom") if mx > 0 else None
    return LoadedImage(arr, size_nm, "MRC", nz, frame, notes)


def _header(data: bytes) -> np.ndarray | None:
    """The header in whichever byte order gives sensible sizes and a known mode, else None."""
    from mrcfile.dtypes import HEADER_DTYPE

    for order in ("<", ">"):
        header = np.frombuffer(data, HEADER_DTYPE.newbyteorder(order), count=1)[0]
        dims = [int(header[k]) for k in ("nx", "ny", "nz")]
        if int(header["mode"]) in _MODES and min(dims) >= 1 and int(header["nsymbt"]) >= 0:
            return header
    return None


def _unpack_four_bit(data: bytes, start: int, nx: int, ny: int, row_bytes: int) -> np.ndarray:
    """Mode 101: two pixels per byte, rows padded to whole bytes."""
    packed = np.frombuffer(data, np.uint8, count=ny * row_bytes, offset=start)
    packed = packed.reshape(ny, row_bytes)
    arr = np.empty((ny, 2 * row_bytes), np.uint8)
    arr[:, 0::2], arr[:, 1::2] = packed & 0x0F, packed >> 4
    return arr[:, :nx]
