"""The kernel lab page under AppTest: uploads (good and bad), kernels, learning, persistence."""

import json
from pathlib import Path

import numpy as np
import pytest
from imagefiles import mrc_bytes, png_bomb, png_bytes, tiff_bytes
from labstate import stored_image, stored_result
from streamlit.testing.v1 import AppTest

from cnnviz.lab import kernels

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "6_kernel_lab.py")


def fresh() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    return at


def opened(at: AppTest, *sections: str) -> AppTest:
    """The page with these sections (expanders built only while open) opened, as a click does."""
    for key in sections:
        at.session_state[key] = True
    return at.run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key="kl_source").set_value("My upload").run()
    at.file_uploader(key="kl_uploader").set_value((name, data, "application/octet-stream"))
    return at.run()


def test_default_page_shows_original_result_and_frequency_response():
    at = fresh()
    assert len(at.get("image")) == 2  # original and result, side by side
    assert any("FFT2(kernel)" in c.proto.spec for c in at.get("plotly_chart"))
    assert not at.error


def test_good_upload_is_shown_with_its_pixel_size():
    arr = (np.random.default_rng(0).random((40, 50)) * 1000).astype(np.uint16)
    data = tiff_bytes(arr, imagej=True, resolution=(5.0, 5.0), metadata={"unit": "nm"})
    at = upload(fresh(), "grain.tif", data)
    assert not at.exception
    assert not at.error
    np.testing.assert_array_equal(stored_image(at)["array"], arr)
    assert "grain.tif" in [t.value for t in at.text]  # plain text: a file name is no Markdown
    assert any("TIFF: 40 x 50 pixels, pixel size 0.2 nm" in c.value for c in at.caption)
    assert any("0.6 x 0.6 nm" in c.value for c in at.caption)  # Sobel footprint in nm


def test_multipage_upload_offers_frames():
    stack = np.stack([np.full((8, 9), i, np.float32) for i in range(3)])
    at = upload(fresh(), "stack.tif", tiff_bytes(stack, photometric="minisblack"))
    at.number_input(key="kl_frame").set_value(2).run()
    assert not at.exception
    assert at.session_state["kl_image"]["frame"] == 2
    assert stored_image(at)["array"].max() == 2


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.png", b"", "empty"),
    ("cut.png", png_bytes(np.random.default_rng(1).integers(0, 255, (64, 64), np.uint8))[:300],
     "truncated"),
    ("bomb.png", png_bomb(), "decompression bomb"),
    ("dot.png", png_bytes(np.zeros((1, 1), np.uint8)), "1 x 1"),
    ("nan.tif", tiff_bytes(np.full((4, 4), np.nan, np.float32)), "NaN"),
    ("bad.mrc", b"\x00" * 1100, "MRC"),
    ("text.png", b"just some text", "not a PNG image"),
    ("photo.jpg", png_bytes(np.zeros((8, 8), np.uint8)), "rename it"),
])
def test_bad_upload_shows_one_error_and_no_exception(name, data, message):
    at = upload(fresh(), name, data)
    assert not at.exception
    assert len(at.error) == 1
    assert message in at.error[0].value
    assert len(at.get("image")) == 2  # the page keeps working on the fallback image


def test_image_smaller_than_kernel_gets_an_error():
    at = upload(fresh(), "tiny.png", png_bytes(np.zeros((2, 2), np.uint8)))
    assert not at.exception
    assert any("smaller than the kernel" in e.value for e in at.error)


def test_upload_and_edited_kernel_survive_a_page_switch():
    root = Path(PAGE).parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60).run()
    at.switch_page("pages/6_kernel_lab.py").run()
    upload(at, "a.png", png_bytes(np.full((16, 16), 7, np.uint8)))
    at.selectbox(key="kl_preset").set_value("Laplacian").run()  # a preset applies when chosen
    np.testing.assert_array_equal(at.session_state["kl_kernel"], kernels.preset("Laplacian"))
    edited = np.array([[0, 2, 0], [1, -3, 0]], np.float32)
    at.session_state["kl_kernel"] = edited.tolist()  # what the grid editor stores after an edit
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/6_kernel_lab.py").run()
    assert not at.exception
    np.testing.assert_array_equal(at.session_state["kl_kernel"], edited)
    np.testing.assert_array_equal(at.dataframe[0].value.to_numpy(), edited)
    assert at.session_state["kl_image"]["name"] == "a.png"
    assert at.radio(key="kl_source").value == "My upload"
    assert at.selectbox(key="kl_preset").value == "Laplacian"


