"""Why-convolutions and channels pages under AppTest: presets, link state, bad input."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.teach import channels, translation

ROOT = Path(__file__).resolve().parents[1]
WHY, CHANNELS = str(ROOT / "pages/1_why_convolutions.py"), str(ROOT / "pages/4_channels.py")


def run(page, **params):
    at = AppTest.from_file(page, default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def link(at):
    """The page's query string as plain strings."""
    return {k: v if isinstance(v, str) else v[-1] for k, v in at.query_params.items()}


def charts(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def outputs_chart(at):
    """The channels page's figure of every output channel: its one chart without frames."""
    still = [c for c in charts(at) if not c.get("frames")]
    return still[0]


def animation(at):
    animated = [c for c in charts(at) if c.get("frames")]
    assert len(animated) == 1
    return animated[0]


def frame_texts(fig):
    """The arithmetic line of each frame, with the display's line breaks joined back."""
    return [d["text"][0].replace("<br>", " ") for f in fig["frames"] for d in f["data"]
            if "text" in d]


@pytest.mark.parametrize("preset", list(translation.PRESETS))
def test_why_presets_animate_one_frame_per_output_cell(preset):
    at = run(WHY, preset=preset)
    assert not at.exception
    assert not at.error
    x = translation.PRESETS[preset]["x"][0]
    assert len(animation(at)["frames"]) == len(x) * len(x[0])  # "same" padding keeps the size
    table = at.table[0].value.to_string()
    assert "10¹²" in table
    assert "4·10⁶" in table
    exact = "(exact)" in translation.PRESET_LABELS[preset]
    assert bool(at.success) == exact
    assert bool(at.warning) == (not exact)
    assert link(at)["preset"] == preset


def test_why_counts_follow_delta_and_show_the_formula():
    at = run(WHY, delta="3")
    table = at.table[0].value
    assert list(table["weights (chapter)"]) == ["10¹²", "4·10⁶", "36"]
    assert list(table["weights (exact)"])[2] == "49"
    at.number_input(key="why_delta").set_value(1000).run()
    assert "reaches past" in at.error[0].value
    assert not at.exception


def test_why_link_round_trip():
    at = run(WHY, preset="edge-zeros", dx="2", dy="-1", k="1,0,-1", h="28", w="28")
    assert not at.exception
    assert at.number_input(key="why_dx").value == 2
    assert at.number_input(key="why_dy").value == -1
    assert at.radio(key="why_mode").value == "zeros"
    assert at.number_input(key="why_h").value == 28
    assert at.text_area(key="why_x").value.splitlines()[0] == "1 1 0 0 0 0 1 1"
    assert link(at)["dx"] == "2"
    at.number_input(key="why_dx").set_value(3).run()
    assert link(at)["dx"] == "3"
    at.radio(key="why_mode").set_value("circular").run()
    assert link(at)["mode"] == "circular"
    assert at.success


@pytest.mark.parametrize(("field", "text", "message"), [
    ("why_x", "1 2\n3 x", "row 2, entry 2 is 'x'"),
    ("why_k", "1 -1", "odd kernel size"),
    ("why_x", "\n".join(["1 " * 8] * 40), "40 rows; at most 32"),
    ("why_k", "1 0 -1\n\n1 0 -1", "one channel"),
])
def test_why_bad_input_keeps_the_last_valid_state(field, text, message):
    at = run(WHY)
    before = animation(at)
    before_link = link(at)["x"]
    at.text_area(key=field).input(text).run()
    assert not at.exception
    assert message in " ".join(e.value for e in at.error)
    assert len(animation(at)["frames"]) == len(before["frames"])
    assert link(at)["x"] == before_link


def test_why_size_controls_and_random_fill():
    at = run(WHY)
    at.number_input(key="why_x_r").set_value(5).run()
    assert len(at.text_area(key="why_x").value.splitlines()) == 5
    assert len(animation(at)["frames"]) == 5 * 8
    at.button(key="why_x_random").click().run()
    assert not at.exception
    assert len(at.text_area(key="why_x").value.splitlines()) == 5


def test_why_bad_link_value_is_explained():
    at = run(WHY, dy="abc", preset="nope")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "'dy' ignored" in warnings
    assert "'preset' ignored" in warnings


def chapter_numbers(fig):
    return [v for t in fig["data"] if t["type"] == "heatmap" for row in t["z"] for v in row]


@pytest.mark.parametrize("preset", list(channels.PRESETS))
def test_channels_presets(preset):
    at = run(CHANNELS, preset=preset)
    assert not at.exception
    assert not at.error
    case = channels.PRESETS[preset]
    out_h = len(case["x"][0]) - len(case["k"][0][0]) + 1
    out_w = len(case["x"][0][0]) - len(case["k"][0][0][0]) + 1
    assert len(animation(at)["frames"]) == out_h * out_w
    outputs = chapter_numbers(outputs_chart(at))
    expected = channels.multi_in_out(case["x"], case["k"])
    assert outputs == [v for ch in expected for row in ch for v in row]
    assert f"nn.Conv2d({len(case['x'])}, {len(case['k'])}" in at.code[-1].value


def test_channels_chapter_numbers_and_arithmetic():
    at = run(CHANNELS, preset="multi-out")
    assert chapter_numbers(outputs_chart(at)) == [56, 72, 104, 120, 76, 100, 148, 172, 96, 128, 192,
                                              224]
    assert frame_texts(animation(at))[0] == \
        "Y1[0, 0] = (0×0 + 1×1 + 3×2 + 4×3) + (1×1 + 2×2 + 4×3 + 5×4) = 56"
    at.radio(key="chan_show").set_value(3).run()
    assert frame_texts(animation(at))[3] == \
        "Y3[1, 1] = (4×2 + 5×3 + 7×4 + 8×5) + (5×3 + 6×4 + 8×5 + 9×6) = 224"
    assert link(at)["show"] == "3"


def test_channels_1x1_is_a_matrix_product():
    at = run(CHANNELS, preset="1x1")
    assert "matrix product equals corr2d_multi_in_out" in at.success[0].value
    assert at.code[0].value.splitlines()[0] == "Y[0, 0] = 1×1 + 2×2 + (-1)×0 = 5"
    at.slider(key="chan_pixel").set_value(4).run()
    assert at.code[0].value.splitlines()[1] == "Y[1, 4] = 0×1 + 1×3 + 3×0 = 3"
    assert not at.exception


def test_channels_link_round_trip_and_size_controls():
    at = run(CHANNELS, preset="multi-in", x="1,2;3,4|0,1;1,0", k1="1|2")
    assert not at.exception
    assert at.text_area(key="chan_x").value == "1 2\n3 4\n\n0 1\n1 0"
    assert at.number_input(key="chan_k1_r").value == 1
    assert chapter_numbers(outputs_chart(at)) == [1, 4, 5, 4]
    at.number_input(key="chan_co").set_value(2).run()
    assert not at.exception
    assert link(at)["co"] == "2"
    assert link(at)["k2"] == "0|1"  # the default kernel, cut to the 1x1 size of kernel 1
    at.number_input(key="chan_x_c").set_value(3).run()
    assert link(at)["x"] == "1,2;3,4|0,1;1,0|0,0;0,0"
    at.button(key="chan_x_random").click().run()
    assert not at.exception
    assert len(at.text_area(key="chan_x").value.split("\n\n")) == 3


@pytest.mark.parametrize(("field", "text", "message"), [
    ("chan_k1", "0 1\n2 3", "input has 2 channels but the kernel for output channel 1 has 1"),
    ("chan_x", "0 1 2\n3 4 5\n\n1 2\n3 4", "channel 2 is 2x2 but channel 1 is 2x3"),
    ("chan_x", "0 1 a", "row 1, entry 3 is 'a'"),
    ("chan_x", "\n\n".join(["1"] * 5), "5 channels; at most 4"),
    ("chan_x", " ".join(["1"] * 40), "40 numbers; at most 32"),
    ("chan_k1", "1 2 3 4\n1 2 3 4\n\n1 2 3 4\n1 2 3 4", "window spans 4 cells"),
])
def test_channels_bad_input_keeps_the_last_valid_state(field, text, message):
    at = run(CHANNELS, preset="multi-in")
    before_link = link(at)
    at.text_area(key=field).input(text).run()
    assert not at.exception
    assert message in " ".join(e.value for e in at.error)
    assert chapter_numbers(outputs_chart(at))[:4] == [56, 72, 104, 120]
    assert link(at) == before_link


@pytest.mark.parametrize(("page", "field", "text"), [
    ("pages/4_channels.py", "chan_x", "5 6 7\n1 2 3\n4 4 4\n\n1 1 1\n1 1 1\n1 1 1"),
    ("pages/1_why_convolutions.py", "why_k", "0 0 0\n0 1 0\n0 0 2"),
])
def test_edits_survive_a_page_switch(page, field, text):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(page).run()
    at.text_area(key=field).input(text).run()
    assert not at.error
    at.switch_page("pages/home.py").run()
    assert field not in at.session_state  # Streamlit dropped the widget ...
    at.switch_page(page).run()
    assert not at.exception
    assert at.text_area(key=field).value == text  # ... and the page put the edit back
