"""The kernel lab's upload path: a small budget, hostile files, spectrum images."""

import numpy as np
import pytest
from dmfiles import dm_bytes
from hostilefiles import mrc_declaring_extended_header, mrc_declaring_frames, tiff_tiled_zeros
from imagefiles import png_bytes
from labstate import stored_image
from test_kernel_lab_page import fresh, upload

from cnnviz.lab import budget

KB = 1024


def _png(side: int) -> bytes:
    return png_bytes((np.random.default_rng(side).random((side, side)) * 255).astype(np.uint8))


def test_evicted_student_is_told_and_an_oversized_upload_is_refused(monkeypatch):
    # a 256^2 sample's source + result take 512 KB, a 200^2 upload with its result 320 KB
    monkeypatch.setattr(budget, "UPLOADS", budget.SessionStore(700 * KB))
    first = upload(fresh(), "first.png", _png(200))
    assert stored_image(first) is not None
    second = upload(fresh(), "second.png", _png(200))  # needs the room: evicts first
    assert stored_image(second) is not None
    first.run()
    assert not first.exception
    assert any("removed to free server memory" in w.value for w in first.warning)
    huge = upload(fresh(), "huge.png", _png(1000))  # 4 MB as float32
    assert not huge.exception
    assert any("that all sessions share" in e.value for e in huge.error)
    assert budget.UPLOADS.used_bytes <= 700 * KB


@pytest.mark.parametrize(("name", "make"), [("frames.mrc", mrc_declaring_frames),
                                            ("ext.mrc", mrc_declaring_extended_header),
                                            ("deflate.tif", tiff_tiled_zeros)])
def test_hostile_uploads_get_one_error_on_the_page(name, make):
    at = upload(fresh(), name, make())
    assert not at.exception
    assert len(at.error) == 1
    assert name in at.error[0].value


def test_spectrum_image_upload_offers_an_energy_window():
    cube = np.random.default_rng(3).random((300, 8, 9)).astype(np.float32)
    data = dm_bytes(cube, version=4, units=("eV", "nm", "nm"), scale=(0.5, 2.0, 2.0),
                    origin=(-200.0, 0.0, 0.0),
                    image_tags={"Meta Data": {"Signal": "EELS", "Format": "Spectrum image"}})
    at = upload(fresh(), "si.dm4", data)
    assert not at.exception
    np.testing.assert_allclose(stored_image(at)["array"], cube.sum(axis=0), rtol=1e-5)
    assert any("spectrum image" in i.value for i in at.info)
    at.slider(key="kl_band").set_value((110.0, 120.0)).run()
    assert not at.exception
    np.testing.assert_allclose(stored_image(at)["array"], cube[20:41].sum(axis=0), rtol=1e-5)
