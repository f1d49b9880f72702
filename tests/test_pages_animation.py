"""The sliding-window pages under AppTest: every preset, link state, and bad input."""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import pageconfig as urlstate
from cnnviz.teach import presets
from ui.charts import PLAY_HELP

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "xc": ("pages/2_cross_correlation.py", presets.CORRELATION, presets.CORRELATION_FIELDS),
    "ps": ("pages/3_padding_and_stride.py", presets.PADDING, presets.PADDING_FIELDS),
    "po": ("pages/5_pooling.py", presets.POOLING, presets.POOLING_FIELDS),
}
CASES = [(prefix, name) for prefix, (_, table, _) in PAGES.items() for name in table]


def open_page(prefix: str, params: dict | None = None) -> AppTest:
    """Run a page once (optionally opened from a link with query parameters)."""
    at = AppTest.from_file(str(ROOT / PAGES[prefix][0]), default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at.run()


def chart(at: AppTest) -> dict:
    """The animation figure the page drew."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def step_results(figure: dict) -> list[float]:
    """The result at the end of every frame's arithmetic line, in step order."""
    lines = [d["text"][0] for f in figure["frames"] for d in f["data"] if "text" in d]
    return [float(re.search(r"= (-?[\d.]+)$", line).group(1)) for line in lines]


@pytest.mark.parametrize(("prefix", "name"), CASES)
def test_every_preset_animates_the_chapter_numbers(prefix, name):
    at = open_page(prefix)
    at.selectbox(key=f"{prefix}_preset").set_value(name).run()
    assert not at.exception, at.exception
    assert not at.error
    preset = PAGES[prefix][1][name]
    figure = chart(at)
    if preset.expected is not None:
        flat = [v for ch in preset.expected for row in ch for v in row]
        assert len(figure["frames"]) == len(flat)  # one frame per output cell
        assert step_results(figure) == pytest.approx(flat)
    else:  # the chapter prints only the output shape for these
        h, w = map(int, preset.note.split("x"))
        assert len(figure["frames"]) == h * w
    assert at.query_params["preset"] == [name] or at.query_params["preset"] == name


def test_first_step_arithmetic_and_snippet_on_default_page():
    at = open_page("xc")
    figure = chart(at)
    assert figure["frames"][0]["data"][3]["text"] == ["Y[0, 0] = 0×0 + 1×1 + 3×2 + 4×3 = 19"]
    code = at.get("code")[0].proto.code_text
    assert "nn.Conv2d(1, 1, kernel_size=2, bias=False)" in code


def test_padding_page_shows_the_formula_with_numbers():
    at = open_page("ps")
    at.selectbox(key="ps_preset").set_value("stride").run()
    latex = [e.value.strip("$\n") for e in at.latex]
    assert latex[0].endswith(r"\frac{3 - 2 + 2 + 3}{3} \right\rfloor = 2")
    assert latex[1].endswith(r"\frac{3 - 2 + 2 + 2}{2} \right\rfloor = 2")
    code = at.get("code")[0].proto.code_text
    assert "padding=1, stride=(3, 2)" in code


def test_link_opens_exactly_its_configuration_and_round_trips():
    config = {"preset": "custom", "X": [[[1.0, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]],
              "K": [[[1.0, 0], [0, -1]]], "padding": (1, 0), "stride": (2, 1),
              "dilation": (1, 2), "mode": "replicate"}
    params = urlstate.encode(config, presets.PADDING_FIELDS)
    at = open_page("ps", params)
    assert not at.exception
    assert not at.warning
    assert at.text_area(key="ps_X").value == "1 2 3 4\n5 6 7 8\n9 10 11 12"
    assert at.number_input(key="ps_dilation_w").value == 2
    assert at.selectbox(key="ps_mode").value == "replicate"
    assert len(chart(at)["frames"]) == 2 * 2  # (3 + 2 - 2)//2 + 1 by (4 - 3)//1 + 1
    assert {k: at.query_params[k] for k in params} == params


def test_bad_link_values_fall_back_with_a_warning():
    at = open_page("po", {"preset": "channels", "stride": "0", "X": "1,2;3"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "'stride' ignored" in warnings
    assert "'X' ignored" in warnings
    assert len(chart(at)["frames"]) == 8  # the two-channel preset's settings


@pytest.mark.parametrize(("widget", "value", "message"), [
    ("text_area:xc_X", "1 2\n3 x", "not a number"),
    ("text_area:xc_X", "1 2 3\n4 5", "row 2 has 2 numbers"),
    ("text_area:xc_K", "1 1 1 1\n1 1 1 1\n1 1 1 1\n1 1 1 1", "window spans"),
    ("text_area:xc_X", "\n".join(["1 2"] * 40), "at most 32"),
])
def test_bad_input_shows_a_message_and_keeps_the_last_animation(widget, value, message):
    at = open_page("xc")
    kind, key = widget.split(":")
    getattr(at, kind)(key=key).set_value(value).run()
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert len(chart(at)["frames"]) == 4  # the chapter's animation is still shown


def test_too_much_dilation_keeps_the_last_animation():
    at = open_page("ps")
    at.number_input(key="ps_dilation_h").set_value(8).run()
    assert not at.exception
    assert any("window spans" in e.value for e in at.error)
    assert len(chart(at)["frames"]) == 16


def test_random_fill_and_size_controls():
    at = open_page("po")
    at.number_input(key="po_X_c").set_value(3).run()
    at.number_input(key="po_X_r").set_value(5).run()
    assert not at.exception
    channels = at.text_area(key="po_X").value.split("\n\n")
    assert len(channels) == 3
    assert all(len(c.split("\n")) == 5 for c in channels)
    assert len(chart(at)["frames"]) == 3 * 4 * 2  # 2x2 window, stride 1 on 5x3
    assert at.selectbox(key="po_preset").value == "custom"
    before = at.text_area(key="po_X").value
    for _ in range(3):  # three fills all equal to the old one: odds below 1e-40
        at.button(key="po_X_random").click().run()
        if at.text_area(key="po_X").value != before:
            break
    assert at.text_area(key="po_X").value != before


def test_edits_survive_a_page_switch():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/2_cross_correlation.py").run()
    at.text_area(key="xc_X").set_value("1 2\n3 4").run()
    at.switch_page("pages/5_pooling.py").run()
    assert not at.exception
    at.switch_page("pages/2_cross_correlation.py").run()
    assert at.text_area(key="xc_X").value == "1 2\n3 4"
    assert len(chart(at)["frames"]) == 1


def test_editing_marks_the_settings_as_your_own_in_the_link():
    at = open_page("ps")
    at.number_input(key="ps_stride_w").set_value(2).run()
    assert at.selectbox(key="ps_preset").value == "custom"
    assert at.query_params["preset"] in ("custom", ["custom"])
    assert at.query_params["stride"] in ("1,2", ["1,2"])


def test_single_step_example_shows_no_play_controls():
    at = open_page("po", {"preset": "maxpool3"})
    figure = chart(at)
    assert len(figure["frames"]) == 1
    assert "updatemenus" not in figure["layout"]
    assert "sliders" not in figure["layout"]
    assert PLAY_HELP not in [c.value for c in at.caption]
    at.selectbox(key="po_preset").set_value("pad_stride").run()
    assert sum(len(menu["buttons"]) for menu in chart(at)["layout"]["updatemenus"]) == 6
    assert PLAY_HELP in [c.value for c in at.caption]
