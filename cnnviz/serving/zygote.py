"""Import torch once, fork every server process from that copy (used by cnnviz.serving.launcher).

Importing the PyPI build of torch costs each process about 280 MB of private memory and 225 MB
of shared library pages. A server with two Streamlit workers and a LeNet training (three
processes that each imported torch) went past 1.5 GB. This process imports the heavy modules
once, then forks:

* the server's workers (what they run is given by the caller: ui/zygote_worker.py runs
  ``streamlit run`` in each), again when one exits, and
* a training process whenever a worker asks for one on the Unix socket named by
  ``$CNNVIZ_ZYGOTE_SOCKET`` (see cnnviz.jobs.training): the socket then carries the payload, the
  control messages and the metrics.

Forked children share the imported pages copy-on-write. The zygote never starts threads of its
own or initializes CUDA (a CUDA context cannot cross a fork), and it imports nothing that starts
thread pools at import time (OpenCV, SciPy): children import those themselves.

    python -m cnnviz.serving.zygote --socket PATH      (trainers only; workers: ui.zygote_worker)
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import importlib
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence

from cnnviz.config import ROOT
from cnnviz.jobs.worker import train_over_socket

# Backend modules every server process needs; none starts a thread pool when imported.
PRELOAD = ("torch", "torchvision", "numpy", "PIL.Image", "plotly.graph_objects", "cnnviz.ops",
           "cnnviz.teach.frames", "cnnviz.viz.animation", "cnnviz.lenet.model", "cnnviz.lenet.data",
           "cnnviz.lenet.train", "cnnviz.jobs.worker", "cnnviz.jobs.training",
           "cnnviz.lenet.inspection", "cnnviz.viz.lenet_figures", "cnnviz.pageconfig",
           "cnnviz.pagespecs",
           "cnnviz.teach.presets")
RESTART_DELAY_S = 1.0  # between a worker's exit and its replacement


def die_with_parent() -> None:
    """Linux: this process gets SIGTERM when its parent dies (even by kill -9)."""
    if sys.platform.startswith("linux"):
        import ctypes  # noqa: PLC0415 - Linux only

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


# glibc raises its mmap threshold after each large free, so later large blocks (torch
# activations of a few MB) come from the heap and stay there. In a Streamlit worker, 15
# sessions predicting at once left the process 330 MB larger; with the threshold fixed at 1 MB
# (which turns the adjustment off) 19 MB. Trainers keep glibc's default: fixed, their steps'
# tensors cost an mmap and fresh pages each, about twice the CPU per step.
SERVER_MMAP_THRESHOLD = 1 << 20
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def return_large_blocks(threshold: int = SERVER_MMAP_THRESHOLD) -> bool:
    """Linux/glibc: blocks from ``threshold`` bytes up go back to the OS when freed."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # noqa: PLC0415 - Linux only

    try:
        return bool(ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, threshold))
    except AttributeError:  # another C library (musl) has no mallopt
        return False


def preload(modules=PRELOAD) -> list[str]:
    """Import ``modules``; returns those that failed (they are imported later by children)."""
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a child imports it again and reports properly
            failed.append(name)
    return failed


def _child_exit(body) -> None:
    """Run ``body`` in a freshly forked child and leave without running the zygote's cleanup."""
    code = 1
    try:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        die_with_parent()
        code = body() or 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - printed; the process must not return into the zygote
        import traceback  # noqa: PLC0415

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


class Zygote:
    """Forks workers and trainers, restarts workers, reaps every child.

    ``run_worker(port)`` is what a forked worker runs (its return value is the exit code); one
    worker per port.
    """

    def __init__(self, socket_path: str, ports: Sequence[int],
                 run_worker: Callable[[int], int] | None):
        self.socket_path, self.ports, self.run_worker = socket_path, ports, run_worker
        self.workers: dict[int, int] = {}  # pid -> worker index
        self.trainers: set[int] = set()
        self.stopping = False
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(socket_path)
        self.listener.bind(socket_path)
        os.chmod(socket_path, 0o600)
        self.listener.listen(16)

    def fork_worker(self, index: int) -> None:
        """A worker for loopback port ``ports[index]``."""
        pid = os.fork()
        if pid == 0:
            self.listener.close()
            _child_exit(lambda: self.run_worker(self.ports[index]))
        self.workers[pid] = index

    def fork_trainer(self, conn_sock: socket.socket) -> None:
        """A training process that talks to its worker over ``conn_sock``."""
        pid = os.fork()
        if pid == 0:
            self.listener.close()
            _child_exit(lambda: train_over_socket(conn_sock))
        conn_sock.close()
        self.trainers.add(pid)

    def reap(self) -> None:
        """Collect exited children; start a replacement for each worker that exited."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.trainers.discard(pid)
            index = self.workers.pop(pid, None)
            if index is not None and not self.stopping:
                print(f"cnnviz: worker {index} exited ({os.waitstatus_to_exitcode(status)}); "
                      "starting it again", file=sys.stderr, flush=True)
                time.sleep(RESTART_DELAY_S)
                self.fork_worker(index)

    def serve_forever(self) -> None:
        """Fork the workers, then answer trainer requests and reap until SIGTERM or SIGINT."""
        for index in range(len(self.ports)):
            self.fork_worker(index)
        while not self.stopping:
            try:
                ready, _, _ = select.select([self.listener], [], [], 0.5)
            except InterruptedError:
                ready = []
            if ready:
                try:
                    conn_sock, _ = self.listener.accept()
                except OSError as err:
                    if err.errno not in (errno.EINTR, errno.EAGAIN, errno.ECONNABORTED):
                        raise
                else:
                    self.fork_trainer(conn_sock)
            self.reap()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Terminate every child (workers and trainers) and remove the socket."""
        self.stopping = True
        self.listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        children = set(self.workers) | self.trainers
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                time.sleep(0.1)
            children.discard(pid)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def run(socket_path: str, ports: Sequence[int] = (),
        run_worker: Callable[[int], int] | None = None, modules=PRELOAD) -> int:
    """Preload ``modules``, fork a worker per port, then serve until SIGTERM or SIGINT."""
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    die_with_parent()
    os.environ["CNNVIZ_ZYGOTE_SOCKET"] = socket_path  # the workers' jobs ask here for trainers
    failed = preload(modules)
    if failed:
        print(f"cnnviz zygote: not preloaded (children import them): {failed}", file=sys.stderr)
    gc.collect()
    gc.freeze()  # the collector then leaves preloaded objects alone, so their pages stay shared
    zygote = Zygote(socket_path, ports, run_worker)

    def finish(*_):
        zygote.stopping = True

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    try:
        zygote.serve_forever()
    finally:
        zygote.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """A zygote that only forks trainers (tests; cnnviz.serve starts ui.zygote_worker)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="Unix socket for trainer requests")
    return run(parser.parse_args(argv).socket)


if __name__ == "__main__":
    sys.exit(main())
