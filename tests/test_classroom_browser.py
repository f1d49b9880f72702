"""Class mode in two Chromium contexts: the student's animation step follows the lecturer's,
and the student's answer appears in the lecturer's histogram."""

from __future__ import annotations

import re
import time

import pytest

from tests.conftest import start_server, stop_server
from tests.test_pointing_browser import CELL

pytestmark = pytest.mark.browser
FOLLOW_S = 2.0  # the promise: a follower shows the lecturer's change within 2 s


@pytest.fixture
def class_server(tmp_path, tiny_data_dir):
    """A server of its own, with its class store in this test's folder."""
    proc, url = start_server(tmp_path, {"CNNVIZ_DATA_DIR": str(tiny_data_dir),
                                        "CNNVIZ_CLASS_DIR": str(tmp_path / "classes")})
    yield url
    stop_server(proc)


def settled(page) -> None:
    """Wait until the session's script run has finished."""
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def step_label(page) -> str:
    return page.locator(".js-plotly-plot text.slider-label").first.text_content() or ""


def wait_for_step(page, label: str, timeout_ms: int = 15_000, at_least: bool = False) -> None:
    """Wait until the figure's counter reads ``label`` ("Step k / n"), or a later k."""
    page.wait_for_function(
        "([label, atLeast]) => {"
        " const shown = document.querySelector('.js-plotly-plot text.slider-label')?.textContent;"
        " const k = (text) => parseInt((text || '').split(' ')[1], 10);"
        " return atLeast ? k(shown) >= k(label) : shown === label; }",
        arg=[label, at_least], timeout=timeout_ms)


def follows(lecturer, student, label: str, playing: bool = False) -> None:
    """The lecturer's figure shows ``label``; the student's shows it within FOLLOW_S.

    ``playing``: the animation plays on, so a later step counts as well (a follower polls once
    a second and may show the next step by the time the test looks).
    """
    wait_for_step(lecturer, label, at_least=playing)
    moved = time.monotonic()
    wait_for_step(student, label, at_least=playing)
    lag = time.monotonic() - moved
    assert lag < FOLLOW_S, f"the student's {label} followed after {lag:.1f} s"


def test_student_follows_the_lecturers_step_and_answers(browser, class_server):
    lecturer = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    student = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    lecturer.goto(class_server)
    settled(lecturer)
    lecturer.get_by_text("Class", exact=True).click()
    lecturer.get_by_role("button", name="Start a class").click()
    lecturer.get_by_text("Scan to join the class").wait_for(timeout=30_000)
    code = re.search(r"Class code ([A-Z0-9]{6})",
                     lecturer.locator("[data-testid='stSidebar']").inner_text()).group(1)
    lecturer.get_by_test_id("stSidebarNavItems").get_by_role(
        "link", name="Cross-correlation").click()  # within the app: the same session
    lecturer.wait_for_selector(".js-plotly-plot text.slider-label", timeout=30_000)
    settled(lecturer)

    student.goto(f"{class_server}/?class={code}")
    student.wait_for_selector(".js-plotly-plot text.slider-label", timeout=30_000)
    assert "/cross_correlation" in student.url  # the student's page followed the lecturer's

    lecturer.get_by_role("button", name="Step ▶ for all").click()
    settled(lecturer)
    follows(lecturer, student, "Step 2 / 4")  # the lecturer's own figure moved too
    # The lecturer's figure itself: its Step ▶ button, pointing at a cell, Play.
    lecturer.locator(".js-plotly-plot .updatemenu-button", has_text="Step ▶").click()
    follows(lecturer, student, "Step 3 / 4")
    x, y = lecturer.evaluate(CELL, [0, 0])
    lecturer.mouse.click(x, y)
    follows(lecturer, student, "Step 1 / 4")
    lecturer.locator(".js-plotly-plot .updatemenu-button", has_text="▶ Play").click()
    for label in ("Step 2 / 4", "Step 3 / 4", "Step 4 / 4"):  # 0.5 s a frame
        follows(lecturer, student, label, playing=True)

    lecturer.get_by_text("Ask the class").click()
    lecturer.get_by_role("button", name="Ask", exact=True).click()
    student.get_by_role("button", name="Answer").wait_for(timeout=15_000)
    student.get_by_test_id("stRadio").get_by_text("B", exact=True).click()
    student.get_by_role("button", name="Answer").click()
    student.get_by_text("Your answer: B").wait_for(timeout=15_000)
    lecturer.locator(".js-plotly-plot").get_by_text("1 answers").wait_for(timeout=15_000)
    assert lecturer.locator("[data-testid='stException']").count() == 0
    assert student.locator("[data-testid='stException']").count() == 0
