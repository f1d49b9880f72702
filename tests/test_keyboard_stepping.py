"""Arrow keys and PageUp/PageDown step a plotly frame animation in Chromium; the slider follows."""


import pytest
from conftest import start_server, stop_server

pytestmark = pytest.mark.browser

# Optional chaining: while Streamlit re-renders, the plot can be briefly absent; a wait
# predicate must then answer "not yet" instead of throwing (which ends the wait).
ACTIVE = "() => document.querySelector('.js-plotly-plot')?._fullLayout?.sliders?.[0]?.active"
SHOWN = ("() => Array.from(document.querySelector('.js-plotly-plot').data[0].y)"
         ".indexOf(1)")


@pytest.fixture(scope="module")
def animation_url(tmp_path_factory):
    proc, url = start_server(tmp_path_factory.mktemp("animation"),
                             script="tests/apps/animated_figure.py")
    yield url
    stop_server(proc)


def press(page, key, expected):
    page.keyboard.press(key)
    page.wait_for_function(f"() => ({ACTIVE})() === {expected}", timeout=10_000)
    assert page.evaluate(SHOWN) == expected  # the figure shows the frame the slider names


def test_clicker_keys_step_the_animation(page, animation_url):
    page.goto(animation_url)
    page.wait_for_selector(".js-plotly-plot .slider-container", timeout=30_000)
    page.wait_for_function("() => window.__cnnvizKeyboardStepping === true", timeout=10_000)
    page.locator("h1").click()
    assert page.evaluate(ACTIVE) == 0
    press(page, "ArrowRight", 1)
    press(page, "PageDown", 2)
    press(page, "ArrowDown", 3)
    press(page, "PageUp", 2)
    press(page, "ArrowLeft", 1)
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    press(page, "ArrowUp", 0)  # stops at the first frame
    for _ in range(6):
        page.keyboard.press("PageDown")
    press(page, "PageDown", 4)  # and at the last


def test_keys_typed_into_a_widget_do_not_step(page, animation_url):
    page.goto(animation_url)
    page.wait_for_selector(".js-plotly-plot .slider-container", timeout=30_000)
    page.wait_for_function("() => window.__cnnvizKeyboardStepping === true", timeout=10_000)
    page.locator("input[type='number']").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("PageDown")
    # Keys are handled in order: once a key pressed outside the widget has stepped to frame 1,
    # the two typed into the widget would already have moved the slider had they stepped it.
    page.locator("h1").click()
    press(page, "ArrowRight", 1)


def test_keys_step_after_toggling_projector_mode(page, animation_url):
    page.goto(animation_url)
    page.wait_for_selector(".js-plotly-plot .slider-container", timeout=30_000)
    page.wait_for_function("() => window.__cnnvizKeyboardStepping === true", timeout=10_000)
    page.get_by_text("Projector mode").click()  # focus stays on the toggle's checkbox
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')"
                           "?._fullLayout?.font?.size === 22", timeout=30_000)
    press(page, "PageDown", 1)