def test_chapter_training_runs_from_the_page():
    at = opened(fresh(), "kl_learn_open")
    at.button(key="kl_train").click().run()
    assert not at.exception
    history = at.session_state["kl_learned"]["history"]
    assert len(history) == 10
    assert history[-1]["kernel"].astype(float).round(4).tolist() == [[0.9809, -1.0006]]
    assert any("3.505, 0.666, 0.144, 0.037, 0.012" in c.value for c in at.caption)


def test_noise_and_convolution_settings_run():
    at = fresh()
    at.select_slider(key="kl_dose").set_value(10)
    at.radio(key="kl_op").set_value("convolution (kernel flipped)")
    at.selectbox(key="kl_mode").set_value("circular").run()
    assert not at.exception
    assert not at.error
    assert len(at.get("image")) == 2


def test_mrc_upload_runs():
    at = upload(fresh(), "m.mrc", mrc_bytes(np.ones((12, 12), np.float32), 3.0))
    assert not at.exception
    assert not at.error
    assert at.session_state["kl_image"]["pixel_size_nm"] == pytest.approx(0.3)


def test_oversized_upload_gets_an_error(monkeypatch):
    from cnnviz import imageio

    monkeypatch.setattr(imageio, "MAX_UPLOAD_BYTES", 500)
    at = upload(fresh(), "big.png", png_bytes(np.zeros((64, 64), np.uint8)) + b"\0" * 1000)
    assert not at.exception
    assert len(at.error) == 1
    assert "accepts files up to" in at.error[0].value


def test_learning_a_sobel_kernel_from_the_micrograph():
    at = opened(fresh(), "kl_learn_open")
    at.radio(key="kl_learn_which").set_value("3x3 kernel from a micrograph").run()
    at.button(key="kl_train").click().run()
    assert not at.exception
    learned = at.session_state["kl_learned"]["history"][-1]["kernel"]
    np.testing.assert_allclose(learned, kernels.preset("Sobel x"), atol=0.1)


def test_patch_animation_has_one_frame_per_output_cell():
    at = opened(fresh(), "kl_patch_open")
    at.number_input(key="kl_patch_size").set_value(6).run()
    assert not at.exception
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    animated = [f for f in figures if f.get("frames")]
    assert len(animated) == 1
    assert len(animated[0]["frames"]) == (6 - 2) ** 2  # valid 3x3 Sobel on a 6x6 patch


def test_sections_below_the_pair_are_built_only_while_open():
    at = fresh()
    assert not at.get("plotly_chart")[1:]  # closed: only the frequency response is drawn
    assert not {"kl_patch_size", "kl_learn_which"} & {w.key for w in [*at.number_input, *at.radio]}
    at = opened(at, "kl_patch_open", "kl_learn_open", "kl_hist_open")
    assert not at.exception
    assert at.number_input(key="kl_patch_size").value == 8
    assert at.radio(key="kl_learn_which") is not None
    assert len(at.get("plotly_chart")) == 3  # frequency response, histogram, patch animation
    assert any("orange box in the original" in c.value for c in at.caption)


def test_zoom_pan_and_contrast_open_when_asked_or_when_a_link_changes_them():
    at = fresh()
    assert not {"kl_zoom", "kl_gamma"} & {w.key for w in [*at.slider, *at.select_slider]}
    at = opened(at, "kl_display_open")
    at.select_slider(key="kl_zoom").set_value(4).run()
    assert not at.exception
    assert at.session_state["kl__valid"]["zoom"] == 4
    at.session_state["kl_display_open"] = False
    at.run()  # closed again: the zoom stays, in the figure and in the link
    assert at.session_state["kl__valid"]["zoom"] == 4
    assert at.query_params["zoom"] == "4"
    linked = AppTest.from_file(PAGE, default_timeout=60)
    linked.query_params["zoom"] = "4"
    linked.run()  # someone opens that link: the section shows the zoom it sets
    assert linked.select_slider(key="kl_zoom").value == 4


def test_typed_kernel_is_used_and_bad_text_gets_an_error():
    at = fresh()
    at.radio(key="kl_edit").set_value("Type").run()
    at.text_input(key="kl_typed").set_value("1 -1").run()
    at.button(key="kl_use_typed").click().run()
    assert not at.exception
    np.testing.assert_array_equal(at.session_state["kl_kernel"], [[1, -1]])
    at.text_input(key="kl_typed").set_value("1 2; 3").run()
    at.button(key="kl_use_typed").click().run()
    assert not at.exception
    assert any("Row 2 has 1 number(s)" in e.value for e in at.error)
    np.testing.assert_array_equal(at.session_state["kl_kernel"], [[1, -1]])


