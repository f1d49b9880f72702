"""Shared links to the why-convolutions and channels pages open their configuration in Chromium."""

import pytest

pytestmark = pytest.mark.browser


def open_link(page, app_url, path):
    """Open a link (after the home page, so the server knows its pages) and wait for the run."""
    page.goto(app_url)
    page.wait_for_selector("h1", timeout=30_000)
    page.goto(f"{app_url}/{path}")
    page.wait_for_selector(".js-plotly-plot .slider-container", timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0


def step_counter(page):
    return page.locator(".js-plotly-plot .slider-group > text.slider-label").first


def test_why_convolutions_link(page, app_url):
    open_link(page, app_url, "why_convolutions?preset=edge-zeros&dy=1&dx=2&delta=3")
    assert page.get_by_role("spinbutton", name="Shift down").input_value() == "1"
    assert page.get_by_role("spinbutton", name="Shift right").input_value() == "2"
    assert page.get_by_label("Window half-width Δ").input_value() == "3"
    assert page.get_by_text("The two routes differ").count() == 1  # zero padding breaks
    assert step_counter(page).text_content() == "Step 1 / 48"  # the 6x8 edge image
    assert page.get_by_role("cell", name="4·10⁶").count() == 1
    assert "mode=zeros" in page.url


def test_channels_link_and_play(page, app_url):
    open_link(page, app_url, "channels?preset=multi-out&show=2")
    assert page.get_by_role("radio", name="2").is_checked()
    assert step_counter(page).text_content() == "Step 1 / 4"
    texts = page.locator(".js-plotly-plot text").all_text_contents()
    assert {"56", "72", "104", "120", "76", "100", "148", "172", "96", "128", "192",
            "224"} <= set(texts)
    assert any(t.startswith("Y2[0, 0] = ") and t.endswith("= 76") for t in texts)
    page.get_by_text("▶ Slow").first.click()
    page.wait_for_function(
        "() => ['Step 2 / 4', 'Step 3 / 4', 'Step 4 / 4'].includes("
        "document.querySelector('.slider-group > text.slider-label')?.textContent)",
        timeout=10_000)
    assert step_counter(page).text_content() in {"Step 2 / 4", "Step 3 / 4", "Step 4 / 4"}


def test_channels_1x1_link(page, app_url):
    open_link(page, app_url, "channels?preset=1x1")
    assert page.get_by_text("The matrix product equals corr2d_multi_in_out").count() == 1
    assert page.get_by_text("Y[0, 0] = 1×1 + 2×2 + (-1)×0 = 5").count() == 1
