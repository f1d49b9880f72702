"""The kernel lab in headless Chromium: the original and the filtered result appear as images."""

import pytest

from cnnviz.lab import kernels
from cnnviz.viz import colors

pytestmark = pytest.mark.browser


def test_kernel_lab_shows_original_and_result(page, app_url):
    page.goto(f"{app_url}/kernel_lab")
    page.wait_for_selector("h1:has-text('Kernel lab')", timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    images = page.locator("[data-testid='stImage'] img")
    images.nth(1).wait_for(timeout=60_000)  # the original and the result (drawn one by one)
    assert images.count() == 2
    for i in range(2):
        images.nth(i).evaluate(
            "img => img.complete ? true : new Promise(ok => img.addEventListener('load', ok))")
        assert images.nth(i).evaluate("img => img.naturalWidth") == 256
    assert page.get_by_text(f"Result. {colors.SIGN_LEGEND} Full colour at ±").count() == 1
    assert page.locator("[data-testid='stException']").count() == 0
    # Moving the patch reruns the page: the result image is replayed from the cache (its
    # media file registered again for this session), the original is drawn with the new box.
    first = images.nth(1).get_attribute("src")
    page.get_by_text("Step by step on a patch of your image").click()  # built once opened
    top = page.get_by_label("Patch top row")
    top.fill("3")
    top.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stImage'] img\")]"
        ".filter(i => i.complete && i.naturalWidth === 256).length === 2", timeout=60_000)
    page.get_by_text("Rows 3-").first.wait_for(timeout=30_000)
    assert images.nth(1).get_attribute("src") == first
    assert images.nth(1).evaluate("img => img.naturalWidth") == 256
    assert page.locator("[data-testid='stException']").count() == 0
    # A second browser (another session, empty cache) gets the replayed images from the server.
    other = page.context.browser.new_page()
    try:
        other.goto(f"{app_url}/kernel_lab")
        other.wait_for_function(
            "() => [...document.querySelectorAll(\"[data-testid='stImage'] img\")]"
            ".filter(i => i.complete && i.naturalWidth === 256).length === 2", timeout=60_000)
    finally:
        other.close()


def test_painting_a_kernel_with_the_mouse(page, app_url):
    page.goto(f"{app_url}/kernel_lab")
    page.wait_for_selector("h1:has-text('Kernel lab')", timeout=60_000)
    page.get_by_text("Paint with the mouse").click()
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(timeout=60_000)
    canvas.scroll_into_view_if_needed()  # the settings are below the original and the result
    box = canvas.bounding_box()
    cell = kernels.paint_cell((3, 3))
    assert round(box["width"]) == 3 * cell >= 300  # big enough to paint on a projector
    # Hovering the canvas slides the component's toolbar up from over its top edge; wait until
    # the canvas itself gets the pointer where the stroke starts.
    page.mouse.move(box["x"] + cell, box["y"] + cell, steps=5)
    page.wait_for_function(
        "([canvas, x, y]) => { const r = canvas.getBoundingClientRect();"
        " return canvas.getRootNode().elementFromPoint(r.left + x, r.top + y) === canvas; }",
        arg=[canvas.element_handle(), 5, 5], timeout=10_000)
    # Scribble over the top-left cell with the red (+) brush, slowly enough for the canvas.
    # (the brush is half a cell wide: strokes stay a quarter cell inside the cell's edges)
    near, far = cell // 4, cell - cell // 4
    page.mouse.move(box["x"] + near, box["y"] + near, steps=5)
    page.mouse.down()
    for k in range(near, far, max(2, cell // 10)):
        page.mouse.move(box["x"] + k, box["y"] + far, steps=8)
        page.mouse.move(box["x"] + k + 2, box["y"] + near, steps=8)
    page.mouse.up()
    caption = page.get_by_text("This painting gives the kernel:")
    caption.wait_for(timeout=30_000)  # the component sent its image back to the server
    values = [float(v) for v in caption.inner_text().split(":")[1].replace(";", " ").split()]
    assert len(values) == 9
    assert values[0] > 0.5  # the top-left cell is mostly painted red
    assert values[4] == 0
    assert values[8] == 0
    result = page.locator("[data-testid='stImage'] img").nth(1)
    before = result.get_attribute("src")
    page.get_by_role("button", name="Use painting").click()
    # The page ran through with the painted kernel: a new result image, fully loaded.
    page.wait_for_function(
        "before => { const img = document.querySelectorAll(\"[data-testid='stImage'] img\")[1];"
        " return img && img.getAttribute('src') !== before && img.complete"
        " && img.naturalWidth === 256; }", arg=before, timeout=60_000)
    assert page.get_by_role("button", name="Normalize").count() == 1
    assert page.locator("[data-testid='stException']").count() == 0
