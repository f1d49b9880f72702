"""Background training jobs: a worker process each, in line for cnnviz.jobs.training_queue."""

from __future__ import annotations

import io
import math
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection

import torch
from torch import nn

from cnnviz import config
from cnnviz.jobs.trainer_process import SocketTrainer, WorkerDied
from cnnviz.jobs.training_queue import TrainingGate, training_gate
from cnnviz.lenet.checkpoint import Checkpoint
from cnnviz.lenet.data import ImageSet
from cnnviz.lenet.model import LeNetConfig
from cnnviz.lenet.train import Metrics, Snapshot, TrainConfig

# Seconds a job's browser may stay disconnected (a reload, a flaky network) before it is stopped.
ABANDON_AFTER_S = 60.0


@dataclass(frozen=True)
class JobView:
    """What the page shows about a job at one moment (a copy, safe to read without locks)."""

    state: str  # queued | running | paused | done | stopped | failed | forked (see current)
    history: tuple[Metrics, ...]  # without their snapshots (only the newest is kept)
    queue_position: int | None
    error: str | None
    snapshot: Snapshot | None = None  # the newest kernels and feature maps
    shared: bool = False  # other sessions watch the same computation (cnnviz.jobs.grouped)

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
    # Set when ``model`` is fresh, build_lenet(architecture, seed=config.seed): then the run
    # may be shared with other sessions' (cnnviz.jobs.grouped); None trains alone.
    architecture: LeNetConfig | None = None
    # A run that goes on alone from here (a student paused a shared run): the job starts
    # paused, and trains from this checkpoint once resumed.
    start_from: Checkpoint | None = None
    # Whether others trained in the run it was forked from (the page words its pause so).
    forked_from_shared: bool = False

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
        self._sharing = False  # in a shared computation: leaving it is cnnviz.jobs.grouped's
        self._shared = False  # others watch it too (shown on the page)
        self._successor: TrainingJob | None = None  # the run it went on as, once forked
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
        """Pause after the current few batches and free the slot for someone waiting.

        In a shared run, the job goes on as its own run instead, paused (see :meth:`current`).
        """
        with self._control:
            self._resume.clear()
            if not self._sharing:
                self._switch(self._go, "go", False)

    def resume(self) -> None:
        """Continue a paused job (it may queue again for a slot)."""
        self._resume.set()

    def stop(self) -> None:
        """Stop after the current few batches; the weights so far are kept.

        In a shared run, this session's model gets the shared weights of now; the others go on.
        """
        self._stop.set()
        self._resume.set()
        if not self._sharing:
            self._switch(self._stop, "stop", True)
            self._switch(self._go, "go", True)

    def leaving(self) -> bool:
        """Whether the student asked to stop or pause."""
        return self._stop.is_set() or not self._resume.is_set()

    def current(self) -> TrainingJob:
        """The job the student's run lives on as: itself, or the run it was forked into."""
        job = self
        while job._successor is not None:
            job = job._successor
        return job

    def leave_with(self, checkpoint: Checkpoint) -> None:
        """Leave a shared run at ``checkpoint``: stopped with its weights, or forked paused."""
        self.model.load_state_dict(checkpoint.model)
        if self._stop.is_set():
            self._set("stopped")
            return
        fork = TrainingJob(self.model, self.train_set, self.test_set, self.config, self.label,
                           gate=self.gate, owner_alive=self.owner_alive,
                           abandon_after_s=self.abandon_after_s, start_from=checkpoint,
                           forked_from_shared=self._shared)
        with self._lock:
            fork._history, fork._snapshot = list(self._history), self._snapshot
        fork._resume.clear()
        self._successor = fork.start()
        self._set("forked")

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
                           self._error, self._snapshot, self._shared)

    def _switch(self, event, name: str, on: bool) -> None:
        """Set or clear ``stop`` or ``go``, here and, for a forked worker, over its socket."""
        event.set() if on else event.clear()
        if self._process is not None:
            self._process.signal(name, on)

    def _set(self, state: str, error: str | None = None) -> None:
        with self._lock:
            self._state, self._error = state, error

    def _add_point(self, metrics: Metrics) -> None:
        with self._lock:
            self._snapshot = metrics.snapshot or self._snapshot
            self._history.append(replace(metrics, snapshot=None))

    def _run(self) -> None:
        from cnnviz.jobs import grouped  # noqa: PLC0415 - it imports this module

        conn = None
        try:
            if self.start_from is not None:  # paused in a run others may join: it waits
                self._set("paused")
                self._resume.wait()
                if self._stop.is_set():
                    self._set("stopped")
                    return
            request = grouped.request_for(self) if self.architecture is not None else None
            self._sharing = request is not None
            if not self.gate.acquire(self, self._stop, request):
                self._set("stopped")
                return
            self._set("running")
            leader, stream = self.gate.role(self)
            members = self.gate.members(self) if leader is None and stream else []
            if leader is not None:
                self._shared = True
                checkpoint = grouped.follow(self, leader, stream)
                if checkpoint is not None:
                    self.leave_with(checkpoint)
            elif members:  # a run others may join, now or while it trains
                grouped.lead(self, members)
            else:
                conn = self._spawn(pickle.dumps(
                    (self.model, self.train_set, self.test_set, self.config, self.start_from),
                    protocol=pickle.HIGHEST_PROTOCOL))
                self._relay(conn)
        except Exception as exc:  # shown to the user; the server keeps running
            self._set("failed", f"Training failed: {exc}" if isinstance(exc, WorkerDied)
                      else f"Training failed: {type(exc).__name__}: {exc}")
        finally:
            self.gate.release(self)
            self._end_worker()
            if conn is not None:
                conn.close()
            self.model.cpu().eval()

    def _spawn(self, payload: bytes) -> Connection:
        """Start the worker and send it ``payload``: pickled model, data and config."""
        # Plain pickle copies the tensors into the socket; torch's default would put them in
        # shared memory, which is small (64 MB) in a default docker container.
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
        """Copy the worker's messages into this job until it ends (a run of its own)."""
        while True:
            if not conn.poll(0.2):
                continue
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):  # a killed worker may also reset the connection
                self._process.join(5)
                raise WorkerDied(self._process.exitcode) from None
            if kind == "metrics":
                self._add_point(pickle.loads(value))
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
