"""A minimal Gatan DM3/DM4 writer for tests (rosettasciio reads DM but cannot write it).

It writes the tag tree rosettasciio's reader needs for one image: ImageList/TagGroup0 with
ImageData (Data, DataType, Dimensions, Calibrations) and an empty ImageTags group.
Data are little-endian; header lengths are big-endian as in real files.
"""

from __future__ import annotations

import struct

import numpy as np

# DM image DataType codes and the tag element type used for the Data array.
_DATA_TYPES = {np.dtype("int16"): (1, 2), np.dtype("float32"): (2, 6),
               np.dtype("uint8"): (6, 10), np.dtype("int32"): (7, 3),
               np.dtype("uint16"): (10, 4), np.dtype("float64"): (12, 7)}


class _Writer:
    def __init__(self, version: int):
        self.version = version
        self.lq = ">Q" if version == 4 else ">I"  # header integers: 8 bytes in DM4, 4 in DM3

    def integers(self, *values: int) -> bytes:
        return b"".join(struct.pack(self.lq, v) for v in values)

    def data_tag(self, name: str, info: list[int], payload: bytes) -> bytes:
        body = b"%%%%" + self.integers(len(info), *info) + payload
        size = struct.pack(">Q", len(body)) if self.version == 4 else b""
        return b"\x15" + struct.pack(">h", len(name)) + name.encode() + size + body

    def group_tag(self, name: str, tags: list[bytes]) -> bytes:
        content = b"".join(tags)
        head = b"\x00\x01" + (struct.pack(">Q", len(content)) if self.version == 4 else b"")
        return (b"\x14" + struct.pack(">h", len(name)) + name.encode() + head
                + self.integers(len(tags)) + content)

    def float_tag(self, name: str, value: float) -> bytes:
        return self.data_tag(name, [6], struct.pack("<f", value))

    def ulong_tag(self, name: str, value: int) -> bytes:
        return self.data_tag(name, [5], struct.pack("<I", value))

    def text_tag(self, name: str, text: str) -> bytes:
        chars = [ord(c) for c in text]
        return self.data_tag(name, [20, 4, len(chars)], struct.pack(f"<{len(chars)}H", *chars))


def dm_bytes(arr: np.ndarray, *, version: int = 3, scale=1.0, units="nm", origin=0.0,
             rgb_type: int | None = None, image_tags: dict | None = None) -> bytes:
    """A DM3 or DM4 file holding ``arr`` (image, stack or spectrum image) with its calibration.

    ``scale``, ``units`` and ``origin`` are one value for every axis or one per numpy axis.
    ``rgb_type`` (8 or 23) stores an (H, W, 4) uint8 RGBA array as a DM RGB image.
    ``image_tags``: nested dict of text tags, e.g. {"Meta Data": {"Signal": "EELS"}}.
    """
    arr = np.ascontiguousarray(arr)
    if rgb_type is not None:
        data_type, eltype = rgb_type, 5  # stored as one 4-byte word per pixel: B, G, R, A
        payload, shape = arr[..., [2, 1, 0, 3]].astype(np.uint8).tobytes(), arr.shape[:-1]
    else:
        data_type, eltype = _DATA_TYPES[arr.dtype]
        payload, shape = arr.astype(arr.dtype.newbyteorder("<")).tobytes(), arr.shape
    w = _Writer(version)
    dims_xyz = shape[::-1]  # DM lists dimensions x, y, z

    def per_axis(value):
        return list(value)[::-1] if isinstance(value, (tuple, list)) else [value] * len(shape)
    calibration = [w.group_tag("", [w.float_tag("Origin", o), w.float_tag("Scale", sc),
                                     w.text_tag("Units", u)])
                   for o, sc, u in zip(per_axis(origin), per_axis(scale), per_axis(units),
                                       strict=True)]
    brightness = w.group_tag("Brightness", [w.float_tag("Origin", 0.0),
                                            w.float_tag("Scale", 1.0), w.text_tag("Units", "")])
    image_data = w.group_tag("ImageData", [
        w.group_tag("Calibrations", [brightness, w.group_tag("Dimension", calibration)]),
        w.data_tag("Data", [20, eltype, int(np.prod(shape))], payload),
        w.data_tag("DataType", [3], struct.pack("<i", data_type)),
        w.group_tag("Dimensions", [w.ulong_tag("", n) for n in dims_xyz]),
    ])

    def tags(group: dict) -> list[bytes]:
        return [w.group_tag(k, tags(v)) if isinstance(v, dict) else w.text_tag(k, v)
                for k, v in group.items()]
    image = w.group_tag("", [image_data, w.group_tag("ImageTags", tags(image_tags or {})),
                             w.text_tag("Name", "test image")])
    root_tags = [w.group_tag("ImageList", [image])]
    root = b"\x00\x01" + w.integers(len(root_tags)) + b"".join(root_tags)
    header_size = 4 + (8 if version == 4 else 4) + 4
    return (struct.pack(">I", version) + w.integers(header_size + len(root) + 8)
            + struct.pack(">I", 1) + root + b"\x00" * 8)
