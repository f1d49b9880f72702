"""Projector mode in Chromium: it survives switching pages through the sidebar navigation."""

import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from cnnviz.catalog import PAGES

pytestmark = pytest.mark.browser

TOGGLE = "[data-testid='stSidebar'] [data-testid='stCheckbox'] input"
BIG_TYPE = ("() => Array.from(document.querySelectorAll('style'))"
            ".some(s => s.textContent.includes('font-size: 24px'))")


@pytest.mark.skipif(not PAGES, reason="needs a lesson page to switch to")
def test_projector_mode_survives_a_page_switch(page, app_url):
    page.goto(app_url)
    page.wait_for_selector("h1", timeout=30_000)
    page.get_by_text("Projector mode").click()
    page.wait_for_function(BIG_TYPE, timeout=30_000)
    target = PAGES[-1]
    page.locator("[data-testid='stSidebarNav'] a", has_text=target.title).click()
    # every page now writes its configuration into the address: a query string may follow
    page.wait_for_url(re.compile(rf"/{target.url_path}(\?.*)?$"), timeout=30_000)
    # The sidebar is drawn before the page, so once the new page's title is there, the toggle
    # and the styles are those of the run after the switch.
    page.wait_for_selector(f"h1:has-text('{target.title}')", timeout=60_000)
    expect(page.locator(TOGGLE).first).to_be_checked()
    assert page.evaluate(BIG_TYPE)
    expect(page.get_by_text("Share this page")).to_have_count(1)


def test_share_link_and_qr_follow_the_step_on_screen(page, app_url):
    """Stepping the animation changes only the browser's address; the share panel follows."""
    import cv2
    import numpy as np

    page.goto(app_url)
    page.wait_for_selector("h1", timeout=30_000)
    page.get_by_text("Projector mode").click()
    page.wait_for_function(BIG_TYPE, timeout=30_000)
    target = next(i for i in PAGES if i.url_path == "cross_correlation")
    page.locator("[data-testid='stSidebarNav'] a", has_text=target.title).click()
    page.wait_for_selector(f"h1:has-text('{target.title}')", timeout=60_000)
    step = page.locator(".updatemenu-button", has_text="Step ▶").first
    step.wait_for(timeout=60_000)
    step.click()
    step.click()
    page.wait_for_url(re.compile(r"[?&]step=3"), timeout=30_000)
    page.get_by_text("Share this page").click()
    link = page.locator("[data-testid='stSidebar'] [data-testid='stCode']")
    expect(link).to_contain_text("step=3", timeout=30_000)
    qr = page.locator("[data-testid='stSidebar'] [data-testid='stImage'] img").first
    png = page.request.get(urljoin(page.url, qr.get_attribute("src"))).body()  # as served
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    encoded, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    assert "step=3" in encoded
    assert f"/{target.url_path}" in encoded
