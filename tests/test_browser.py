"""The app in headless Chromium: home and every page render with no Streamlit exception."""

import pytest

from cnnviz.catalog import all_pages

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
