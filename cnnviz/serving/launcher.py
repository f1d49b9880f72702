"""Serve the app: one Streamlit process, or several behind HAProxy (lecture halls).

    python -m cnnviz.serve [--workers N] [--port 8501] [--address ADDRESS]

The options default to $CNNVIZ_WORKERS (else 1), $CNNVIZ_PORT and $CNNVIZ_ADDRESS (cnnviz.config).
With 1 worker this simply runs ``streamlit run app.py``. With more, :mod:`cnnviz.serving.zygote`
forks N Streamlit processes on free loopback ports; once each answers its health check, HAProxy
(configured by :mod:`cnnviz.serving.haproxy`) listens on the public port. This process
supervises both: the zygote restarts a worker that exits, this process restarts the zygote or
HAProxy should either exit, and SIGTERM stops all. One Streamlit process uses one core for its
scripts, so a server with C cores serves the most sessions with about C workers.

Nothing here imports Streamlit or torch: the workers are other processes.
"""

from __future__ import annotations

import argparse
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
from cnnviz.serving import haproxy
from cnnviz.serving.zygote import die_with_parent

log = logging.getLogger("cnnviz.serve")
WORKERS = config.BY_NAME["CNNVIZ_WORKERS"]
TRAINING_DB = config.BY_NAME["CNNVIZ_TRAINING_DB"]
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
        # One training queue for all workers (it outlives their restarts). One cookie secret
        # for all workers keeps signed cookies (XSRF) valid across them.
        queue_db = os.path.join(self.run_dir, "training-queue.sqlite")
        self.env = {**os.environ, TRAINING_DB.name: queue_db, WORKERS.name: str(count),
                    "STREAMLIT_SERVER_COOKIE_SECRET":
                    os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex(32)}
        self.ports = [free_port() for _ in range(count)]
        self.zygote: subprocess.Popen | None = None

    def _spawn_zygote(self) -> subprocess.Popen:
        command = [sys.executable, "-c", WORKER_ZYGOTE, "--socket", self.socket,
                   "--script", self.script]
        for port in self.ports:
            command += ["--port", str(port)]
        return subprocess.Popen(command, cwd=ROOT, env=self.env, preexec_fn=die_with_parent)

    def start(self) -> None:
        """Start the zygote and wait until every worker answers its health check."""
        self.zygote = self._spawn_zygote()
        for port in self.ports:
            wait_healthy(port, self.zygote)

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


class Balancer:
    """HAProxy in front of the pool's workers, on the public address and port."""

    def __init__(self, pool: WorkerPool, address: str | None, port: int):
        self.port = port
        self.config = haproxy.write_config(pool.run_dir, pool.ports, address, port)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start HAProxy and wait until a worker answers through it."""
        self.proc = subprocess.Popen(haproxy.haproxy_command(self.config),
                                     preexec_fn=die_with_parent)
        wait_healthy(self.port, self.proc, timeout_s=30)

    def restart_exited(self) -> bool:
        """Start HAProxy again if it exited; True when it did."""
        if self.proc is None or self.proc.poll() is None:
            return False
        log.warning("haproxy exited with code %s; starting it again", self.proc.returncode)
        self.proc = subprocess.Popen(haproxy.haproxy_command(self.config),
                                     preexec_fn=die_with_parent)
        return True

    def stop(self) -> None:
        """Stop HAProxy (it closes its connections at once)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Stop(Exception):
    """SIGTERM or SIGINT arrived: unwind and stop every process."""


def _raise_stop(*_) -> None:
    raise Stop


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
    if haproxy.haproxy_binary() is None:
        print("cnnviz: CNNVIZ_WORKERS >= 2 needs HAProxy: apt-get install haproxy "
              "(make run does it)", file=sys.stderr)
        return 1
    pool = WorkerPool(args.workers, args.script)
    balancer = Balancer(pool, args.address, args.port)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _raise_stop)
    try:
        pool.start()
        balancer.start()
        print(f"cnnviz: {args.workers} Streamlit workers behind HAProxy serve "
              f"http://{args.address or 'localhost'}:{args.port}", flush=True)
        while True:
            time.sleep(1.0)
            pool.restart_exited()
            balancer.restart_exited()
    except Stop:
        return 0
    except (RuntimeError, OSError) as err:  # a worker that cannot start, a port in use
        print(f"cnnviz: cannot serve on port {args.port}: {err}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the cleanup
        balancer.stop()
        pool.stop()


if __name__ == "__main__":
    sys.exit(main())
