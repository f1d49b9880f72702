"""Spectra and spectrum images, recognised by their axes, and their 2-D views for the lab.

An axis is spectral when its name says energy or wavelength (RosettaSciIO names them from
the file's signal type) or its unit is an energy. A spectrum image (two spatial axes and one
spectral axis) is shown as the sum over the spectral axis or over a window of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.formats.common import ImageLoadError, to_nm

ENERGY_UNITS = {"ev", "kev", "mev"}
SPECTRAL_NAMES = {"energy", "energy loss", "wavelength", "wavenumber", "raman shift"}


@dataclass
class SpectrumImage:
    """A (H, W, C) cube with its spatial pixel size and its spectral axis."""

    cube: np.ndarray  # (H, W, C) values as stored (often a view of the file's array)
    pixel_size_nm: float | None
    channels: np.ndarray  # (C,) position of each channel on the spectral axis
    axis_name: str  # e.g. 'Energy loss', 'Wavelength'
    units: str  # e.g. 'eV', 'nm'
    source: str


def spectral_axis(axes: list[dict]) -> int | None:
    """The index of the spectral axis among RosettaSciIO axis dicts, or None."""
    for i, axis in enumerate(axes):
        name = str(axis.get("name") or "").strip().lower()
        units = str(axis.get("units") or "").strip().lower()
        if name in SPECTRAL_NAMES or units in ENERGY_UNITS:
            return i
    return None


def as_spectrum_image(arr: np.ndarray, axes: list[dict], source: str) -> SpectrumImage:
    """Reorder a signal with one spectral and two spatial axes into a SpectrumImage."""
    sp = spectral_axis(axes)
    if sp is None:
        raise ImageLoadError("This file holds no spectrum (no energy or wavelength axis).")
    spatial = [i for i, n in enumerate(arr.shape) if i != sp and n > 1]
    axis = axes[sp]
    what = f"{axis.get('name') or 'spectral'} axis of {arr.shape[sp]} channels"
    if not spatial:
        raise ImageLoadError(f"This file is a single spectrum ({what}), not an image: the lab "
                             "filters 2-D images.")
    if len(spatial) == 1:
        raise ImageLoadError(f"This file is a line scan ({arr.shape[spatial[0]]} positions x "
                             f"{what}), not an image: the lab filters 2-D images.")
    if len(spatial) > 2:
        raise ImageLoadError(f"This spectrum image has {len(spatial)} spatial axes; the lab "
                             "shows two.")
    rest = [i for i in range(arr.ndim) if i not in spatial and i != sp]  # axes of length 1
    cube = np.transpose(arr, spatial + [sp] + rest).reshape(
        arr.shape[spatial[0]], arr.shape[spatial[1]], arr.shape[sp])
    scale, offset = float(axis.get("scale") or 1.0), float(axis.get("offset") or 0.0)
    x_axis = axes[spatial[1]]
    return SpectrumImage(cube, to_nm(x_axis.get("scale"), x_axis.get("units")),
                         offset + scale * np.arange(cube.shape[-1]),
                         str(axis.get("name") or "spectral axis"), str(axis.get("units") or ""),
                         source)


def band_view(si: SpectrumImage, band: tuple[float, float] | None = None
              ) -> tuple[np.ndarray, str]:
    """(H, W) sum over the channels inside ``band`` (all when None), and a note saying so."""
    channels = si.channels
    if band is None:
        lo, hi = 0, len(channels)
    else:
        low, high = sorted(band)
        inside = np.flatnonzero((channels >= low) & (channels <= high))
        if inside.size == 0:
            raise ImageLoadError(
                f"No channel lies between {low:g} and {high:g} {si.units}: this spectrum image "
                f"covers {channels[0]:g} to {channels[-1]:g} {si.units}.")
        lo, hi = int(inside[0]), int(inside[-1]) + 1
    view = si.cube[..., lo:hi].sum(axis=-1, dtype=np.float64).astype(np.float32)
    h, w, c = si.cube.shape
    note = (f"This is a spectrum image ({h} x {w} pixels x {c} channels of {si.axis_name}, "
            f"{si.units}); shown: the sum over channels {lo} to {hi - 1} "
            f"({channels[lo]:g} to {channels[hi - 1]:g} {si.units}).")
    return view, note
