"""Shared fixtures: a live Streamlit server on a free port and headless Debian Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnviz.serving.launcher import free_port, streamlit_command, wait_healthy
from tests.tiny_idx import write_tiny_datasets

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def start_server(tmp_dir: Path, extra_env: dict[str, str] | None = None, script: str = "app.py",
                 workers: int = 1):
    """Start the app on 127.0.0.1 and a free port; returns (process, base_url).

    One worker: `streamlit run <script>`. More: `python -m cnnviz.serve`, Streamlit processes
    behind HAProxy (the returned process is the launcher; stopping it stops them).
    """
    port = free_port()
    env = {**os.environ, "CNNVIZ_DEVICE": "cpu", **(extra_env or {})}
    log = open(tmp_dir / f"streamlit-{port}.log", "w")  # noqa: SIM115 - closed with the process
    command = (streamlit_command(port, "127.0.0.1", script) if workers == 1
               else [sys.executable, "-m", "cnnviz.serve", "--workers", str(workers), "--port",
                     str(port), "--address", "127.0.0.1", "--script", script])
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(port, proc, timeout_s=60)
    except Exception:
        proc.kill()
        raise
    return proc, url


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server from start_server: terminate, and kill if it does not exit in 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, tiny_data_dir):
    """Base URL of a running app (shared by the browser tests of one session)."""
    proc, url = start_server(tmp_path_factory.mktemp("server"),
                             {"CNNVIZ_DATA_DIR": str(tiny_data_dir)})
    yield url
    stop_server(proc)


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory) -> Path:
    """An empty data directory for the app; data-set fixtures write tiny IDX files into it."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def tiny_idx_data(tiny_data_dir) -> Path:
    """tiny_data_dir filled with tiny Fashion-MNIST and MNIST IDX files (what the app reads)."""
    return write_tiny_datasets(tiny_data_dir)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's chromium (playwright cannot download browsers here)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A laptop-sized window."""
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}


@pytest.fixture(scope="session")
def zygote_socket(tmp_path_factory):
    """A cnnviz.serving.zygote without Streamlit workers, which forks trainers on request."""
    path = tmp_path_factory.mktemp("zygote") / "zygote.sock"
    proc = subprocess.Popen([sys.executable, "-m", "cnnviz.serving.zygote", "--socket", str(path)])
    try:
        deadline = time.monotonic() + 60
        while not path.exists():
            assert proc.poll() is None, "the zygote exited"
            assert time.monotonic() < deadline, "the zygote did not listen within 60 s"
            time.sleep(0.05)
        yield str(path)
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture(params=["spawn", "zygote"])
def start_method(request, monkeypatch):
    """Each worker test runs with a spawned worker and with one forked by cnnviz.serving.zygote."""
    if request.param == "zygote":
        monkeypatch.setenv("CNNVIZ_ZYGOTE_SOCKET", request.getfixturevalue("zygote_socket"))
    else:
        monkeypatch.delenv("CNNVIZ_ZYGOTE_SOCKET", raising=False)
    return request.param
