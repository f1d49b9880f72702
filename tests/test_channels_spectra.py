"""The Channels page's spectrum image section: synthetic and uploaded cubes, 1x1 mixing."""

from pathlib import Path

import numpy as np
from dmfiles import dm_bytes
from streamlit.testing.v1 import AppTest

from cnnviz.lab import budget

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "4_channels.py")
EELS = {"Meta Data": {"Signal": "EELS", "Format": "Spectrum image"}}


def _charts(at):
    return [c for c in at.get("plotly_chart") if "Mean spectrum and weights" in c.proto.spec]


def test_synthetic_spectrum_image_gives_three_maps():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert len(_charts(at)) == 1
    assert any("3 x 200" in c.value for c in at.caption)
    at.number_input(key="chan_si_c0").set_value(3.0).run()
    assert not at.exception
    spec = _charts(at)[0].proto.spec
    assert "map 1\\u003cbr\\u003e3 +- 0.15 keV" in spec  # the title, on two lines


def test_uploaded_spectrum_image_and_a_plain_image():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="chan_si_source").set_value("My upload (DM3/DM4)").run()
    cube = np.random.default_rng(0).random((120, 6, 7)).astype(np.float32)
    data = dm_bytes(cube, version=4, units=("eV", "nm", "nm"), scale=(1.0, 2.0, 2.0),
                    image_tags=EELS)
    at.file_uploader(key="chan_si_uploader").set_value(("si.dm4", data, "application/x-dm4"))
    at.run()
    assert not at.exception
    assert not at.error
    assert any("6 x 7 pixels x 120 channels" in c.value for c in at.caption)
    owner = at.session_state["upload_owner"]
    np.testing.assert_array_equal(budget.UPLOADS.get(owner, "channels spectrum image")["si"]
                                  .cube, np.moveaxis(cube, 0, -1))
    plain = dm_bytes(np.ones((5, 5), np.float32))
    at.file_uploader(key="chan_si_uploader").set_value(("plain.dm3", plain, "application/x-dm3"))
    at.run()
    assert not at.exception
    assert any("no spectrum" in e.value for e in at.error)
