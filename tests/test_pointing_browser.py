"""Pointing at an output cell shows its step in Chromium; the step is part of the address."""

import re

import pytest

pytestmark = pytest.mark.browser

COUNTER = ("() => document.querySelector('.js-plotly-plot text.slider-label')?.textContent")
# Screen position of output cell (row, col): the axes of the trace that carries frame indices.
CELL = """([row, col]) => {
  const gd = document.querySelector('.js-plotly-plot');
  const trace = gd._fullData.find(t => t.customdata && t.customdata.length);
  const xa = gd._fullLayout[trace.xaxis.replace('x', 'xaxis')];
  const ya = gd._fullLayout[trace.yaxis.replace('y', 'yaxis')];
  const box = gd.getBoundingClientRect();
  return [box.left + xa._offset + xa.l2p(col), box.top + ya._offset + ya.l2p(row)];
}"""


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".js-plotly-plot text.slider-label", timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_function("() => window.__cnnvizKeyboardStepping === true", timeout=10_000)


def wait_counter(page, text: str) -> None:
    page.wait_for_function(f"() => ({COUNTER})() === {text!r}", timeout=10_000)


def wait_text(page, text: str) -> None:
    page.wait_for_function(
        "t => Array.from(document.querySelectorAll('.js-plotly-plot g.textpoint text'))"
        ".some(e => e.textContent === t)", arg=text, timeout=10_000)


def test_click_and_hover_on_an_output_cell_show_its_step_and_the_link_keeps_it(page, app_url):
    page.goto(app_url)
    page.wait_for_selector("h1", timeout=30_000)
    open_page(page, f"{app_url}/cross_correlation")  # the chapter: 3x3 input, 2x2 kernel
    assert page.evaluate(COUNTER) == "Step 1 / 4"
    x, y = page.evaluate(CELL, [1, 1])
    page.mouse.click(x, y)
    wait_counter(page, "Step 4 / 4")
    wait_text(page, "Y[1, 1] = 4×0 + 5×1 + 7×2 + 8×3 = 43")  # its window's arithmetic
    page.wait_for_function("() => location.search.includes('step=4')", timeout=10_000)
    x, y = page.evaluate(CELL, [0, 1])
    page.mouse.move(x, y)
    wait_counter(page, "Step 2 / 4")
    page.wait_for_function("() => location.search.includes('step=2')", timeout=10_000)
    link = page.url
    assert re.search(r"[?&]preset=", link)  # the page's configuration stays in the link
    open_page(page, link)
    wait_counter(page, "Step 2 / 4")
    wait_text(page, "Y[0, 1] = 1×0 + 2×1 + 4×2 + 5×3 = 25")  # the step's window and arithmetic
