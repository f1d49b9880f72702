"""Projector mode, the share QR code and keyboard stepping, as every page gets them from ui."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
TEST_PAGE = ROOT / "tests" / "apps" / "animated_figure.py"


def projector_css(at) -> bool:
    return any("font-size: 24px" in h.proto.body for h in at.get("html"))


def test_projector_mode_survives_reruns_and_enlarges_figures():
    at = AppTest.from_file(str(TEST_PAGE), default_timeout=30).run()
    assert not at.exception
    assert not projector_css(at)
    at.sidebar.toggle[0].set_value(True).run()
    assert at.session_state["ui_projector"] is True
    assert projector_css(at)
    at.run()
    assert at.sidebar.toggle[0].value is True
    assert projector_css(at)
    spec = at.get("plotly_chart")[0].proto.spec
    assert '"size":22' in spec.replace(" ", "")
    at.sidebar.toggle[0].set_value(False).run()
    assert not projector_css(at)


def test_sidebar_shares_the_page_with_its_query(monkeypatch):
    monkeypatch.setenv("CNNVIZ_PUBLIC_URL", "http://10.0.0.9:8501")
    at = AppTest.from_file(str(TEST_PAGE), default_timeout=30)
    at.query_params["size"] = "3"
    at.run()
    assert not at.exception
    assert not at.sidebar.get("image")  # students' sessions skip the QR code
    at.sidebar.toggle[0].set_value(True).run()
    codes = [c.value for c in at.sidebar.code]
    assert any(c.startswith("http://10.0.0.9:8501/") and c.endswith("?size=3") for c in codes)
    assert len(at.sidebar.get("image")) == 1


def test_keyboard_script_is_installed():
    at = AppTest.from_file(str(TEST_PAGE), default_timeout=30).run()
    assert any("__cnnvizKeyboardStepping" in h.proto.body for h in at.get("html"))


def test_projector_copies_figures_that_hand_over_a_prebuilt_dict():
    at = AppTest.from_function(prebuilt_figure_page, default_timeout=30)
    at.session_state["ui_projector"] = True
    at.run()
    assert not at.exception
    spec = at.get("plotly_chart")[0].proto.spec.replace(" ", "")
    assert '"y":[3,1,2]' in spec
    assert '"size":22' in spec


def prebuilt_figure_page():
    import plotly.graph_objects as go

    from ui import charts

    class Prebuilt(go.Figure):
        def __init__(self, figure):
            super().__init__()
            self._prebuilt = figure

        def to_dict(self):
            return self._prebuilt

    charts.plotly_chart(Prebuilt(go.Figure(go.Scatter(y=[3, 1, 2])).to_dict()))
