"""The app in headless Chromium: home and every page render with no Streamlit exception."""

import pytest
from playwright.sync_api import expect

from cnnviz.catalog import all_pages
from tests.conftest import start_server, stop_server

pytestmark = pytest.mark.browser


def wait_for_app(page):
    """Wait until Streamlit finished the script run."""
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


@pytest.mark.parametrize("info", all_pages(), ids=lambda i: i.url_path or "home")
def test_page_renders_without_exception(page, app_url, info):
    page.goto(f"{app_url}/{info.url_path}")
    wait_for_app(page)
    page.wait_for_selector("h1", timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("encountered an error").count() == 0
    if not info.url_path:
        assert page.get_by_text("Computing on").count() >= 1


@pytest.mark.parametrize("info", [p for p in all_pages() if p.url_path][:3] + all_pages()[-1:],
                         ids=lambda i: i.url_path)
def test_shared_link_as_first_request_of_a_fresh_server(page, tmp_path, info):
    # A lecturer starts the server and the first thing opened is a shared link to a page.
    proc, url = start_server(tmp_path)
    try:
        page.goto(f"{url}/{info.url_path}?unused=1")
        wait_for_app(page)
        page.wait_for_selector("h1", timeout=30_000)
        # The page ran inside app.py (after the switch out of the legacy multipage mode, see
        # ui/legacy_pages.py): its sidebar is there.
        expect(page.get_by_text("Computing on").first).to_be_visible(timeout=30_000)
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator("[data-testid='stException']").count() == 0
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "ui" not in nav.split()  # helper modules are not listed as pages
        assert page.url.split("?")[0].endswith(f"/{info.url_path}")
    finally:
        stop_server(proc)
