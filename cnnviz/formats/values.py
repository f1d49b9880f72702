"""Decoded pixels to the lab's 2-D float32 array, block by block, with a note for each loss."""

from __future__ import annotations

import numpy as np

from cnnviz.formats.common import ImageLoadError
from cnnviz.lab.buffers import OUTPUTS

MIN_SIDE = 2
LUMA_BT601 = (0.299, 0.587, 0.114)
EXACT_INTEGERS = 2**24  # float32 holds every integer up to 2^24 exactly
FLOAT32_MAX = float(np.finfo(np.float32).max)
BLOCK_BYTES = 16 * 2**20  # source rows converted at a time: temporaries stay this small


def to_float32(arr: np.ndarray, notes: list[str]) -> np.ndarray:
    """(H, W) or (H, W, 3|4) pixels as a new (H, W) float32 array; ``notes`` gets each loss.

    Colour becomes grey by the ITU-R BT.601 luma rule 0.299 R + 0.587 G + 0.114 B and an alpha
    channel is dropped (transparency is not an intensity).
    """
    if arr.dtype.kind == "c":
        raise ImageLoadError("The image holds complex numbers (e.g. an FFT); save its "
                             "magnitude or real part instead.")
    colour = arr.ndim == 3 and arr.shape[-1] in (3, 4)
    if arr.ndim != 2 and not colour:
        raise ImageLoadError(f"The image has shape {arr.shape}; the lab needs a 2-D grayscale "
                             "image, a colour image or a stack of 2-D frames.")
    h, w = arr.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise ImageLoadError(f"The image is only {h} x {w} pixel(s): too small to filter. "
                             f"Upload one with at least {MIN_SIDE} pixels per side.")
    if colour:
        if arr.shape[-1] == 4:
            notes.append("The alpha (transparency) channel was dropped.")
        notes.append("Colour converted to grayscale: 0.299 R + 0.587 G + 0.114 B "
                     "(ITU-R BT.601 luma).")
    out = OUTPUTS.empty((h, w))  # a writable, native-order array that only we hold
    luma = np.asarray(LUMA_BT601, np.float32)
    wide_float = arr.dtype.kind == "f" and arr.dtype.itemsize > 4
    wide_int = arr.dtype.kind in "iu" and arr.dtype.itemsize >= 4
    rounded = False
    rows = max(1, BLOCK_BYTES // max(1, arr[:1].nbytes))
    for r0 in range(0, h, rows):
        block, dest = arr[r0: r0 + rows], out[r0: r0 + rows]
        if colour:
            block = block[..., :3]
        if wide_float:
            _check_float32_range(block)
        if wide_int and not rounded:
            rounded = bool(block.max() > EXACT_INTEGERS or block.min() < -EXACT_INTEGERS)
        if colour:
            np.matmul(block.astype(np.float32), luma, out=dest)
        else:
            np.copyto(dest, block, casting="unsafe")
    if wide_float:
        notes.append(f"The file's {arr.dtype.itemsize * 8}-bit floating-point values were "
                     "rounded to float32 (about 7 significant digits).")
    if rounded:
        notes.append(f"Some integer values exceed {EXACT_INTEGERS:,} (2^24): float32 holds them "
                     "only to about 7 significant digits, so they were rounded.")
    if arr.dtype.kind == "f":
        _check_finite(out)
    return out


def _check_float32_range(block: np.ndarray) -> None:
    """Finite values that float32 cannot hold get a clear message, not 'infinite values'."""
    big = np.abs(block) > FLOAT32_MAX  # NaN compares False
    if big.any():
        raise ImageLoadError(f"The image holds values up to {np.abs(block[big]).max():.3g}, "
                             f"beyond float32's range (+-{FLOAT32_MAX:.3g}) that the lab computes "
                             "in: rescale the data (e.g. to 0..1) and export it again.")


def _check_finite(out: np.ndarray) -> None:
    """NaN and infinity are counted and refused."""
    n_nan = n_inf = 0
    rows = max(1, BLOCK_BYTES // max(1, out[:1].nbytes))
    for r0 in range(0, out.shape[0], rows):
        block = out[r0: r0 + rows]
        n_nan += int(np.isnan(block).sum())
        n_inf += int(np.isinf(block).sum())
    if n_nan or n_inf:
        raise ImageLoadError(f"The image contains {n_nan} NaN and {n_inf} infinite value(s); "
                             "replace them (e.g. by 0) and export it again.")
