"""The image a lecturer shares with the class: its pixels, its description.

The pixels go as .npy bytes and back (no pickles); the description (format, pixel size, the
loader's notes) as small JSON, checked when it is written and again when it is read.
"""

from __future__ import annotations

import io
import json
import math
import re

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


MAX_NOTES, MAX_NOTE = 12, 500  # the loader's notes kept with a shared image, characters per note
SOURCE = re.compile(r"[A-Za-z0-9]{1,12}")  # a format name, as cnnviz.imageio gives it


def image_info(source: object = "", pixel_size_nm: object = None, notes: object = ()) -> dict:
    """What the kernel lab shows beside an image, checked: anything malformed becomes unknown.

    The same rules on write and on read, so a store row from another version or a damaged one
    shows as "pixel size unknown" rather than breaking a student's page.
    """
    size = pixel_size_nm if isinstance(pixel_size_nm, int | float) else None
    if size is not None and (isinstance(size, bool) or not math.isfinite(size) or size <= 0):
        size = None
    kept = notes if isinstance(notes, list | tuple) else ()
    return {"source": source if isinstance(source, str) and SOURCE.fullmatch(source) else "image",
            "pixel_size_nm": None if size is None else float(size),
            "notes": [note[:MAX_NOTE] for note in kept if isinstance(note, str)][:MAX_NOTES]}


def info_json(info: dict) -> str:
    """A description (``image_info``'s keys) as the small JSON text the stores keep."""
    return json.dumps(_checked(info), ensure_ascii=False, allow_nan=False)


def info_from_json(text: str) -> dict:
    """The stored text back as ``image_info`` (unknown calibration where it is not valid JSON)."""
    try:
        found = json.loads(text)
    except (TypeError, ValueError):
        found = None
    return _checked(found if isinstance(found, dict) else {})


def _checked(info: dict) -> dict:
    return image_info(info.get("source"), info.get("pixel_size_nm"), info.get("notes"))
