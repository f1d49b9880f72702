"""A training process and the one socket to it: forked by the zygote, or a fresh interpreter."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection

from cnnviz import config


class WorkerDied(RuntimeError):
    """The training process ended without saying how (killed, out of memory, crashed)."""

    def __init__(self, exitcode: int | None):
        hint = " (killed; often the machine ran out of memory)" if exitcode == -9 else ""
        code = f", exit code {exitcode}" if exitcode is not None else ""
        super().__init__(f"The training process stopped unexpectedly{code}{hint}. The weights "
                         "of this run are lost; press Train to try again.")


class SocketTrainer:
    """A training process that one socket connects to this one; driven like a Process.

    The socket carries everything: the worker's pid, the payload, the stop/go switches (as
    messages, which the worker turns back into events) and the worker's messages. The process
    is either forked by cnnviz.serving.zygote (:meth:`from_zygote`, sharing the zygote's torch) or a
    fresh ``python -m cnnviz.jobs.worker`` (:meth:`fresh`). The latter, unlike
    multiprocessing's spawn, does not re-run the server's __main__ (Streamlit's page script).
    Never a fork of the server itself: CUDA cannot be used in a child forked after it started,
    and a fork of the threaded server could copy a lock that another thread holds.
    """

    def __init__(self, conn: Connection, popen: subprocess.Popen | None = None):
        self.conn, self._popen = conn, popen
        self._send_lock = threading.Lock()
        kind, self.pid = conn.recv()
        if kind != "pid":
            raise RuntimeError(f"unexpected first message from the trainer: {kind!r}")

    @classmethod
    def from_zygote(cls, address: str) -> SocketTrainer:
        """Ask the zygote at ``address`` to fork a trainer."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(address)
        except OSError:
            sock.close()
            raise
        return cls(Connection(sock.detach()))

    @classmethod
    def fresh(cls, *options: str) -> SocketTrainer:
        """Start ``python -m cnnviz.jobs.worker`` with one end of a socket pair."""
        here, there = socket.socketpair()
        try:
            popen = subprocess.Popen([sys.executable, "-m", "cnnviz.jobs.worker", "--fd",
                                      str(there.fileno()), *options],
                                     pass_fds=(there.fileno(),), cwd=config.ROOT)
        finally:
            there.close()
        return cls(Connection(here.detach()), popen)

    def start(self, payload: bytes, stop, go) -> None:
        """Send the payload and the current state of both switches."""
        self.conn.send_bytes(payload)
        self.signal("stop", stop.is_set())
        self.signal("go", go.is_set())

    @property
    def exitcode(self) -> int | None:
        """Exit code once ended, when this process started it (else None: unknown)."""
        return None if self._popen is None else self._popen.poll()

    def signal(self, name: str, on: bool) -> None:
        """Set or clear the worker's ``stop`` or ``go`` event (ignored once it is gone)."""
        with self._send_lock:
            try:
                self.conn.send((name, on))
            except OSError:
                pass

    def is_alive(self) -> bool:
        """Whether the trainer still runs.

        A zygote's child counts as ended once its end of the socket is closed: this is only
        asked while the trainer owes no message (paused, or after its last one), so anything
        readable then is the end of the stream.
        """
        if self._popen is not None:
            return self._popen.poll() is None
        try:
            return not self.conn.closed and not self.conn.poll(0)
        except (OSError, EOFError):
            return False

    def join(self, timeout: float | None = None) -> None:
        """Wait until the process is gone, at most ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_alive() and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.05)

    def terminate(self) -> None:
        """End the trainer now.

        Only the process that started a trainer signals it: a fresh one gets SIGTERM from here;
        a zygote's child loses its socket, stops and exits by itself (cnnviz.jobs.worker), and
        the zygote, its parent, reaps it. No process ever signals a PID it did not start.
        """
        if self._popen is not None:
            self._popen.terminate()
        else:
            self.conn.close()

    def kill(self) -> None:
        """SIGKILL for a trainer this process started; see :meth:`terminate` for the others."""
        if self._popen is not None:
            self._popen.kill()
        else:
            self.conn.close()
