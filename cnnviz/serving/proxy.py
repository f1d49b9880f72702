"""A small sticky reverse proxy that spreads browser sessions over several Streamlit processes.

One Python process runs Streamlit's scripts on one core at a time (the GIL), so a lecture-hall
server with two or more cores serves more sessions with several processes behind one port.
A Streamlit session lives in one process: its websocket, its uploads and the images it shows
(``/media/...``) must all reach that process. The proxy therefore gives every browser a worker
cookie on its first response and routes each later connection by that cookie; a connection
without one (a first visit, a non-browser client) goes to the worker with the fewest open
websockets. After the request head, bytes are piped through unchanged, so websockets, uploads,
keep-alive and streaming work as they do without the proxy.

Standard library only (asyncio; uvloop when installed); nothing here imports Streamlit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie

log = logging.getLogger("cnnviz.serving.proxy")

COOKIE = "cnnviz_worker"
MAX_HEAD_BYTES = 64 * 1024  # request and response heads; Streamlit's are well under 8 KB
HEAD_TIMEOUT_S = 60.0  # a client that opens a connection and sends no request within this
CHUNK = 256 * 1024
BAD_GATEWAY = (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n"
               b"Connection: close\r\nContent-Length: 52\r\n\r\n"
               b"cnnviz: this app worker is restarting, reload soon.\n")


@dataclass
class Worker:
    """One Streamlit process the proxy forwards to."""

    index: int
    host: str
    port: int
    websockets: int = 0  # open websocket connections (one per browser tab)
    connections: int = 0  # all open connections
    sessions: int = 0  # websockets routed here so far (breaks ties: sessions come and go)


@dataclass
class Request:
    """What the proxy reads from a request head."""

    method: str
    path: str
    websocket: bool
    worker_cookie: int | None
    headers: dict[str, str] = field(default_factory=dict)


def parse_request_head(head: bytes) -> Request:
    """Method, path, websocket upgrade and the worker cookie of an HTTP/1.1 request head.

    Raises ValueError when the head is not an HTTP request.
    """
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError(f"not an HTTP request line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"malformed header line: {line[:80]!r}")
        name = name.strip().lower()
        value = value.strip()
        headers[name] = f"{headers[name]}; {value}" if name == "cookie" and name in headers \
            else value
    return Request(parts[0], parts[1], headers.get("upgrade", "").lower() == "websocket",
                   worker_from_cookie(headers.get("cookie", "")), headers)


def worker_from_cookie(cookie_header: str) -> int | None:
    """The worker index stored in the Cookie header, or None when absent or unreadable."""
    if COOKIE not in cookie_header:
        return None
    cookies = SimpleCookie()
    try:
        cookies.load(cookie_header)
    except CookieError:
        return None
    morsel = cookies.get(COOKIE)
    if morsel is None or not morsel.value.isdigit():
        return None
    return int(morsel.value)


def add_set_cookie(head: bytes, worker: int) -> bytes:
    """A response head with the worker cookie added (session cookie, whole site, Lax)."""
    line = f"Set-Cookie: {COOKIE}={worker}; Path=/; HttpOnly; SameSite=Lax\r\n".encode()
    return head[:-2] + line + b"\r\n"


class StickyProxy:
    """Accepts connections on one address and forwards each to one of ``workers``."""

    def __init__(self, workers: list[Worker]):
        if not workers:
            raise ValueError("the proxy needs at least one worker")
        self.workers = workers

    def choose(self, request: Request) -> Worker:
        """The cookie's worker, else the one with the fewest open websockets.

        Ties go to the worker that got the fewest sessions so far, so that sessions which
        open and close one after another still alternate between workers.
        """
        if request.worker_cookie is not None and request.worker_cookie < len(self.workers):
            return self.workers[request.worker_cookie]
        return min(self.workers, key=lambda w: (w.websockets, w.sessions, w.connections,
                                                w.index))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection until either side closes it."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_S)
            request = parse_request_head(head)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                ValueError, ConnectionError):
            await _close(writer)
            return
        worker = self.choose(request)
        # Counted before the first await: sessions that connect together spread evenly.
        worker.connections += 1
        worker.websockets += request.websocket
        worker.sessions += request.websocket
        up_writer = None
        try:
            try:
                up_reader, up_writer = await asyncio.open_connection(
                    worker.host, worker.port, limit=MAX_HEAD_BYTES)
            except OSError:
                log.warning("worker %d on port %d refused a connection", worker.index,
                            worker.port)
                with contextlib.suppress(ConnectionError):
                    writer.write(BAD_GATEWAY)
                    await writer.drain()
                return
            up_writer.write(head)
            cookie_for = None if request.worker_cookie == worker.index else worker.index
            await _pipe_both(reader, writer, up_reader, up_writer, cookie_for)
        finally:
            worker.connections -= 1
            worker.websockets -= request.websocket
            if up_writer is not None:
                await _close(up_writer)
            await _close(writer)


async def _pipe_both(reader, writer, up_reader, up_writer, cookie_for: int | None) -> None:
    """Pipe both directions; when one side ends, end the other (no half-open connections)."""
    tasks = [asyncio.ensure_future(_pump(reader, up_writer)),
             asyncio.ensure_future(_pump_response(up_reader, writer, cookie_for))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _pump_response(reader, writer, cookie_for: int | None) -> None:
    """Worker to browser; the first response head gets the worker cookie when it lacked one."""
    if cookie_for is not None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return
        writer.write(add_set_cookie(head, cookie_for))
    await _pump(reader, writer)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until end of stream or a dropped connection."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            if writer.transport.get_write_buffer_size() > CHUNK:
                await writer.drain()
    except ConnectionError:
        pass


async def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()
        await writer.wait_closed()


async def serve(proxy: StickyProxy, host: str | None, port: int) -> asyncio.Server:
    """Start listening (host None: all interfaces); the caller keeps the loop running."""
    return await asyncio.start_server(proxy.handle, host, port, limit=MAX_HEAD_BYTES,
                                      reuse_address=True)
