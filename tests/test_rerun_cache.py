"""Reruns of the animation pages replay a cached chart: same content, keyed by every setting."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import sliding_window as anim

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["pages/2_cross_correlation.py", "pages/3_padding_and_stride.py", "pages/5_pooling.py"]


def shown(at: AppTest) -> tuple[str, str, list[str]]:
    """The chart spec, the PyTorch code and the captions a run showed."""
    return (at.get("plotly_chart")[0].proto.spec, at.code[0].value,
            [c.value for c in at.caption])


@pytest.mark.parametrize("page", PAGES)
def test_rerun_replays_the_same_chart_code_and_hint(page):
    at = AppTest.from_file(str(ROOT / page), default_timeout=60).run()
    first = shown(at)
    for _ in range(2):  # later runs hit the cache and replay the recorded elements
        at.run()
        assert not at.exception
        assert shown(at) == first
        assert len(at.get("plotly_chart")) == 1
    assert json.loads(first[0])["frames"]


def test_projector_mode_replays_its_own_enlarged_chart():
    at = AppTest.from_file(str(ROOT / PAGES[0]), default_timeout=60).run()
    plain = json.loads(at.get("plotly_chart")[0].proto.spec)
    at.session_state["ui_projector"] = True
    at.run()
    big = json.loads(at.get("plotly_chart")[0].proto.spec)
    def largest_text(figure):
        return max(d["textfont"]["size"] for d in figure["data"] if d.get("textfont"))

    assert largest_text(big) > largest_text(plain)
    at.session_state["ui_projector"] = False
    at.run()
    assert json.loads(at.get("plotly_chart")[0].proto.spec) == plain


def test_changed_input_changes_the_replayed_chart():
    at = AppTest.from_file(str(ROOT / PAGES[0]), default_timeout=60).run()
    before = shown(at)
    at.text_area(key="xc_X").set_value("1 2 3\n4 5 6\n7 8 10").run()
    after = shown(at)
    assert after[0] != before[0]
    assert after[1] != before[1]
    assert "10" in after[1]


def test_views_are_keyed_by_exact_settings():
    ints = anim.correlation_view([[[1, 2], [3, 4]]], [[[1]]], (0, 0), (1, 1), (1, 1), "zeros",
                                 False)
    floats = anim.correlation_view([[[1.5, 2], [3, 4]]], [[[1]]], (0, 0), (1, 1), (1, 1),
                                   "zeros", False)
    flipped = anim.correlation_view([[[1.5, 2], [3, 4]]], [[[1]]], (0, 0), (1, 1), (1, 1),
                                    "zeros", True)
    assert ints.output == [[[1, 2], [3, 4]]]
    assert floats.output == [[[1.5, 2], [3, 4]]]
    assert len({ints.settings, floats.settings, flipped.settings}) == 3
    pooled = anim.pooling_view([[[1.0, 5.0], [3.0, 4.0]]], (2, 2), "max", (0, 0), (1, 1), (1, 1))
    assert pooled.output == [[[5.0]]]
