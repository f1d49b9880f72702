"""The HAProxy configuration that puts N Streamlit workers behind one port (lecture halls).

A browser's first response sets the ``cnnviz_worker`` cookie; every later request of that
browser (the page, its websocket, uploads, ``/media`` images) carries it and so reaches the
worker that holds its Streamlit session. New browsers go to the worker with the fewest
connections. A worker that fails its health check (``/_stcore/health``) or refuses a connection
is skipped and its browsers are sent to a live worker, where they start a fresh session.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

COOKIE = "cnnviz_worker"
# Served with status 503 when no worker takes a request within ``queue_s`` (all full or down).
FULL_PAGE_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>cnnviz: the server is full</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto">
<h1>The server is full, retry in a moment</h1>
<p>Every seat in this lecture hall is taken right now, or the server is restarting.
This page tries again by itself in 10 seconds.</p>
</body></html>
"""


@dataclass(frozen=True)
class ProxyLimits:
    """Connection limits and timeouts; each default carries its reason."""

    # Connections one worker gets at once; more wait in HAProxy's queue. A browser holds one
    # websocket plus a few short requests, and one 2-core worker served 150 sessions (README).
    worker_maxconn: int = 400
    # All connections of the proxy: 150 browsers with up to 6 connections each, with room.
    total_maxconn: int = 2000
    # How long a request may wait for a free worker before it gets the "full" page.
    queue_s: int = 15
    # A client must send a whole request head in this time (slow-loris guard).
    request_head_s: int = 10
    # Silence allowed mid-request or mid-response (a slow phone uploading a micrograph).
    idle_s: int = 60
    # Silence allowed on an open websocket; Streamlit's browsers ping far more often.
    websocket_idle_s: int = 3600
    connect_s: int = 5
    health_every_s: int = 2


def full_page_response(html: str = FULL_PAGE_HTML) -> str:
    """The raw HTTP 503 response HAProxy sends as its error file."""
    body = html.encode()
    return ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nRetry-After: 10\r\n"
            f"Connection: close\r\n\r\n{html}")


def bind_address(address: str | None, port: int) -> str:
    """HAProxy's ``bind`` argument: all IPv4 interfaces when ``address`` is None."""
    if address is None or address in ("", "0.0.0.0"):  # noqa: S104 - the server's purpose
        return f"*:{port}"
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def haproxy_config(worker_ports: Sequence[int], address: str | None, port: int,
                   full_page_path: str, limits: ProxyLimits = ProxyLimits()) -> str:
    """The text of haproxy.cfg for Streamlit workers on 127.0.0.1 at ``worker_ports``."""
    if not worker_ports:
        raise ValueError("HAProxy needs at least one worker")
    s = limits
    servers = "\n".join(
        f"    server w{i} 127.0.0.1:{p} cookie w{i} maxconn {s.worker_maxconn} check "
        f"inter {s.health_every_s}s fall 2 rise 1" for i, p in enumerate(worker_ports))
    return f"""# Written by cnnviz.serving.launcher; rewritten at every start.
global
    maxconn {s.total_maxconn}

defaults
    mode http
    option forwardfor
    option redispatch
    retries 2
    timeout connect {s.connect_s}s
    timeout http-request {s.request_head_s}s
    timeout client {s.idle_s}s
    timeout server {s.idle_s}s
    timeout tunnel {s.websocket_idle_s}s
    timeout client-fin 10s
    timeout queue {s.queue_s}s
    errorfile 503 {full_page_path}

frontend cnnviz
    bind {bind_address(address, port)}
    default_backend streamlit

backend streamlit
    balance leastconn
    cookie {COOKIE} insert indirect nocache httponly attr SameSite=Lax
    option httpchk GET /_stcore/health
    http-check expect string ok
{servers}
"""


def write_config(run_dir: str | Path, worker_ports: Sequence[int], address: str | None,
                 port: int, limits: ProxyLimits = ProxyLimits()) -> Path:
    """Write haproxy.cfg and its error page into ``run_dir``; returns the config's path."""
    run_dir = Path(run_dir)
    page = run_dir / "full.http"
    page.write_text(full_page_response(), newline="")
    path = run_dir / "haproxy.cfg"
    path.write_text(haproxy_config(worker_ports, address, port, str(page), limits))
    return path


def haproxy_binary() -> str | None:
    """Path of the haproxy executable (PATH, then Debian's /usr/sbin), or None."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


def check_config(path: str | Path) -> str:
    """Run ``haproxy -c``; returns its output, raises ValueError when the config is invalid."""
    done = subprocess.run([haproxy_binary() or "haproxy", "-c", "-f", str(path)],
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise ValueError(f"haproxy rejects {path}: {done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def haproxy_command(path: str | Path) -> list[str]:
    """HAProxy in the foreground (``-db``) on the config at ``path``."""
    return [haproxy_binary() or "haproxy", "-db", "-f", str(path)]
