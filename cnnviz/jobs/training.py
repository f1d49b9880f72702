"""Background training jobs (a worker process each) and a server-wide limit with a queue."""

from __future__ import annotations

import io
import math
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection

import torch
from torch import nn

from cnnviz import config
from cnnviz.lenet.data import ImageSet
from cnnviz.lenet.train import Metrics, Snapshot, TrainConfig

# Seconds a job's browser may stay disconnected (a reload, a flaky network) before it is stopped.
ABANDON_AFTER_S = 60.0


class TrainingGate:
    """At most ``slots`` trainings run at once; the others wait first come, first served.

    With ``slot_dir`` the limit holds across server processes too: a training also needs an
    exclusive lock on one of ``slots`` files there (the OS frees it if the process dies). The
    queue order is kept within a process; between processes the next free slot goes to whichever
    waiting process looks first (every 0.2 s).
    """

    def __init__(self, slots: int, slot_dir: str | None = None):
        self.slots = max(1, slots)
        self.slot_dir = slot_dir
        self._cond = threading.Condition()
        self._waiting: list[object] = []
        self._running: dict[int, int | None] = {}  # id(owner) -> locked slot file or None

    def acquire(self, owner: object, cancelled: threading.Event) -> bool:
        """Block until ``owner`` may run; False when ``cancelled`` is set while waiting."""
        with self._cond:
            self._waiting.append(owner)
            try:
                while True:
                    if cancelled.is_set():
                        return False
                    if self._waiting.index(owner) < self.slots - len(self._running):
                        slot = self._lock_slot_file()
                        if slot is not False:
                            self._running[id(owner)] = slot
                            return True
                    self._cond.wait(timeout=0.2)
            finally:
                self._waiting.remove(owner)
                self._cond.notify_all()

    def release(self, owner: object) -> None:
        """Give the slot back (harmless when ``owner`` holds none)."""
        with self._cond:
            if id(owner) in self._running:
                slot = self._running.pop(id(owner))
                if slot is not None:
                    os.close(slot)  # closing the file drops its lock
            self._cond.notify_all()

    def _lock_slot_file(self) -> int | None | bool:
        """A locked slot file's descriptor; None without a slot folder; False when all are taken."""
        if self.slot_dir is None:
            return None
        import fcntl  # noqa: PLC0415 - POSIX only, and only cnnviz.serving.launcher sets slot_dir

        for index in range(self.slots):
            fd = os.open(os.path.join(self.slot_dir, f"slot-{index}"), os.O_CREAT | os.O_RDWR,
                         0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return False

    def position(self, owner: object) -> int | None:
        """1-based place in the queue, or None when not waiting."""
        with self._cond:
            return self._waiting.index(owner) + 1 if owner in self._waiting else None

    def running(self) -> int:
        """How many trainings run now."""
        with self._cond:
            return len(self._running)


_gate: TrainingGate | None = None
_gate_lock = threading.Lock()


def training_gate() -> TrainingGate:
    """The server's gate: $CNNVIZ_MAX_TRAININGS slots (default 1).

    The processes of one cnnviz.serving.launcher share it through $CNNVIZ_TRAINING_SLOTS.
    """
    global _gate
    with _gate_lock:
        if _gate is None:
            current = config.settings()
            slot_dir = current.training_slots
            if slot_dir is not None and not os.path.isdir(slot_dir):
                slot_dir = None  # not started by cnnviz.serve after all: this process only
            _gate = TrainingGate(current.max_trainings, slot_dir)
        return _gate


@dataclass(frozen=True)
class JobView:
    """What the page shows about a job at one moment (a copy, safe to read without locks)."""

    state: str  # queued | running | paused | done | stopped | failed
    history: tuple[Metrics, ...]  # without their snapshots (only the newest is kept)
    queue_position: int | None
    error: str | None
    snapshot: Snapshot | None = None  # the newest kernels and feature maps

    @property
    def last(self) -> Metrics | None:
        """The newest point, if any."""
        return self.history[-1] if self.history else None

    @property
    def active(self) -> bool:
        """Still queued, running or paused."""
        return self.state in ("queued", "running", "paused")


def progress_text(view: JobView) -> str:
    """'step 240/600 · 4,100 images/s · about 2 s left' for the progress bar."""
    m = view.last
    if m is None:
        return "Starting..." if view.active else "ended before its first batch"
    if view.active:
        return (f"step {m.step:,}/{m.steps_total:,} · {m.images_per_second:,.0f} images/s · "
                f"about {math.ceil(m.eta_seconds):,} s left")
    tested = [h for h in view.history if h.test_acc is not None]
    result = (f"test accuracy {tested[-1].test_acc:.1%} on {tested[-1].test_images:,} images "
              f"after step {tested[-1].step:,}" if tested else f"stopped at step {m.step:,}")
    return (f"{result} of {m.steps_total:,} ({m.epochs:.1f} epochs) · "
            f"{m.images_per_second:,.0f} images/s · {m.seconds:,.1f} s")


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
        """Whether the process still runs (a zygote's child is reaped within half a second)."""
        if self._popen is not None:
            return self._popen.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def join(self, timeout: float | None = None) -> None:
        """Wait until the process is gone, at most ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_alive() and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.05)

    def terminate(self) -> None:
        """SIGTERM."""
        self._kill(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL."""
        self._kill(signal.SIGKILL)

    def _kill(self, sig: int) -> None:
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass


@dataclass(eq=False)
class TrainingJob:
    """Trains ``model`` in a worker process; a relay thread here collects its metrics.

    The page keeps the job in st.session_state across reruns. The worker runs at a lower OS
    priority with one torch thread, so the server's own Python (every session's reruns) is not
    slowed by training. ``model`` gets the trained weights when the run ends or is stopped.
    """

    model: nn.Module
    train_set: ImageSet
    test_set: ImageSet | None
    config: TrainConfig
    label: str
    gate: TrainingGate = field(default_factory=training_gate)
    # Whether the browser session that started the job is still connected (None: not known).
    # A job whose owner stays away for ``abandon_after_s`` is stopped, so that a closed laptop
    # does not hold a training slot (and keep others queued) until its last epoch.
    owner_alive: Callable[[], bool] | None = None
    abandon_after_s: float = ABANDON_AFTER_S

    def __post_init__(self):
        self._lock = threading.Lock()  # state, error and history
        self._control = threading.Lock()  # pause against the relay's decision to go on
        self._history: list[Metrics] = []
        self._snapshot: Snapshot | None = None
        self._state, self._error = "queued", None
        self._resume = threading.Event()  # what the user wants: run (set) or pause
        self._resume.set()
        self._stop, self._go = threading.Event(), threading.Event()  # mirrored in the worker
        self._go.set()
        self._process: SocketTrainer | None = None
        self._thread = threading.Thread(target=self._run, name=f"train-{self.label}", daemon=True)

    def start(self) -> TrainingJob:
        """Start the relay thread (which starts the worker once a slot is free); returns self."""
        self._thread.start()
        if self.owner_alive is not None:
            threading.Thread(target=self._watch_owner, name=f"owner-{self.label}",
                             daemon=True).start()
        return self

    def _watch_owner(self, every_s: float = 1.0) -> None:
        """Stop the job once its owner has been away for ``abandon_after_s`` without a break."""
        away_since = None
        while self._thread.is_alive():
            if self.owner_alive():
                away_since = None
            elif away_since is None:
                away_since = time.monotonic()
            elif time.monotonic() - away_since >= self.abandon_after_s:
                self.stop()
                return
            time.sleep(every_s)

    def pause(self) -> None:
        """Pause after the current few batches and free the slot for someone waiting."""
        with self._control:
            self._resume.clear()
            self._switch(self._go, "go", False)

    def resume(self) -> None:
        """Continue a paused job (it may queue again for a slot)."""
        self._resume.set()

    def stop(self) -> None:
        """Stop after the current few batches; the weights so far are kept."""
        self._switch(self._stop, "stop", True)
        self._resume.set()
        self._switch(self._go, "go", True)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the relay thread (and so the worker process) to finish."""
        self._thread.join(timeout)

    @property
    def worker_pid(self) -> int | None:
        """Process id of the worker, once started."""
        return self._process.pid if self._process is not None else None

    def view(self) -> JobView:
        """A consistent copy of state, history and queue place."""
        with self._lock:
            return JobView(self._state, tuple(self._history), self.gate.position(self),
                           self._error, self._snapshot)

    def _switch(self, event, name: str, on: bool) -> None:
        """Set or clear ``stop`` or ``go``, here and, for a forked worker, over its socket."""
        event.set() if on else event.clear()
        if self._process is not None:
            self._process.signal(name, on)

    def _set(self, state: str, error: str | None = None) -> None:
        with self._lock:
            self._state, self._error = state, error

    def _run(self) -> None:
        conn = None
        try:
            if not self.gate.acquire(self, self._stop):
                self._set("stopped")
                return
            self._set("running")
            conn = self._spawn()
            self._relay(conn)
        except Exception as exc:  # shown to the user; the server keeps running
            self._set("failed", f"Training failed: {exc}" if isinstance(exc, WorkerDied)
                      else f"Training failed: {type(exc).__name__}: {exc}")
        finally:
            self.gate.release(self)
            if conn is not None:
                conn.close()
            self._end_worker()
            self.model.cpu().eval()

    def _spawn(self) -> Connection:
        """Start the worker and send it a pickled copy of model, data and config."""
        # Plain pickle copies the tensors into the socket; torch's default would put them in
        # shared memory, which is small (64 MB) in a default docker container.
        payload = pickle.dumps((self.model, self.train_set, self.test_set, self.config),
                               protocol=pickle.HIGHEST_PROTOCOL)
        zygote = config.settings().zygote_socket
        trainer = None
        if zygote:  # cnnviz.serving.launcher's zygote forks a worker that shares its copy of torch
            try:
                trainer = SocketTrainer.from_zygote(zygote)
            except (OSError, EOFError):
                trainer = None  # the zygote is gone: a fresh interpreter still trains
        if trainer is None:  # a process started ahead, torch already imported
            from cnnviz.jobs.pool import warm_trainer  # noqa: PLC0415 - the pool imports this

            trainer = warm_trainer()
        self._process = trainer
        # Sent after the assignment, so a switch flipped meanwhile reaches the worker too.
        try:
            trainer.start(payload, self._stop, self._go)
        except OSError:  # it died before it had the payload (a broken pipe)
            trainer.join(5)
            raise WorkerDied(trainer.exitcode) from None
        return trainer.conn

    def _relay(self, conn: Connection) -> None:
        """Copy the worker's messages into this job until it ends."""
        while True:
            if not conn.poll(0.2):
                continue
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):  # a killed worker may also reset the connection
                self._process.join(5)
                raise WorkerDied(self._process.exitcode) from None
            if kind == "metrics":
                value = pickle.loads(value)
                with self._lock:
                    self._snapshot = value.snapshot or self._snapshot
                    self._history.append(replace(value, snapshot=None))
            elif kind == "paused":
                self._pause_here()
            elif kind == "failed":
                self._set("failed", f"Training failed: {value}")
                return
            else:  # done | stopped, with the weights
                state = torch.load(io.BytesIO(value), map_location="cpu", weights_only=True)
                self.model.load_state_dict(state)
                self._set(kind)
                return

    def _pause_here(self) -> None:
        """The worker waits: give the slot up until the user resumes, then queue again."""
        self._set("paused")
        self.gate.release(self)
        while True:
            while not self._resume.wait(0.5):
                if not self._process.is_alive():
                    return  # the relay reads the end of the pipe and reports it
            if self._stop.is_set():
                return  # stop() has woken the worker, which sends its weights
            self._set("queued")
            if not self.gate.acquire(self, self._stop):
                return
            with self._control:
                if self._resume.is_set() or self._stop.is_set():
                    self._set("running")
                    self._switch(self._go, "go", True)
                    return
            self.gate.release(self)  # paused again while waiting for the slot
            self._set("paused")

    def _end_worker(self) -> None:
        """Make sure the worker process is gone (it normally exits after its last message)."""
        proc = self._process
        if proc is None:
            return
        self._switch(self._stop, "stop", True)
        self._switch(self._go, "go", True)
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
