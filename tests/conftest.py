"""Shared fixtures (a live Streamlit server, headless Debian Chromium) and the test lanes.

Lanes: every test that drives a browser is marked ``browser``; every test that takes more than
a few seconds (a browser, a server, a subprocess, AppTest page runs) is marked ``slow``.
``make test-fast`` runs ``-m "not slow and not browser"``. The marks are given here by what a
test uses (see ``pytest_collection_modifyitems``): its fixtures, and the names its code and the
test helpers it calls use; a test the rule cannot see (one whose processes the app's code starts,
or that is slow in itself) carries ``@pytest.mark.slow``. Unit tests get a tight timeout, so one
that hangs or grows slow fails in the fast lane instead of stalling it.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from cnnviz import device
from cnnviz.serving.launcher import free_port, streamlit_command, wait_healthy
from tests.tiny_idx import write_tiny_datasets

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BROWSER_FIXTURES = frozenset({"page", "context", "browser"})  # pytest-playwright's
PROCESS_FIXTURES = frozenset({"app_url", "zygote_socket", "start_method"})  # start processes
SLOW_NAMES = frozenset({"AppTest", "subprocess", "Popen", "multiprocessing"})  # pages, processes
TESTS = Path(__file__).resolve().parent
UNIT_TIMEOUT_S = 30  # unit tests take well under a second; the global timeout is in pyproject
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def reaches(item: pytest.Item, names: frozenset[str]) -> bool:
    """Whether the test's code, or a helper from tests/ that it calls, uses one of ``names``."""
    function = getattr(item, "function", None)
    if function is None:
        return False
    todo, seen = [(function.__code__, function.__globals__)], set()
    while todo:
        code, scope = todo.pop()
        if code in seen:
            continue
        seen.add(code)
        if names & set(code.co_names):  # a global, an attribute or a local import
            return True
        todo += [(c, scope) for c in code.co_consts if isinstance(c, types.CodeType)]
        todo += [(helper.__code__, helper.__globals__) for name in code.co_names
                 if inspect.isfunction(helper := scope.get(name))
                 and Path(helper.__code__.co_filename).is_relative_to(TESTS)]
    return False


def drives_a_browser(item: pytest.Item) -> bool:
    """Whether the test uses a Playwright fixture (a parameter that is merely named ``page``,
    a page script's path, does not count)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any(name in BROWSER_FIXTURES and name not in params
               for name in getattr(item, "fixturenames", ()))


def pytest_configure(config: pytest.Config) -> None:
    """Torch on one thread, as the app runs it (CNNVIZ_TORCH_THREADS defaults to 1).

    Torch's default, a thread per core, made the unit tests 2-5x slower on a busy 2-core machine
    (test_ops.py: 4.7 s on one thread, 20.7 s on two, same load).
    """
    device.configure_threads(1)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark browser and slow tests by the fixtures and modules they use; time-box unit tests."""
    for item in items:
        if drives_a_browser(item):
            item.add_marker(pytest.mark.browser)
        starts_processes = PROCESS_FIXTURES & set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("browser") or starts_processes or reaches(item, SLOW_NAMES):
            item.add_marker(pytest.mark.slow)
        if not item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(UNIT_TIMEOUT_S))


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