def test_kernel_shows_read_only_until_the_grid_editor_is_chosen():
    at = fresh()
    (shown,) = at.dataframe
    assert not shown.proto.editing_mode  # read-only: no editor is built on a plain rerun
    np.testing.assert_array_equal(shown.value.to_numpy(), kernels.preset("Sobel x"))
    assert not {"rows", "columns"} & {n.label for n in at.number_input}
    at.radio(key="kl_edit").set_value("Edit cells").run()
    assert at.dataframe[0].proto.editing_mode  # the grid editor
    next(n for n in at.number_input if n.label == "rows").set_value(4).run()
    assert np.asarray(at.session_state["kl_kernel"]).shape == (4, 3)
    at.radio(key="kl_edit").set_value("Show").run()
    at.radio(key="kl_edit").set_value("Edit cells").run()  # back: the grid shows the 4x3 kernel
    assert not at.exception
    assert at.dataframe[0].value.to_numpy().shape == (4, 3)
    assert np.asarray(at.session_state["kl_kernel"]).shape == (4, 3)


def test_paint_mode_opens_without_exception_and_keeps_the_kernel():
    at = fresh()
    before = at.session_state["kl_kernel"].copy()
    at.radio(key="kl_edit").set_value("Paint with the mouse").run()
    assert not at.exception
    assert at.button(key="kl_paint_use") is not None
    at.button(key="kl_paint_use").click().run()  # nothing painted yet: a hint, kernel unchanged
    assert not at.exception
    assert any("Paint on the grid first" in w.value for w in at.warning)
    np.testing.assert_array_equal(at.session_state["kl_kernel"], before)


@pytest.mark.parametrize("devices", [["cpu"], ["cuda", "cpu"]])
def test_filter_device_is_offered_only_with_a_gpu_and_defaults_to_the_cpu(monkeypatch, devices):
    monkeypatch.setattr("cnnviz.device.available_devices", lambda: devices)
    at = fresh()
    offered = [s for s in at.selectbox if s.key == "kl_device"]
    assert len(offered) == (len(devices) > 1)
    if offered:
        assert offered[0].options == devices
        assert offered[0].value == "cpu"
    assert stored_result(at)[4] == "cpu"


def test_a_preset_shows_only_its_own_parameters_and_the_gaussian_cap():
    at = fresh()
    keys = {w.key for w in at.number_input}
    assert not keys & {"kl_sigma", "kl_box", "kl_v1", "kl_v2"}  # Sobel x has no parameters
    at.selectbox(key="kl_preset").set_value("Gaussian blur").run()
    keys = {w.key for w in at.number_input}
    assert "kl_sigma" in keys
    assert not keys & {"kl_box", "kl_v1", "kl_v2"}
    assert np.asarray(at.session_state["kl_kernel"]).shape == (7, 7)  # sigma 1: 2*ceil(3)+1
    at.number_input(key="kl_sigma").set_value(2.0).run()
    assert np.asarray(at.session_state["kl_kernel"]).shape == (13, 13)
    assert not any("capped" in c.value for c in at.caption)
    at.number_input(key="kl_sigma").set_value(3.0).run()
    assert np.asarray(at.session_state["kl_kernel"]).shape == (15, 15)
    assert any("would need 19 x 19" in c.value and "capped" in c.value for c in at.caption)
    at.selectbox(key="kl_preset").set_value("directional derivative").run()
    keys = {w.key for w in at.number_input}
    assert {"kl_v1", "kl_v2"} <= keys
    assert not keys & {"kl_sigma", "kl_box"}
    at.selectbox(key="kl_preset").set_value("box blur").run()
    assert "kl_box" in {w.key for w in at.number_input}
    assert np.asarray(at.session_state["kl_kernel"]).shape == (3, 3)


def test_patch_of_a_16_bit_micrograph_states_one_scale_and_fits_its_cells():
    arr = (30000 + np.arange(32 * 32).reshape(32, 32) * 31).astype(np.uint16)  # 30000-61713
    at = opened(upload(fresh(), "counts.tif", tiff_bytes(arr)), "kl_patch_open")
    assert not at.exception
    assert any("values x 10^3" in c.value for c in at.caption)
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    patch = next(f for f in figures if f["layout"].get("sliders"))  # the step-by-step animation
    grid = next(t for t in patch["data"] if t.get("mode") == "text" and t.get("xaxis") == "x")
    assert max(len(label) for label in grid["text"]) <= 4  # e.g. 46.4, not 46384
    r, c = grid["y"][0], grid["x"][0]
    raw = float(arr[16 + r, 16 + c])  # the default 8x8 patch starts at row and column 16
    assert grid["hovertext"][0].startswith(f"raw value {raw:.6g}")
    assert float(grid["text"][0]) == pytest.approx(raw / 1000, abs=0.06)
