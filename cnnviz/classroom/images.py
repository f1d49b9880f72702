"""The image a lecturer shares with the class: an array as .npy bytes, and back (no pickles)."""

from __future__ import annotations

import io

import numpy as np


def image_bytes(array: np.ndarray) -> bytes:
    """The array as the bytes of a .npy file (dtype and shape kept)."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def image_array(data: bytes) -> np.ndarray:
    """The array of ``image_bytes``' bytes, read-only (one copy is shared by every session)."""
    array = np.load(io.BytesIO(data), allow_pickle=False)
    array.flags.writeable = False
    return array
