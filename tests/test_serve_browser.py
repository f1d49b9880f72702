"""The app behind cnnviz.serve's proxy with two Streamlit workers, in headless Chromium.

A session's websocket, its uploads and its images (``/media/...``) must reach the same worker;
the browser here does all three through the proxy.
"""

from __future__ import annotations

import urllib.request

import numpy as np
import pytest
from PIL import Image

from tests.conftest import start_server, stop_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pool_url(tmp_path_factory, tiny_data_dir):
    proc, url = start_server(tmp_path_factory.mktemp("pool"),
                             {"CNNVIZ_DATA_DIR": str(tiny_data_dir)}, workers=2)
    yield url
    stop_server(proc)


def _loaded_widths(page, count: int) -> list[int]:
    images = page.locator("[data-testid='stImage'] img")
    images.nth(count - 1).wait_for(timeout=60_000)
    widths = []
    for i in range(images.count()):
        images.nth(i).evaluate(
            "img => img.complete ? true : new Promise(ok => img.addEventListener('load', ok))")
        widths.append(images.nth(i).evaluate("img => img.naturalWidth"))
    return widths


def test_first_response_sets_the_worker_cookie(pool_url):
    with urllib.request.urlopen(f"{pool_url}/cross_correlation", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Set-Cookie"].startswith("cnnviz_worker=")
        assert b"<html" in response.read().lower()


def test_upload_and_images_reach_the_sessions_worker(page, pool_url, tmp_path):
    rng = np.random.default_rng(0)
    png = tmp_path / "micrograph.png"
    Image.fromarray(rng.integers(0, 255, (120, 200), dtype=np.uint8)).save(png)
    page.goto(f"{pool_url}/kernel_lab")
    page.wait_for_selector("h1:has-text('Kernel lab')", timeout=60_000)
    assert _loaded_widths(page, 2) == [256, 256]  # the built-in sample, original and result
    page.get_by_text("My upload").click()
    page.locator("input[type=file]").set_input_files(str(png))
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stImage'] img\")]"
        ".filter(i => i.complete && i.naturalWidth === 200).length === 2", timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("cnnviz_worker") in {"0", "1"}
