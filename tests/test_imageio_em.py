"""EM formats for the right reasons: RGB DM, 4-bit MRC, non-MRC files, spectra by their axes."""

import numpy as np
import pytest
from dmfiles import dm_bytes
from imagefiles import mrc_4bit_bytes, png_bytes

from cnnviz.imageio import ImageLoadError, load_image, load_spectrum_image
from cnnviz.lab import samples

RNG = np.random.default_rng(2)
LUMA = np.asarray((0.299, 0.587, 0.114), np.float32)
EELS = {"Meta Data": {"Signal": "EELS", "Format": "Spectrum image"}}


@pytest.mark.parametrize("rgb_type", [8, 23])
@pytest.mark.parametrize("version", [3, 4])
def test_rgb_dm_images_load(rgb_type, version):
    rgba = (RNG.random((6, 7, 4)) * 255).astype(np.uint8)
    img = load_image(dm_bytes(rgba, version=version, rgb_type=rgb_type, scale=0.5),
                     f"c.dm{version}")
    np.testing.assert_allclose(img.array, rgba[..., :3].astype(np.float32) @ LUMA, rtol=1e-6)
    assert img.pixel_size_nm == pytest.approx(0.5)
    assert any("grayscale" in n for n in img.notes)


@pytest.mark.parametrize("nx", [6, 7])
def test_mrc_mode_101_four_bit(nx):
    arr = RNG.integers(0, 16, (5, nx), dtype=np.uint8)
    img = load_image(mrc_4bit_bytes(arr), "four.mrc")
    np.testing.assert_array_equal(img.array, arr)
    assert any("4-bit" in n for n in img.notes)


def test_files_named_mrc_that_are_not_mrc():
    assert "not an MRC file" in str(_error(bytes(RNG.integers(0, 256, 5000, np.uint8)),
                                           "x.mrc"))
    assert "contains a PNG image" in str(_error(png_bytes(np.zeros((4, 4), np.uint8)), "x.mrc"))


def _error(data, name, **kwargs):
    with pytest.raises(ImageLoadError) as info:
        load_image(data, name, **kwargs)
    return info.value


def _eels_cube():
    cube = RNG.random((300, 4, 5)).astype(np.float32)  # (energy, y, x) as DM stores it
    # DM origins are in channels: channel 0 sits at 100 eV with 0.5 eV per channel
    data = dm_bytes(cube, version=4, units=("eV", "nm", "nm"), scale=(0.5, 2.0, 2.0),
                    origin=(-200.0, 0.0, 0.0), image_tags=EELS)
    return cube, data


def test_spectrum_image_is_summed_over_energy_with_its_spatial_calibration():
    cube, data = _eels_cube()
    img = load_image(data, "si.dm4")
    np.testing.assert_allclose(img.array, cube.sum(axis=0), rtol=1e-5)
    assert img.pixel_size_nm == pytest.approx(2.0)
    assert img.n_frames == 1
    assert any("spectrum image" in n and "300 channels" in n for n in img.notes)


def test_spectrum_image_energy_window():
    cube, data = _eels_cube()
    img = load_image(data, "si.dm4", band=(110.0, 120.0))
    np.testing.assert_allclose(img.array, cube[20:41].sum(axis=0), rtol=1e-5)
    assert any("110 to 120 eV" in n for n in img.notes)
    assert "No channel lies between" in str(_error(data, "si.dm4", band=(1.0, 2.0)))


def test_full_cube_for_channel_mixing():
    cube, data = _eels_cube()
    si = load_spectrum_image(data, "si.dm4")
    np.testing.assert_array_equal(si.cube, np.moveaxis(cube, 0, -1))
    assert (si.axis_name, si.units, si.pixel_size_nm) == ("Energy loss", "eV", 2.0)
    np.testing.assert_allclose(si.channels[[0, -1]], (100.0, 249.5))


def test_line_scan_and_single_spectrum_are_refused_clearly():
    cl = {"Meta Data": {"Signal": "CL", "Format": "Spectrum image"}}
    line = dm_bytes(RNG.random((6, 300)).astype(np.float32), units=("µm", "nm"),
                    image_tags=cl)
    assert "line scan (6 positions" in str(_error(line, "cl.dm3"))
    single = dm_bytes(RNG.random(300).astype(np.float32), units="eV",
                      image_tags={"Meta Data": {"Signal": "EELS", "Format": "Spectrum"}})
    assert "single spectrum" in str(_error(single, "s.dm3"))


def test_synthetic_spectrum_image_phases_differ():
    si, phase = samples.spectrum_image(size=32, channels=120)
    assert si.cube.shape == (32, 32, 120)
    assert set(np.unique(phase)) == {0, 1, 2}
    means = [si.cube[phase == p].mean(axis=0) for p in range(3)]
    for p, (_, lines) in enumerate(samples.SPECTRUM_PHASES):
        strongest = np.argmin(np.abs(si.channels - lines[0][0]))
        assert means[p][strongest] == max(m[strongest] for m in means)
