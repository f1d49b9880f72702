"""The LeNet page in headless Chromium: a short run on tiny data, see the curve and maps."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def wait_idle(page, timeout=60_000):
    """Wait until Streamlit is not running a script."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def test_train_a_short_run_then_see_curve_and_feature_maps(page, app_url, tiny_idx_data):
    page.goto(app_url)  # home first: it sets up st.navigation for the whole server
    page.wait_for_selector("h1", timeout=60_000)
    wait_idle(page)
    page.goto(f"{app_url}/lenet")
    page.wait_for_selector("h1", timeout=60_000)
    wait_idle(page)
    page.get_by_role("tab", name="Training").click()
    slider = page.get_by_role("slider", name="Training steps")
    slider.focus()
    slider.press("Home")  # the shortest budget: 100 steps
    thumb = page.get_by_test_id("stSlider").filter(has_text="Training steps").get_by_test_id(
        "stSliderThumbValue")
    expect(thumb).to_have_text("100", timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Train the classic LeNet").click()
    page.get_by_text("Last run").wait_for(timeout=120_000)  # the job ended and was kept
    wait_idle(page)
    curve = page.locator(".js-plotly-plot", has=page.locator(".legendtext",
                                                             has_text="train loss"))
    curve.first.wait_for(timeout=30_000)
    assert page.get_by_text("after step 100 of 100").count() >= 1
    page.get_by_role("tab", name="Inside the network").click()
    maps = page.locator(".js-plotly-plot", has=page.locator(".gtitle, .annotation-text",
                                                            has_text="Conv2d"))
    page.get_by_text("Output of every layer").wait_for(timeout=30_000)  # runs once opened
    maps.first.wait_for(timeout=30_000)
    assert page.locator(".js-plotly-plot .heatmaplayer, .js-plotly-plot image").count() > 0
    assert page.locator("[data-testid='stException']").count() == 0
    # Receptive field: clicking a pixel of the feature map moves the outlined input region.
    rf_map = page.locator(".js-plotly-plot", has=page.locator(".gtitle",
                                                              has_text="click a pixel"))
    rf_map.first.scroll_into_view_if_needed()
    caption = page.get_by_text("depends on rows")
    expect(caption).to_contain_text("Pixel (row 14, column 14) of layer 0")
    box = rf_map.first.locator(".nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    expect(caption).not_to_contain_text("row 14, column 14", timeout=30_000)
    expect(caption).to_contain_text("of layer 0 depends on rows")
    assert page.locator("[data-testid='stException']").count() == 0
