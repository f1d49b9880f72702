"""cnnviz.serve and its HAProxy configuration: routing, stickiness, limits, the command line."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cnnviz.serving import haproxy
from cnnviz.serving import launcher as serve

needs_haproxy = pytest.mark.skipif(haproxy.haproxy_binary() is None,
                                   reason="haproxy is not installed (make test installs it)")


@pytest.mark.parametrize(("address", "bind"), [(None, "*:8600"), ("0.0.0.0", "*:8600"),
                                               ("127.0.0.1", "127.0.0.1:8600"),
                                               ("::1", "[::1]:8600")])
def test_bind_address(address, bind):
    assert haproxy.bind_address(address, 8600) == bind


def test_config_names_every_worker_with_its_cookie_and_limit():
    limits = haproxy.ProxyLimits(worker_maxconn=7, queue_s=3)
    text = haproxy.haproxy_config([9001, 9002, 9003], "127.0.0.1", 8600, "/x/full.http", limits)
    for i, port in enumerate([9001, 9002, 9003]):
        assert f"server w{i} 127.0.0.1:{port} cookie w{i} maxconn 7 check" in text
    for line in ("balance leastconn", "cookie cnnviz_worker insert indirect nocache",
                 "option httpchk GET /_stcore/health", "option forwardfor", "timeout tunnel",
                 "timeout queue 3s", "errorfile 503 /x/full.http", "bind 127.0.0.1:8600"):
        assert line in text
    with pytest.raises(ValueError, match="at least one worker"):
        haproxy.haproxy_config([], None, 8600, "/x")


def test_full_page_is_a_complete_http_response():
    raw = haproxy.full_page_response().encode()
    head, body = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 503 ")
    assert f"Content-Length: {len(body)}".encode() in head
    assert b"The server is full, retry in a moment" in body


@needs_haproxy
@pytest.mark.parametrize(("workers", "address"), [(1, None), (2, "127.0.0.1"), (16, "::1")])
def test_haproxy_accepts_the_config(tmp_path, workers, address):
    path = haproxy.write_config(tmp_path, [9000 + i for i in range(workers)], address, 8600)
    assert "valid" in haproxy.check_config(path)


@needs_haproxy
def test_haproxy_rejects_a_broken_config(tmp_path):
    path = tmp_path / "bad.cfg"
    path.write_text("backend x\n    balance sideways\n")
    with pytest.raises(ValueError, match="haproxy rejects"):
        haproxy.check_config(path)


class QuietServer(ThreadingHTTPServer):
    """HAProxy's health checks reset their connections: no traceback for that."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


class Backend:
    """A stand-in Streamlit worker: answers its index, 'ok' on health, holds /hold open."""

    def __init__(self, index: int):
        self.index, self.release, self.seen = index, threading.Event(), []
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - the standard library's name
                if self.path == "/_stcore/health":
                    body = b"ok"
                else:
                    backend.seen.append({k.lower(): v for k, v in self.headers.items()})
                    if self.path == "/hold":
                        backend.release.wait(30)
                    body = str(backend.index).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop listening (the worker has died)."""
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def front(tmp_path):
    """HAProxy on a free port in front of two stand-in workers; yields (port, backends)."""
    backends = [Backend(0), Backend(1)]
    port = serve.free_port()
    limits = haproxy.ProxyLimits(worker_maxconn=1, queue_s=1, health_every_s=1)
    config = haproxy.write_config(tmp_path, [b.port for b in backends], "127.0.0.1", port, limits)
    proc = subprocess.Popen(haproxy.haproxy_command(config), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        serve.wait_healthy(port, proc, timeout_s=20)
        yield port, backends
    finally:
        proc.terminate()
        proc.wait(10)
        for backend in backends:
            backend.close()


def _get(port: int, path: str = "/", cookie: str | None = None):
    """(status, body, Set-Cookie value or None) of one GET through the proxy."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    result = response.status, response.read().decode(), response.getheader("Set-Cookie")
    connection.close()
    return result


def _cookie(set_cookie: str) -> str:
    return set_cookie.split(";")[0]


@needs_haproxy
def test_the_cookie_pins_a_browser_to_its_worker(front):
    port, backends = front
    status, body, set_cookie = _get(port)
    assert status == 200
    assert set_cookie.startswith(f"cnnviz_worker=w{body};")
    assert "HttpOnly" in set_cookie
    for _ in range(4):
        assert _get(port, cookie=_cookie(set_cookie))[1:] == (body, None)
    assert _get(port, cookie="cnnviz_worker=w1")[1] == "1"
    seen = backends[int(body)].seen[0]
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert "cnnviz_worker" not in seen.get("cookie", "")  # the workers never see it


