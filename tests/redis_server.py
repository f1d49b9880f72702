"""A redis-server of our own (Debian's package) on a free port, for tests and the load test."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from cnnviz.serving.launcher import free_port


class NoRedis(RuntimeError):
    """redis-server is not installed, or did not start."""


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Run redis-server on 127.0.0.1, without persistence, in ``folder``; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise NoRedis("redis-server is not installed (Debian's package redis-server)")
    import redis

    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        client = redis.Redis(port=port, socket_timeout=1.0)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise NoRedis(f"redis-server did not start on port {port}") from None
                time.sleep(0.02)  # polling a condition: the server accepts connections
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
