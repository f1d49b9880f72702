"""Loading uploads: every supported format, pixel sizes, and one clear error per bad input."""

import numpy as np
import pytest
from dmfiles import dm_bytes
from imagefiles import jpeg_bytes, mrc_bytes, png_bomb, png_bytes, tiff_bytes

from cnnviz import imageio
from cnnviz.formats import common
from cnnviz.imageio import ImageLoadError, load_image
from cnnviz.lab import buffers

RNG = np.random.default_rng(0)
GRAY8 = (RNG.random((40, 50)) * 255).astype(np.uint8)


def test_png_8bit_keeps_values():
    img = load_image(png_bytes(GRAY8), "a.png")
    assert img.source == "PNG"
    assert img.array.dtype == np.float32
    np.testing.assert_array_equal(img.array, GRAY8)
    assert img.pixel_size_nm is None


def test_png_16bit_keeps_values():
    arr = (RNG.random((20, 30)) * 65535).astype(np.uint16)
    np.testing.assert_array_equal(load_image(png_bytes(arr), "a.PNG").array, arr)


def test_jpeg_loads_close_to_original():
    smooth = np.tile(np.linspace(0, 255, 64), (48, 1)).astype(np.uint8)
    img = load_image(jpeg_bytes(smooth), "a.jpeg")
    assert img.source == "JPEG"
    assert img.array.shape == (48, 64)
    assert np.abs(img.array - smooth).mean() < 3


def test_rgb_uses_bt601_luma():
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 50
    img = load_image(png_bytes(rgb), "c.png")
    np.testing.assert_allclose(img.array, 0.299 * 200 + 0.587 * 100 + 0.114 * 50, rtol=1e-6)
    assert any("BT.601" in n for n in img.notes)


def test_rgba_drops_alpha_with_a_note():
    rgba = np.zeros((4, 5, 4), np.uint8)
    rgba[..., 1], rgba[..., 3] = 100, 10
    img = load_image(png_bytes(rgba), "c.png")
    np.testing.assert_allclose(img.array, 58.7, rtol=1e-5)
    assert any("alpha" in n for n in img.notes)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16", "uint32", "int32", "float32",
                                   "float64"])
def test_tiff_dtypes_keep_values(dtype):
    arr = (RNG.random((30, 20)) * 1000).astype(dtype)
    img = load_image(tiff_bytes(arr), "t.tif")
    np.testing.assert_array_equal(img.array, arr.astype(np.float32))


def test_tiff_planar_rgb_and_single_page_stack():
    rgb = (RNG.random((3, 6, 7)) * 255).astype(np.uint8)
    img = load_image(tiff_bytes(rgb, photometric="rgb", planarconfig="separate"), "p.tif")
    expected = np.tensordot(np.asarray((0.299, 0.587, 0.114), np.float32),
                            rgb.astype(np.float32), 1)
    np.testing.assert_allclose(img.array, expected, rtol=1e-5)
    stack = (RNG.random((4, 6, 7)) * 255).astype(np.uint8)
    img = load_image(tiff_bytes(stack, photometric="minisblack", contiguous=True,
                                metadata=None), "s.tif", frame=3)
    np.testing.assert_array_equal(img.array, stack[3])


def test_tiff_compressed_and_big_endian():
    arr = (RNG.random((30, 20)) * 60000).astype(np.uint16)
    np.testing.assert_array_equal(load_image(tiff_bytes(arr, compression="zlib"), "t.tif")
                                  .array, arr)
    np.testing.assert_array_equal(load_image(tiff_bytes(arr, byteorder=">"), "t.tiff").array, arr)


def test_tiff_multipage_frame_choice():
    stack = (np.arange(3)[:, None, None] * 100 + RNG.random((3, 8, 9)) * 10).astype(np.float32)
    data = tiff_bytes(stack, photometric="minisblack")
    img = load_image(data, "s.tif", frame=2)
    assert (img.n_frames, img.frame) == (3, 2)
    np.testing.assert_array_equal(img.array, stack[2])
    with pytest.raises(ImageLoadError, match="Frame 3 does not exist"):
        load_image(data, "s.tif", frame=3)


def test_tiff_pixel_size_from_imagej_ome_and_resolution():
    arr = np.zeros((8, 8), np.float32)
    imagej = tiff_bytes(arr, imagej=True, resolution=(4.0, 4.0), metadata={"unit": "nm"})
    assert load_image(imagej, "i.tif").pixel_size_nm == pytest.approx(0.25)
    micron = tiff_bytes(arr, imagej=True, resolution=(2.0, 2.0), metadata={"unit": "micron"})
    assert load_image(micron, "i.tif").pixel_size_nm == pytest.approx(500)
    ome = tiff_bytes(arr, ome=True, metadata={"PhysicalSizeX": 0.02, "PhysicalSizeXUnit": "µm",
                                              "axes": "YX"})
    assert load_image(ome, "o.ome.tif").pixel_size_nm == pytest.approx(20)
    cm = tiff_bytes(arr, resolution=(1e6, 1e6), resolutionunit="CENTIMETER")
    assert load_image(cm, "c.tif").pixel_size_nm == pytest.approx(10)
    print_dpi = tiff_bytes(arr, resolution=(300, 300), resolutionunit="INCH")
    assert load_image(print_dpi, "p.tif").pixel_size_nm is None


def test_mrc_values_frames_and_voxel_size_in_nm():
    stack = RNG.random((2, 6, 7)).astype(np.float32)
    img = load_image(mrc_bytes(stack, voxel_size_a=2.5), "m.mrc", frame=1)
    assert (img.source, img.n_frames) == ("MRC", 2)
    np.testing.assert_array_equal(img.array, stack[1])
    assert img.pixel_size_nm == pytest.approx(0.25)