@needs_haproxy
def test_new_browsers_go_to_the_least_busy_worker(front):
    port, backends = front
    held = threading.Thread(target=_get, args=(port, "/hold", "cnnviz_worker=w0"))
    held.start()
    try:
        while not backends[0].seen:
            held.join(0.05)
        assert {_get(port)[1] for _ in range(3)} == {"1"}
    finally:
        backends[0].release.set()
        held.join(20)


@needs_haproxy
def test_a_dead_workers_browsers_go_to_a_live_one(front):
    port, backends = front
    backends[1].close()
    status, body, set_cookie = _get(port, cookie="cnnviz_worker=w1")
    assert (status, body) == (200, "0")
    assert set_cookie.startswith("cnnviz_worker=w0;")


@needs_haproxy
def test_garbage_gets_a_400_and_never_reaches_a_worker(front):
    port, backends = front
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"\x16\x03\x01 not http\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400")
    assert backends[0].seen == backends[1].seen == []
    assert _get(port)[0] == 200  # and the proxy still serves


@needs_haproxy
def test_a_full_server_says_so(front):
    port, backends = front
    holds = [threading.Thread(target=_get, args=(port, "/hold", f"cnnviz_worker=w{i}"))
             for i in (0, 1)]
    for hold in holds:
        hold.start()
    try:
        while not (backends[0].seen and backends[1].seen):
            holds[0].join(0.05)
        status, body, _ = _get(port)  # both workers at maxconn 1: queued, then refused
        assert status == 503
        assert "The server is full, retry in a moment" in body
    finally:
        for backend in backends:
            backend.release.set()
        for hold in holds:
            hold.join(20)


def test_command_line(monkeypatch):
    monkeypatch.delenv("CNNVIZ_WORKERS", raising=False)
    args = serve.parse_args(["--port", "9000"])
    assert (args.workers, args.port, args.address) == (1, 9000, None)
    monkeypatch.setenv("CNNVIZ_WORKERS", "2")
    assert serve.parse_args([]).workers == 2
    assert serve.parse_args(["--workers", "3"]).workers == 3
    for bad in ("0", "17", "two"):
        with pytest.raises(SystemExit):
            serve.parse_args(["--workers", bad])
    monkeypatch.setenv("CNNVIZ_PORT", "8700")
    monkeypatch.setenv("CNNVIZ_ADDRESS", "127.0.0.1")
    assert (serve.parse_args([]).port, serve.parse_args([]).address) == (8700, "127.0.0.1")
    assert serve.parse_args(["--port", "8800"]).port == 8800


def test_a_bad_setting_stops_the_launcher_with_one_line():
    import sys

    env = {**os.environ, "CNNVIZ_WORKERS": "two"}
    done = subprocess.run([sys.executable, "-m", "cnnviz.serve", "--port", str(serve.free_port()),
                           "--address", "127.0.0.1"], capture_output=True, text=True, timeout=60,
                          cwd=serve.ROOT, env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == ("cnnviz: CNNVIZ_WORKERS='two' is not allowed: use a whole "
                                   "number from 1 to 16 (README: Settings)")
    command = serve.streamlit_command(8600, "127.0.0.1")
    assert command[1:5] == ["-m", "streamlit", "run", "app.py"]
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert "--server.address" not in serve.streamlit_command(8600, None)


@needs_haproxy
def test_a_port_in_use_is_a_message_not_a_traceback(tmp_path):
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "cnnviz.serve", "--workers", "2", "--port",
                               str(port), "--address", "127.0.0.1", "--script",
                               "tests/apps/cached_charts.py"],
                              capture_output=True, text=True, timeout=180,
                              cwd=serve.ROOT)
    assert done.returncode == 1
    assert f"cnnviz: cannot serve on port {port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_share_panel_gives_the_hint(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("CNNVIZ_WORKERS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    at = AppTest.from_file(str(serve.ROOT / "tests" / "apps" / "animated_figure.py"),
                           default_timeout=30).run()
    at.sidebar.toggle[0].set_value(True).run()
    assert any("CNNVIZ_WORKERS=4" in c.value for c in at.sidebar.caption)
    monkeypatch.setenv("CNNVIZ_WORKERS", "2")
    at.run()
    assert not any("CNNVIZ_WORKERS" in c.value for c in at.sidebar.caption)
