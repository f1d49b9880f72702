"""Values exactly as the reference readers give them, and a note for every lossy step."""

import io
import struct

import imagecodecs
import numpy as np
import pytest
import tifffile
from imagefiles import tiff_bytes
from PIL import Image, ImageOps

from cnnviz.imageio import ImageLoadError, load_image

RNG = np.random.default_rng(1)
LUMA = np.asarray((0.299, 0.587, 0.114), np.float32)


def test_png_16bit_rgb_keeps_16_bits():
    rgb = (RNG.random((9, 11, 3)) * 65535).astype(np.uint16)
    img = load_image(imagecodecs.png_encode(rgb), "deep.png")
    np.testing.assert_array_equal(img.array, rgb.astype(np.float32) @ LUMA)
    assert img.array.max() > 255


def test_png_values_match_pillow_for_palette_and_low_bit_depths():
    grey4 = (np.arange(48).reshape(6, 8) % 16).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(grey4).save(buf, "PNG", bits=4)
    expected = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    np.testing.assert_array_equal(load_image(buf.getvalue(), "g.png").array, expected)


@pytest.mark.parametrize("orientation", range(2, 9))
def test_exif_orientation_is_applied_with_a_note(orientation):
    arr = (RNG.random((5, 7)) * 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG", exif=exif.tobytes())
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buf.getvalue()))))
    img = load_image(buf.getvalue(), "o.png")
    np.testing.assert_array_equal(img.array, expected)
    assert any("EXIF orientation" in n for n in img.notes)


def test_jpeg_exif_orientation():
    arr = np.tile(np.linspace(0, 255, 32), (16, 1)).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=95, exif=exif.tobytes())
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buf.getvalue()))))
    img = load_image(buf.getvalue(), "o.jpg")
    assert img.array.shape == (32, 16)
    np.testing.assert_array_equal(img.array, expected)


def test_tiff_grey_plus_alpha_drops_alpha():
    arr = (RNG.random((6, 7, 2)) * 60000).astype(np.uint16)
    img = load_image(tiff_bytes(arr, photometric="minisblack", extrasamples=["unassalpha"]),
                     "ga.tif")
    np.testing.assert_array_equal(img.array, arr[..., 0])
    assert any("alpha" in n for n in img.notes)


def test_tiff_samples_without_colour_are_channels():
    arr = (RNG.random((6, 7, 5)) * 60000).astype(np.uint16)
    data = tiff_bytes(arr, photometric="minisblack", planarconfig="contig")
    img = load_image(data, "ch.tif", frame=3)
    assert (img.n_frames, img.array.shape) == (5, (6, 7))
    np.testing.assert_array_equal(img.array, arr[..., 3])
    assert any("5 samples" in n for n in img.notes)


def test_tiff_rgb_with_extra_samples_uses_rgb():
    arr = (RNG.random((6, 7, 5)) * 255).astype(np.uint8)
    img = load_image(tiff_bytes(arr, photometric="rgb", extrasamples=["unspecified"] * 2),
                     "x.tif")
    np.testing.assert_allclose(img.array, arr[..., :3].astype(np.float32) @ LUMA, rtol=1e-6)
    assert any("2 extra sample" in n for n in img.notes)


def test_multipage_planar_rgb():
    stack = (RNG.random((2, 3, 6, 7)) * 255).astype(np.uint8)
    img = load_image(tiff_bytes(stack, photometric="rgb", planarconfig="separate"), "p.tif",
                     frame=1)
    assert img.n_frames == 2
    expected = np.moveaxis(stack[1], 0, -1).astype(np.float32) @ LUMA
    np.testing.assert_allclose(img.array, expected, rtol=1e-6)


def test_fill_order_2_matches_tifffile():
    arr = (RNG.random((8, 16)) * 255).astype(np.uint8)
    data = tiff_bytes(arr, extratags=[(65000, "H", 1, 2, True)])
    entry = struct.pack("<HHI", 65000, 3, 1)  # tifffile will not write FillOrder: rename the tag
    data = data.replace(entry, struct.pack("<HHI", 266, 3, 1))
    assert tifffile.TiffFile(io.BytesIO(data)).pages.first.fillorder == 2
    reference = tifffile.imread(io.BytesIO(data))
    np.testing.assert_array_equal(load_image(data, "f.tif").array, reference)


def test_integers_above_2_24_get_a_rounding_note():
    arr = np.full((4, 4), 2**24 + 1, np.uint32)
    img = load_image(tiff_bytes(arr), "big.tif")
    assert any("2^24" in n for n in img.notes)
    small = load_image(tiff_bytes(np.full((4, 4), 2**24, np.uint32)), "ok.tif")
    assert not small.notes


def test_float64_beyond_float32_range_is_a_clear_error():
    arr = np.ones((4, 4))
    arr[1, 2] = 1e39
    with pytest.raises(ImageLoadError, match="beyond float32's range"):
        load_image(tiff_bytes(arr), "huge.tif")
    img = load_image(tiff_bytes(np.ones((4, 4)) / 3), "third.tif")
    assert any("rounded to float32" in n for n in img.notes)


def test_single_frame_files_have_frame_zero_only():
    for data, name in ((tiff_bytes(np.zeros((4, 4), np.uint8)), "one.tif"),
                       (imagecodecs.png_encode(np.zeros((4, 4), np.uint8)), "one.png")):
        with pytest.raises(ImageLoadError, match="Frame 1 does not exist"):
            load_image(data, name, frame=1)
