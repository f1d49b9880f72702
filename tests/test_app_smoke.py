"""Every page runs under AppTest without an exception."""

import json
from pathlib import Path

import pytest
from streamlit.source_util import page_icon_and_name
from streamlit.testing.v1 import AppTest

from cnnviz.catalog import PAGES, all_pages
from cnnviz.viz.projector import PROJECTOR

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def test_catalog_lists_every_page_file():
    listed = {info.file for info in all_pages()}
    assert listed == set(PAGE_FILES)  # pages/ holds page scripts only


def test_url_paths_equal_the_names_streamlit_derives_from_file_names():
    # ui/legacy_pages.py relies on it: a first request in legacy mode must find the same page
    for info in PAGES:
        assert info.url_path == page_icon_and_name(Path(info.file))[1]


def test_app_runs_home():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert "How convolutional neural networks work" in at.title[0].value
    assert any("Computing on" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("page", PAGE_FILES)
def test_page_runs_without_exception(page):
    at = AppTest.from_file(str(ROOT / page), default_timeout=30).run()
    assert not at.exception, at.exception


@pytest.mark.parametrize("page", PAGE_FILES)
def test_page_runs_in_projector_mode(page):
    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    at.session_state["ui_projector"] = True
    at.run()
    assert not at.exception, at.exception
    for chart in at.get("plotly_chart"):  # every figure on the page is enlarged
        assert json.loads(chart.proto.spec)["layout"]["font"]["size"] == PROJECTOR.font_size
