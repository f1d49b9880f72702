"""The kernel lab in headless Chromium: the original and the filtered result appear as images."""

import pytest

pytestmark = pytest.mark.browser


def test_kernel_lab_shows_original_and_result(page, app_url):
    page.goto(f"{app_url}/kernel_lab")
    page.wait_for_selector("h1:has-text('Kernel lab')", timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    images = page.locator("[data-testid='stImage'] img")
    images.first.wait_for(timeout=60_000)
    assert images.count() == 2
    for i in range(2):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth") == 256
    assert page.get_by_text("Result, colour limit").count() == 1
    assert page.locator("[data-testid='stException']").count() == 0