@pytest.mark.parametrize("version", [3, 4])
def test_dm_image_and_scale(version):
    arr = (RNG.random((12, 10)) * 1000).astype(np.float32)
    img = load_image(dm_bytes(arr, version=version, scale=0.05, units="µm"), f"d.dm{version}")
    assert img.source == f"DM{version}"
    np.testing.assert_array_equal(img.array, arr)
    assert img.pixel_size_nm == pytest.approx(50)


def test_dm_stack_in_angstrom():
    stack = np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5)
    img = load_image(dm_bytes(stack, version=4, scale=2.0, units="Å"), "s.dm4", frame=1)
    assert img.n_frames == 3
    np.testing.assert_array_equal(img.array, stack[1])
    assert img.pixel_size_nm == pytest.approx(0.2)


def test_dm_reciprocal_units_give_no_pixel_size():
    img = load_image(dm_bytes(np.ones((5, 5), np.float32), units="1/nm"), "f.dm3")
    assert img.pixel_size_nm is None


# --- bad input: each case gets one clear ImageLoadError -------------------------------------

def _error(data: bytes, name: str, **kwargs) -> str:
    with pytest.raises(ImageLoadError) as info:
        load_image(data, name, **kwargs)
    return str(info.value)


def test_zero_bytes():
    assert "empty (0 bytes)" in _error(b"", "a.png")


def test_truncated_png():
    data = png_bytes((RNG.random((64, 64)) * 255).astype(np.uint8))
    assert "truncated" in _error(data[: len(data) // 2], "a.png")


def test_truncated_tiff():
    data = tiff_bytes((RNG.random((64, 64)) * 255).astype(np.uint8))
    message = _error(data[: len(data) // 2], "a.tif")
    assert "a.tif" in message or "TIFF" in message


def test_wrong_extension():
    assert "rename it to end in .png" in _error(png_bytes(GRAY8), "a.tif")
    assert "not supported" in _error(png_bytes(GRAY8), "a.txt")
    assert "without an extension" in _error(png_bytes(GRAY8), "image")


def test_not_an_image():
    assert "is not a PNG image" in _error(b"hello, this is text", "notes.png")
    assert "not an MRC file" in _error(b"x" * 2000, "m.mrc")


def test_decompression_bomb_is_refused_before_decoding():
    assert "decompression bomb" in _error(png_bomb(), "bomb.png")
    assert "decompression bomb" in _error(png_bomb(9000, 9000), "bomb.png")


def test_tiff_bomb_declared_size(monkeypatch):
    monkeypatch.setattr(common, "MAX_PIXELS", 100)
    assert "decompression bomb" in _error(tiff_bytes(np.zeros((20, 20), np.uint8)), "b.tif")


def test_one_by_one_image():
    assert "1 x 1 pixel" in _error(png_bytes(np.zeros((1, 1), np.uint8)), "dot.png")


def test_nan_and_inf_are_reported():
    arr = np.ones((5, 5), np.float32)
    arr[0, 0], arr[1, 1], arr[2, 2] = np.nan, np.inf, -np.inf
    assert "1 NaN and 2 infinite" in _error(tiff_bytes(arr), "n.tif")


def test_3d_stacks_need_a_valid_frame_and_4d_data_is_refused():
    stack = np.zeros((3, 4, 5), np.float32)
    assert "this file has 3 frame(s)" in _error(mrc_bytes(stack), "m.mrc", frame=5)
    assert "this file has 3 frame(s)" in _error(dm_bytes(stack), "m.dm3", frame=-1)
    assert "4 dimensions" in _error(dm_bytes(np.zeros((2, 3, 4, 5), np.float32)), "h.dm4")


def test_corrupt_mrc_header():
    data = bytearray(mrc_bytes(np.ones((4, 4), np.float32)))
    data[0:12] = np.array([-5, 4, 1], dtype="<i4").tobytes()  # nx = -5
    assert "MRC header is corrupt" in _error(bytes(data), "c.mrc")
    assert "not an MRC file" in _error(bytes(data[:100]), "c.mrc")


def test_oversized_upload(monkeypatch):
    monkeypatch.setattr(imageio, "MAX_UPLOAD_BYTES", 1000)
    assert "accepts files up to" in _error(png_bytes(GRAY8) + b"\0" * 2000, "big.png")


def test_complex_data_is_refused():
    arr = np.ones((4, 4), np.complex64)
    assert "complex" in _error(mrc_bytes(arr), "c.mrc")


def test_nothing_but_image_load_error_escapes():
    junk = [bytes(RNG.integers(0, 256, n, dtype=np.uint8)) for n in (10, 300, 5000)]
    heads = [b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"\xff\xd8\xff", b"\x00\x00\x00\x03",
             b"\x00\x00\x00\x04"]
    for head in heads:
        for body in junk:
            for name in ("x.png", "x.tif", "x.jpg", "x.dm3", "x.dm4", "x.mrc"):
                with pytest.raises(ImageLoadError):
                    load_image(head + body, name)


def test_loaded_images_stay_intact_when_more_are_loaded(monkeypatch):
    """Decoded arrays come from recycled buffers: one still held is never reused."""
    monkeypatch.setattr(buffers.OUTPUTS, "min_bytes", 0)  # recycle even small images
    arr = (RNG.random((110, 100)) * 65535).astype(np.uint16)
    first = load_image(tiff_bytes(arr), "a.tif")
    for _ in range(5):
        load_image(tiff_bytes(arr[::-1].copy()), "b.tif")
    np.testing.assert_array_equal(first.array, arr)
    assert first.array.flags.writeable
