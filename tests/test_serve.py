"""cnnviz.serve and cnnviz.serving.proxy: parsing, sticky routing, balancing, the training limit."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from cnnviz.jobs.training import TrainingGate
from cnnviz.serving import launcher as serve
from cnnviz.serving import proxy


def test_request_head_is_parsed():
    head = (b"GET /_stcore/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            b"Cookie: a=1; cnnviz_worker=1\r\nCookie: b=2\r\n\r\n")
    request = proxy.parse_request_head(head)
    assert (request.method, request.path, request.websocket) == ("GET", "/_stcore/stream", True)
    assert request.worker_cookie == 1
    assert request.headers["cookie"] == "a=1; cnnviz_worker=1; b=2"


@pytest.mark.parametrize("head", [b"hello\r\n\r\n", b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
                                  b"GET /\r\n\r\n"])
def test_malformed_heads_are_refused(head):
    with pytest.raises(ValueError, match="not an HTTP request line|malformed header"):
        proxy.parse_request_head(head)


@pytest.mark.parametrize(("header", "expected"), [
    ("", None), ("cnnviz_worker=0", 0), ("x=1; cnnviz_worker=12", 12),
    ("cnnviz_worker=-1", None), ("cnnviz_worker=abc", None), ("cnnviz_worker=\"1", None)])
def test_worker_cookie(header, expected):
    assert proxy.worker_from_cookie(header) == expected


def test_set_cookie_goes_into_the_response_head():
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    out = proxy.add_set_cookie(head, 3)
    assert out.startswith(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSet-Cookie: cnnviz_worker=3;")
    assert out.endswith(b"SameSite=Lax\r\n\r\n")


async def _backend(index: int):
    """A stand-in worker: plain requests get its index; websocket upgrades stay open and echo."""
    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if b"Upgrade: websocket" in head:
                    writer.write(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
                    while data := await reader.read(1024):
                        writer.write(data)
                    return
                body = str(index).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _get(port: int, cookie: str | None = None, upgrade: bool = False):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "GET / HTTP/1.1\r\nHost: t\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    if upgrade:
        head += "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    writer.write((head + "\r\n").encode())
    response = await reader.readuntil(b"\r\n\r\n")
    if upgrade:
        return response, reader, writer
    body = await reader.readexactly(int(response.split(b"Content-Length: ")[1].split(b"\r\n")[0]))
    writer.close()
    return response, body


def _run(coro) -> None:
    """asyncio.run in a thread of its own: Playwright's sync API may hold a loop in this one."""
    errors = []

    def body():
        try:
            asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the asyncio test did not finish in 60 s"
    if errors:
        raise errors[0]


async def _with_proxy(test, backends: int = 2):
    servers, workers = [], []
    for i in range(backends):
        server, port = await _backend(i)
        servers.append(server)
        workers.append(proxy.Worker(i, "127.0.0.1", port))
    sticky = proxy.StickyProxy(workers)
    front = await proxy.serve(sticky, "127.0.0.1", 0)
    try:
        await test(front.sockets[0].getsockname()[1], sticky, servers)
    finally:
        front.close()
        for server in servers:
            server.close()


def test_first_visit_gets_a_cookie_and_later_visits_follow_it():
    async def test(port, sticky, servers):
        head, body = await _get(port)
        assert b"Set-Cookie: cnnviz_worker=" + body in head
        for _ in range(3):
            head, again = await _get(port, cookie=f"cnnviz_worker={body.decode()}")
            assert again == body
            assert b"Set-Cookie" not in head
        head, body = await _get(port, cookie="cnnviz_worker=1")
        assert body == b"1"
        head, body = await _get(port, cookie="cnnviz_worker=7")  # from a larger pool: reassigned
        assert b"Set-Cookie: cnnviz_worker=" + body in head

    _run(_with_proxy(test))


def test_websockets_are_spread_evenly_and_piped_both_ways():
    async def test(port, sticky, servers):
        sockets = [await _get(port, upgrade=True) for _ in range(6)]
        assert [w.websockets for w in sticky.workers] == [3, 3]
        _, reader, writer = sockets[0]
        writer.write(b"ping" * 10000)
        assert await reader.readexactly(40000) == b"ping" * 10000
        for _, _, w in sockets:
            w.close()
        for _ in range(50):
            if sum(w.connections for w in sticky.workers) == 0:
                break
            await asyncio.sleep(0.02)
        assert [(w.websockets, w.connections) for w in sticky.workers] == [(0, 0), (0, 0)]
        for _ in range(4):  # one after another: they still alternate
            _, _, w = await _get(port, upgrade=True)
            w.close()
        assert [w.sessions for w in sticky.workers] == [5, 5]

    _run(_with_proxy(test))


def test_a_worker_that_is_down_gives_a_readable_502():
    async def test(port, sticky, servers):
        servers[1].close()
        await servers[1].wait_closed()
        head, body = await _get(port, cookie="cnnviz_worker=1")
        assert head.startswith(b"HTTP/1.1 502")
        assert b"restarting" in body
        assert sticky.workers[1].connections == 0

    _run(_with_proxy(test))


def test_garbage_on_the_socket_is_dropped():
    async def test(port, sticky, servers):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x16\x03\x01 not http\r\n\r\n")
        assert await reader.read() == b""  # closed without forwarding

    _run(_with_proxy(test))


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
    import subprocess
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


def test_training_limit_holds_across_processes(tmp_path):
    # Two gates over one slot folder stand for two server processes (flock locks are per open
    # file, so they exclude each other within one process too).
    first, second = TrainingGate(1, str(tmp_path)), TrainingGate(1, str(tmp_path))
    never = threading.Event()
    a, b = object(), object()
    assert first.acquire(a, never)
    got = []
    waiter = threading.Thread(target=lambda: got.append(second.acquire(b, never)))
    waiter.start()
    waiter.join(0.6)
    assert waiter.is_alive()  # waits for the other process's slot
    assert second.position(b) == 1
    first.release(a)
    waiter.join(5)
    assert got == [True]
    second.release(b)
    cancelled = threading.Event()
    cancelled.set()
    assert first.acquire(a, never)
    assert not second.acquire(b, cancelled)  # giving up while waiting
    first.release(a)


def test_a_port_in_use_is_a_message_not_a_traceback(tmp_path):
    import socket
    import subprocess
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
