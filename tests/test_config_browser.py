"""Page configuration in headless Chromium: links across page switches, the LeNet tab from a
link, and a typed out-of-range number with its message next to the field."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def open_app(page, url: str) -> None:
    """Open a page and wait until its script run has finished."""
    page.goto(url)
    page.wait_for_selector("h1", timeout=60_000)
    settled(page)


def settled(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def test_a_link_stays_with_its_page_and_comes_back_after_a_switch(page, app_url):
    open_app(page, f"{app_url}/cross_correlation?preset=custom&X=1,2;3,4&K=1&flip=0")
    expect(page.get_by_role("textbox", name="Input X")).to_have_value("1 2\n3 4")
    page.get_by_role("link", name="Padding and stride").first.click()
    page.wait_for_url("**/padding_and_stride**", timeout=30_000)
    page.wait_for_function("() => location.search.includes('preset=padded')", timeout=30_000)
    link = parse_qs(urlsplit(page.url).query)
    assert link["X"] == ["0,1,2;3,4,5;6,7,8"]  # its own example, not the other page's input
    expect(page.get_by_role("textbox", name="Input X")).to_have_value("0 1 2\n3 4 5\n6 7 8")
    page.get_by_role("link", name="Cross-correlation").first.click()
    page.wait_for_function("() => decodeURIComponent(location.search).includes('X=1,2;3,4')",
                           timeout=30_000)
    expect(page.get_by_role("textbox", name="Input X")).to_have_value("1 2\n3 4")


def test_lenet_link_selects_its_tab(page, app_url):
    open_app(page, f"{app_url}/lenet?tab=Training&steps=1200")
    tab = page.get_by_role("tab", name="Training")
    tab.wait_for(timeout=30_000)
    assert tab.get_attribute("aria-selected") == "true"
    page.get_by_text("Download trained weights").or_(page.get_by_text("Upload weights")).first \
        .wait_for(timeout=60_000)  # the training tab, drawn last, is there: the run is over
    settled(page)
    page.get_by_role("tab", name="Architecture").click()
    page.wait_for_function("() => location.search.includes('tab=Architecture')",
                           timeout=30_000)


def test_typed_stride_zero_is_explained_next_to_the_field(page, app_url):
    open_app(page, f"{app_url}/padding_and_stride")
    field = page.get_by_role("spinbutton", name="Stride ↕")
    field.fill("0")
    field.press("Enter")
    message = page.get_by_text("Still using 1, 1")
    message.wait_for(timeout=30_000)
    assert page.get_by_text("The figure still shows Stride = 1, 1 (not 0, 1).").count() >= 1
    assert page.locator("[data-testid='stException']").count() == 0
