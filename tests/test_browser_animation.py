"""The animation in headless Chromium: play advances the step counter; a shared link reopens."""

import re
from urllib.parse import quote

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from cnnviz import pageconfig as urlstate
from cnnviz.teach import presets

pytestmark = pytest.mark.browser


def open_app(page, url: str, chart: bool = True) -> None:
    """Open a page of the app and wait until its script run finished (and the chart is drawn)."""
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    if chart:
        page.wait_for_selector(".js-plotly-plot text.slider-label", timeout=30_000)
    else:
        page.wait_for_selector("h1", timeout=60_000)  # the first script run has finished


def step_counter(page) -> str:
    """The slider's label, e.g. 'Step 3 / 16'."""
    return page.locator(".js-plotly-plot text.slider-label").first.text_content()


def reruns_requested(frames: list[str | bytes]) -> int:
    """How many of the browser's websocket messages ask the server to run the script."""
    count = 0
    for payload in frames:
        message = BackMsg()
        message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
        count += message.WhichOneof("type") == "rerun_script"
    return count


def test_play_advances_the_step_counter_in_the_browser(page, app_url):
    sent = []  # messages from the browser to the server
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    open_app(page, app_url, chart=False)  # a first visit to the root warms the server up
    open_app(page, f"{app_url}/padding_and_stride?preset=padded")
    assert step_counter(page) == "Step 1 / 16"
    kernel_numbers = page.locator(".js-plotly-plot g.textpoint").count()
    before_play = reruns_requested(sent)  # one per page opened
    page.locator(".js-plotly-plot g.updatemenu-button").nth(2).click()  # "▶▶ Fast"
    page.wait_for_function(
        "() => /Step ([2-9]|1[0-6]) \\/ 16/.test("
        "document.querySelector('.js-plotly-plot text.slider-label')?.textContent)",
        timeout=15_000)
    # 16 frames at 120 ms: about 2 s; a slow machine gets longer
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot text.slider-label')?.textContent"
        " === 'Step 16 / 16'", timeout=15_000)
    assert reruns_requested(sent) == before_play  # playback ran in the browser, not the server
    arithmetic = page.locator(".js-plotly-plot g.textpoint text").all_text_contents()
    assert "Y[3, 3] = 8×0 + 0×1 + 0×2 + 0×3 = 0" in arithmetic
    # the grids (layout images) and their numbers are still drawn after playing
    assert page.locator(".js-plotly-plot image").count() == 3
    assert page.locator(".js-plotly-plot g.textpoint").count() == kernel_numbers
    assert page.locator("[data-testid='stException']").count() == 0


def test_shared_link_opens_its_configuration(page, app_url):
    config = {"preset": "custom", "X": [[[1.0, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]],
              "K": [[[1.0, 0], [0, -1]]], "padding": (1, 0), "stride": (2, 1),
              "dilation": (1, 2), "mode": "replicate"}
    params = urlstate.encode(config, presets.PADDING_FIELDS)
    query = "&".join(f"{k}={quote(v)}" for k, v in params.items())
    open_app(page, app_url, chart=False)
    open_app(page, f"{app_url}/padding_and_stride?{query}")
    typed = page.get_by_role("textbox", name="Input X").input_value()
    assert typed == "1 2 3 4\n5 6 7 8\n9 10 11 12"
    assert page.get_by_role("textbox", name="Kernel K").input_value() == "1 0\n0 -1"
    assert page.get_by_text("replicate").count() >= 1
    assert step_counter(page) == "Step 1 / 4"
    first = page.locator(".js-plotly-plot g.textpoint text").all_text_contents()
    assert any(re.match(r"Y\[0, 0\] = ", t) for t in first)
    assert "mode=replicate" in page.url


def test_step_buttons_move_one_frame_back_and_forth(page, app_url):
    open_app(page, app_url, chart=False)
    open_app(page, f"{app_url}/cross_correlation")
    page.wait_for_function("() => window.__cnnvizKeyboardStepping === true", timeout=10_000)
    assert step_counter(page) == "Step 1 / 4"
    forward = page.locator(".js-plotly-plot g.updatemenu-button", has_text="Step ▶")
    back = page.locator(".js-plotly-plot g.updatemenu-button", has_text="◀ Step")
    for expected in ("Step 2 / 4", "Step 3 / 4"):
        forward.click()
        page.wait_for_function(
            f"() => document.querySelector('.js-plotly-plot text.slider-label')"
            f"?.textContent === '{expected}'", timeout=10_000)
    back.click()
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot text.slider-label')"
        "?.textContent === 'Step 2 / 4'", timeout=10_000)
    text = page.locator(".js-plotly-plot").first.inner_text()
    assert "= 25" in text  # step 2 of the chapter: 1x0 + 2x1 + 4x2 + 5x3 = 25
