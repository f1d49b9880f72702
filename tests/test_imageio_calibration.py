"""Pixel sizes from vendor TIFF tags (as RosettaSciIO reads them), units, print densities."""

import numpy as np
import pytest
import vendortiffs
from imagefiles import tiff_bytes

from cnnviz.imageio import load_image

ARR = (np.arange(32 * 64) % 251).reshape(32, 64).astype(np.uint16)


@pytest.mark.parametrize(("vendor", "data", "nm"), [
    ("FEI/Thermo Helios", vendortiffs.fei_tiff(ARR, 2.5e-9), 2.5),
    ("Zeiss SEM", vendortiffs.zeiss_tiff(ARR, 7.5e-9), 7.5),
    ("JEOL SightX", vendortiffs.jeol_sightx_tiff(ARR, 1e4, 1e4), 0.1),  # 1 um / 10,000 x
    ("Digital Micrograph export", vendortiffs.dm_export_tiff(ARR, 0.25, "µm"), 250),
    ("TVIPS", vendortiffs.tvips_tiff(ARR, 0.5), 0.5),
    ("Olympus SIS", vendortiffs.olympus_sis_tiff(ARR, 3e-9), 3),
])
def test_vendor_pixel_sizes(vendor, data, nm):
    img = load_image(data, "vendor.tif")
    assert img.pixel_size_nm == pytest.approx(nm, rel=1e-5), vendor
    np.testing.assert_array_equal(img.array, ARR)


@pytest.mark.parametrize(("units", "nm"), [("nm", 0.25), ("µm", 250), ("Å", 0.025),
                                           ("pm", 0.00025)])
def test_length_units(units, nm):
    data = vendortiffs.dm_export_tiff(ARR, 0.25, units)
    assert load_image(data, "u.tif").pixel_size_nm == pytest.approx(nm)


@pytest.mark.parametrize("units", ["1/nm", "1 / nm", "eV", "nm^-1"])
def test_reciprocal_and_spectral_axes_give_no_pixel_size(units):
    assert load_image(vendortiffs.dm_export_tiff(ARR, 0.1, units), "r.tif").pixel_size_nm is None


@pytest.mark.parametrize(("density", "unit"), [(72, "INCH"), (300, "INCH"), (28.35, "CENTIMETER"),
                                               (118.11, "CENTIMETER")])
def test_print_densities_are_ignored_per_inch_and_per_cm(density, unit):
    data = tiff_bytes(ARR, resolution=(density, density), resolutionunit=unit)
    assert load_image(data, "print.tif").pixel_size_nm is None


def test_microscope_scale_resolution_tags_are_kept():
    data = tiff_bytes(ARR, resolution=(1e6, 1e6), resolutionunit="CENTIMETER")
    assert load_image(data, "c.tif").pixel_size_nm == pytest.approx(10)
