"""Serve the app: one Streamlit process, or several behind the sticky proxy (lecture halls).

    python -m cnnviz.serve [--workers N] [--port 8501] [--address ADDRESS]

The options default to $CNNVIZ_WORKERS (else 1), $CNNVIZ_PORT and $CNNVIZ_ADDRESS (cnnviz.config).
With 1 worker this simply runs ``streamlit run app.py``. With more, :mod:`cnnviz.serving.zygote`
forks N Streamlit processes on free loopback ports; once each answers its health check, this
process listens on the public port with :mod:`cnnviz.serving.proxy`. A worker that exits is
started again. One Streamlit process uses one core for its scripts, so a server with C cores
serves the most sessions with about C workers.

Nothing here imports Streamlit or torch: the workers are other processes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from cnnviz import config
from cnnviz.config import ROOT
from cnnviz.serving.proxy import StickyProxy, Worker, serve
from cnnviz.serving.zygote import die_with_parent

log = logging.getLogger("cnnviz.serve")
WORKERS = config.BY_NAME["CNNVIZ_WORKERS"]
# The zygote with Streamlit workers: its main(argv) is in pages/ (Streamlit stays out of cnnviz/).
WORKER_ZYGOTE = "import sys, ui.zygote_worker as z; sys.exit(z.main(sys.argv[1:]))"
HEALTH_TIMEOUT_S = 120.0


def streamlit_command(port: int, address: str | None, script: str = "app.py") -> list[str]:
    """The command line of one Streamlit process (``address`` None: Streamlit's default)."""
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
               "--server.headless", "true"]
    return command + (["--server.address", address] if address else [])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, timeout_s: float = HEALTH_TIMEOUT_S) -> None:
    """Poll a server's /_stcore/health until it answers 'ok'; RuntimeError if it dies or stalls."""
    deadline = time.monotonic() + timeout_s
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not become healthy in {timeout_s:.0f} s")


class WorkerPool:
    """N Streamlit processes on loopback ports, forked by one cnnviz.serving.zygote.

    The zygote imports torch once and forks the workers (and later the trainings) from that
    copy, so they share its memory; it also replaces a worker that exits. This pool starts the
    zygote, and starts it again should it exit.
    """

    def __init__(self, count: int, script: str = "app.py"):
        self.script = script
        self.run_dir = tempfile.mkdtemp(prefix="cnnviz-serve-")
        self.socket = os.path.join(self.run_dir, "zygote.sock")
        slot_dir = os.path.join(self.run_dir, "training-slots")
        os.mkdir(slot_dir)
        # Slot files make $CNNVIZ_MAX_TRAININGS a limit for the whole server. One cookie secret
        # for all workers keeps signed cookies (XSRF) valid across them.
        self.env = {**os.environ, "CNNVIZ_TRAINING_SLOTS": slot_dir, WORKERS.name: str(count),
                    "STREAMLIT_SERVER_COOKIE_SECRET":
                    os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex(32)}
        self.workers = [Worker(i, "127.0.0.1", free_port()) for i in range(count)]
        self.zygote: subprocess.Popen | None = None

    def _spawn_zygote(self) -> subprocess.Popen:
        command = [sys.executable, "-c", WORKER_ZYGOTE, "--socket", self.socket,
                   "--script", self.script]
        for worker in self.workers:
            command += ["--port", str(worker.port)]
        return subprocess.Popen(command, cwd=ROOT, env=self.env, preexec_fn=die_with_parent)

    def start(self) -> None:
        """Start the zygote and wait until every worker answers its health check."""
        self.zygote = self._spawn_zygote()
        for worker in self.workers:
            wait_healthy(worker.port, self.zygote)

    def restart_exited(self) -> bool:
        """Start the zygote (and so every worker) again if it exited; True when it did."""
        if self.zygote is None or self.zygote.poll() is None:
            return False
        log.warning("the zygote exited with code %s; starting it and its workers again",
                    self.zygote.returncode)
        self.zygote = self._spawn_zygote()
        return True

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the zygote, which stops its workers and trainings; kill it if it hangs."""
        if self.zygote is not None and self.zygote.poll() is None:
            self.zygote.terminate()
            try:
                self.zygote.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.zygote.kill()
        shutil.rmtree(self.run_dir, ignore_errors=True)


async def run_pool(pool: WorkerPool, address: str | None, port: int) -> None:
    """Proxy ``address:port`` to the pool until cancelled or signalled; restarts dead workers."""
    server = await serve(StickyProxy(pool.workers), address, port)
    print(f"cnnviz: {len(pool.workers)} Streamlit workers serve http://{address or 'localhost'}:"
          f"{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except TimeoutError:
                pool.restart_exited()
    finally:
        server.close()


def parse_args(argv: list[str] | None = None,
               settings: config.Settings | None = None) -> argparse.Namespace:
    """Command-line options; they default to ``settings`` (default: this process's)."""
    settings = settings or config.settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default=None,
                        help=f"Streamlit processes (default: ${WORKERS.name}, else 1)")
    parser.add_argument("--port", type=int, default=settings.port,
                        help="port to listen on (default: $CNNVIZ_PORT, else 8501)")
    parser.add_argument("--address", default=settings.address,
                        help="address to listen on (default: $CNNVIZ_ADDRESS, else all interfaces)")
    parser.add_argument("--script", default="app.py", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = settings.workers
    else:
        try:
            args.workers = WORKERS.rule.parse(args.workers.strip())
        except ValueError:
            parser.error(f"--workers must be {WORKERS.rule.allowed}, not {args.workers!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Check the settings, then serve until interrupted (2: a bad setting, 1: cannot serve)."""
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")
    try:
        settings = config.load()
    except config.ConfigError as err:
        print(f"cnnviz: {err}", file=sys.stderr)
        return 2
    args = parse_args(argv, settings)
    if args.workers == 1:
        command = streamlit_command(args.port, args.address, args.script)
        os.chdir(ROOT)
        os.execv(command[0], command)  # no proxy: Streamlit itself serves the port
    pool = WorkerPool(args.workers, args.script)
    # Until the event loop takes over SIGTERM: unwind through `finally`, which stops the workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        pool.start()
        _run_loop(run_pool(pool, args.address, args.port))
    except (RuntimeError, OSError) as err:  # a worker that cannot start, a port in use
        print(f"cnnviz: cannot serve on port {args.port}: {err}", file=sys.stderr)
        return 1
    finally:
        pool.stop()
    return 0


def _run_loop(coro) -> None:
    try:
        import uvloop  # noqa: PLC0415 - optional speed-up, as Streamlit uses it
    except ImportError:
        asyncio.run(coro)
    else:
        uvloop.run(coro)


if __name__ == "__main__":
    sys.exit(main())
