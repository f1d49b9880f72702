"""Helpers for class-mode tests: a redis-server of their own, a shared store, app sessions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from tests.redis_server import redis_server
from ui import classroom

ROOT = Path(__file__).resolve().parents[1]
PADDING = "pages/3_padding_and_stride.py"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A redis-server of our own on a free port, without persistence; stopped afterwards."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (make test installs Debian's redis-server)")
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def class_dir(tmp_path, monkeypatch):
    """One class store for this test's sessions, in a fresh folder.

    AppTest resets Streamlit's old-multipage flag before each run, and with pages/ beside
    app.py its reruns would run the page alone (no sidebar, no class mode); a server keeps the
    flag off once app.py's st.navigation ran, so keep it off here too.
    """
    init = PagesManager.__init__

    def navigation_mode(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", navigation_mode)
    monkeypatch.setenv("CNNVIZ_CLASS_DIR", str(tmp_path))
    classroom.class_store.clear()
    yield tmp_path
    classroom.class_store.clear()


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def button(at: AppTest, key: str):
    return next(b for b in [*at.button, *at.get("form_submit_button")] if b.key == key)


def start_class(at: AppTest) -> str:
    button(at, "class_start").click().run()
    assert not at.exception, at.exception
    return at.session_state["class_code"]


def join(at: AppTest, code: str) -> AppTest:
    at.text_input(key="class_typed").input(code)
    button(at, "class_join").click().run()
    assert not at.exception, at.exception
    return at.run()  # the first poll follows the lecturer


def histogram_counts(at: AppTest) -> list[int]:
    chart = next(c for c in at.get("plotly_chart") if "class_histogram" in c.proto.id)
    return json.loads(chart.proto.spec)["data"][0]["y"]


def scripts(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def forge(at: AppTest, *states: WidgetState) -> AppTest:
    """Run the session with its own widget states plus ``states`` (what its browser may send)."""
    sent = WidgetStates()
    sent.widgets.extend(at._tree.get_widget_states().widgets)
    sent.widgets.extend(states)
    return at._run(sent)


def figure_move(lecturer: AppTest, value) -> WidgetState:
    """What the lecturer's browser sends when its figure reaches a step: the reporter's state."""
    reporter = next(e for e in lecturer.get("bidi_component")
                    if e.key == classroom.REPORTER_KEY)
    return WidgetState(id=reporter.proto.id, json_value=json.dumps(value))
