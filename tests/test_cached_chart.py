"""charts.cached_chart: built once per settings text, replayed on reruns, never mixed up."""

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import charts as ui_charts

APP = Path(__file__).resolve().parent / "apps" / "cached_charts.py"


def shown(at) -> list[tuple[str, int]]:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return [(s["data"][0]["x"][0], s["data"][0]["y"][0]) for s in specs]


def test_charts_are_built_once_per_settings_and_stay_apart():
    ui_charts._chart_block.clear()
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert shown(at) == [("first", 3), ("second", 3)]  # same settings, different builders
    assert at.session_state["builds"] == ["first", "second"]
    at.run()
    assert shown(at) == [("first", 3), ("second", 3)]
    assert at.session_state["builds"] == ["first", "second"]  # replayed, not rebuilt
    assert json.loads(at.get("plotly_chart")[1].proto.spec)  # options did not break it
    at.number_input[0].set_value(5).run()
    assert shown(at) == [("first", 5), ("second", 5)]
    assert at.session_state["builds"][-2:] == ["first", "second"]
    at.sidebar.toggle[0].set_value(True).run()  # projector mode is its own recording
    assert len(at.session_state["builds"]) == 6
    assert '"size":22' in at.get("plotly_chart")[0].proto.spec.replace(" ", "")
    assert shown(at) == [("first", 5), ("second", 5)]


def test_another_session_replays_without_building():
    ui_charts._chart_block.clear()
    AppTest.from_file(str(APP), default_timeout=30).run()
    other = AppTest.from_file(str(APP), default_timeout=30).run()
    assert shown(other) == [("first", 3), ("second", 3)]
    assert other.session_state["builds"] == []


def test_cached_elements_replay_a_table():
    ui_charts._element_block.clear()
    # A file, not AppTest.from_function: that leaves its temporary script as __main__, which
    # later multiprocessing "spawn" children (the training tests) would try to run.
    at = AppTest.from_file(str(APP.with_name("cached_table.py")), default_timeout=30).run()
    assert not at.exception
    assert at.session_state["drawn"] == 1
    assert at.table[0].value.iloc[0, 0] == 1
    at.run()
    assert at.session_state["drawn"] == 1  # replayed
    assert at.table[0].value.iloc[0, 0] == 1

