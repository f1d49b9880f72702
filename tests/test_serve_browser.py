"""The app behind HAProxy with two Streamlit workers (cnnviz.serve), in headless Chromium.

A session's websocket, its uploads and its images (``/media/...``) must reach the same worker;
the browser here does all three through HAProxy.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from pathlib import Path

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
    assert cookies.get("cnnviz_worker") in {"w0", "w1"}


def test_a_worker_that_dies_is_started_again(pool_url):
    launcher = next(p for p in _children_of_pytest() if "cnnviz.serve" in _cmdline(p)
                    and pool_url.rsplit(":", 1)[1] in _cmdline(p))
    (zygote,) = [p for p in _children(launcher) if "zygote" in _cmdline(p)]  # it forks workers
    workers = _children(zygote)
    assert len(workers) == 2
    os.kill(workers[1], signal.SIGKILL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        fresh = [p for p in _children(zygote) if p not in workers]
        if fresh and all(_answers(pool_url, cookie=f"cnnviz_worker=w{i}") for i in (0, 1)):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the killed worker was not replaced within 120 s")
    assert workers[0] in _children(zygote)  # the other one kept running


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").glob("*/children")
            for c in task.read_text().split()]


def _children_of_pytest() -> list[int]:
    return _children(os.getpid())


def _answers(url: str, cookie: str) -> bool:
    request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False
