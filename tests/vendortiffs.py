"""TIFF files with microscope vendors' calibration tags, written by the tests with tifffile.

Each writer stores the pixel size the way RosettaSciIO's TIFF reader looks for it (see
rsciio/tiff/_api.py): FEI/Thermo INI text, Zeiss CZ_SEM values, JEOL SightX XML with a
detector resolution and magnification, Digital Micrograph export tags, TVIPS and Olympus SIS
binary headers.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import tifffile


def _tiff(arr: np.ndarray, **kwargs) -> bytes:
    buf = io.BytesIO()
    tifffile.imwrite(buf, arr, metadata=None, **kwargs)
    return buf.getvalue()


def fei_tiff(arr: np.ndarray, pixel_m: float) -> bytes:
    """FEI/Thermo Fisher (Helios) metadata: an INI text whose [Scan] gives the pixel size."""
    ini = (f"[User]\r\nUser=test\r\n[Scan]\r\nPixelWidth={pixel_m!r}\r\n"
           f"PixelHeight={pixel_m!r}\r\n")
    return _tiff(arr, extratags=[(34682, "s", 0, ini, True)])


def zeiss_tiff(arr: np.ndarray, pixel_m: float) -> bytes:
    """Zeiss SEM CZ_SEM text: the fourth unnamed value is the scale for a 1024-pixel width."""
    scale = pixel_m * arr.shape[-1] / 1024
    text = f"0\r\n0\r\n0\r\n{scale!r}\r\nAP_PIXEL_SIZE\r\nImage Pixel Size = 1 nm\r\n"
    return _tiff(arr, extratags=[(34118, "s", 0, text, True)])


def jeol_sightx_tiff(arr: np.ndarray, detector_px_per_cm: float, magnification: float) -> bytes:
    """JEOL SightX: Make, a TemReporter XML description and the detector's resolution."""
    xml = ("<TemReporter><Eos><EosMode>eosTEM</EosMode></Eos>"
           "<IlluminationSystem><ImageField>modeTEM</ImageField></IlluminationSystem>"
           "<ImageFormingSystem><ImageFormingMode>modeMAG</ImageFormingMode>"
           f"<SelectorString>MAG {magnification:g}</SelectorString><ModeString>MAG</ModeString>"
           f"<SelectorValue>{magnification:g}</SelectorValue></ImageFormingSystem>"
           "<ElectronGun><AccelerationVoltage>200000</AccelerationVoltage></ElectronGun>"
           "</TemReporter>")
    return _tiff(arr, description=xml, resolution=(detector_px_per_cm, detector_px_per_cm),
                 resolutionunit="CENTIMETER", extratags=[(271, "s", 0, "JEOL Ltd.", True)])


def dm_export_tiff(arr: np.ndarray, scale: float, units: str) -> bytes:
    """Digital Micrograph's TIFF export tags: x/y units (65003/4) and scales (65009/10)."""
    units = units.encode()  # tifffile writes str tags as 7-bit ASCII only
    return _tiff(arr, extratags=[(65003, "s", 0, units, False), (65004, "s", 0, units, False),
                                 (65009, "d", 1, scale, False), (65010, "d", 1, scale, False)])


def tvips_tiff(arr: np.ndarray, pixel_nm: float) -> bytes:
    """A TVIPS EM-MENU version 2 header with PixelSizeX/Y in nm."""
    v1 = np.zeros(1, tifffile.TIFF.TVIPS_HEADER_V1)
    v1["Version"] = 2
    v2 = np.zeros(1, tifffile.TIFF.TVIPS_HEADER_V2)
    v2["Magic"] = 0xAAAAAAAA
    v2["PixelSizeX"] = v2["PixelSizeY"] = pixel_nm
    blob = v1.tobytes() + v2.tobytes()
    return _tiff(arr, extratags=[(37706, "B", len(blob), blob, True)])


def olympus_sis_tiff(arr: np.ndarray, pixel_m: float) -> bytes:
    """An Olympus SIS structure: a 'SIS0' header pointing (by file offset) to the calibration."""
    exponent = -9
    general = (b"\0" * 10 + struct.pack("<hdd", exponent, pixel_m / 10.0**exponent,
                                        pixel_m / 10.0**exponent)
               + b"\0" * 8 + struct.pack("<d", 1000.0) + b"\0" * 2 + b"cam".ljust(34, b"\0")
               + b"pic".ljust(32, b"\0"))
    head = struct.pack("<4s6xhhhhh6x32sH", b"SIS0", 0, 0, 1, 0, 100, b"test", 1)
    placeholder = 0x5EED5EED
    blob = head + struct.pack("<hhI", 1, 1, placeholder) + general
    data = bytearray(_tiff(arr, extratags=[(33560, "B", len(blob), blob, True)]))
    start = bytes(data).index(blob)
    data[start + 64: start + 68] = struct.pack("<I", start + len(head) + 8)
    return bytes(data)
