"""Background training jobs (one thread each) and a server-wide limit with a waiting queue."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from torch import nn

from cnnviz.data import ImageSet
from cnnviz.device import configure_threads
from cnnviz.train import Metrics, TrainConfig, train_lenet

MAX_TRAININGS_ENV = "CNNVIZ_MAX_TRAININGS"
# One at a time by default: on a 2-core server a second training would take the core that
# keeps every other session's page responsive.
DEFAULT_MAX_TRAININGS = 1


class TrainingGate:
    """At most ``slots`` trainings run at once; the others wait first come, first served."""

    def __init__(self, slots: int):
        self.slots = max(1, slots)
        self._cond = threading.Condition()
        self._waiting: list[object] = []
        self._running: set[int] = set()

    def acquire(self, owner: object, cancelled: threading.Event) -> bool:
        """Block until ``owner`` may run; False when ``cancelled`` is set while waiting."""
        with self._cond:
            self._waiting.append(owner)
            try:
                while self._waiting.index(owner) >= self.slots - len(self._running):
                    if cancelled.is_set():
                        return False
                    self._cond.wait(timeout=0.2)
                self._running.add(id(owner))
                return True
            finally:
                self._waiting.remove(owner)
                self._cond.notify_all()

    def release(self, owner: object) -> None:
        """Give the slot back (harmless when ``owner`` holds none)."""
        with self._cond:
            self._running.discard(id(owner))
            self._cond.notify_all()

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
    """The one gate of this server process ($CNNVIZ_MAX_TRAININGS slots, default 1)."""
    global _gate
    with _gate_lock:
        if _gate is None:
            raw = os.environ.get(MAX_TRAININGS_ENV, "")
            _gate = TrainingGate(int(raw) if raw.isdigit() and int(raw) > 0
                                 else DEFAULT_MAX_TRAININGS)
        return _gate


@dataclass(frozen=True)
class JobView:
    """What the page shows about a job at one moment (a copy, safe to read without locks)."""

    state: str  # queued | running | paused | done | stopped | failed
    history: tuple[Metrics, ...]
    queue_position: int | None
    error: str | None

    @property
    def last(self) -> Metrics | None:
        """The newest point, if any."""
        return self.history[-1] if self.history else None

    @property
    def active(self) -> bool:
        """Still queued, running or paused."""
        return self.state in ("queued", "running", "paused")


@dataclass(eq=False)
class TrainingJob:
    """Trains ``model`` in a thread; the page keeps the job in st.session_state across reruns."""

    model: nn.Module
    train_set: ImageSet
    test_set: ImageSet | None
    config: TrainConfig
    label: str
    gate: TrainingGate = field(default_factory=training_gate)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._history: list[Metrics] = []
        self._state, self._error = "queued", None
        self._stop, self._resume = threading.Event(), threading.Event()
        self._resume.set()
        self._thread = threading.Thread(target=self._run, name=f"train-{self.label}", daemon=True)

    def start(self) -> TrainingJob:
        """Start the worker thread; returns self."""
        self._thread.start()
        return self

    def pause(self) -> None:
        """Pause after the current few batches and free the slot for someone waiting."""
        self._resume.clear()

    def resume(self) -> None:
        """Continue a paused job (it may queue again for a slot)."""
        self._resume.set()

    def stop(self) -> None:
        """Stop after the current few batches; the weights so far are kept."""
        self._stop.set()
        self._resume.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker thread to finish."""
        self._thread.join(timeout)

    def view(self) -> JobView:
        """A consistent copy of state, history and queue place."""
        with self._lock:
            return JobView(self._state, tuple(self._history), self.gate.position(self),
                           self._error)

    def _set(self, state: str, error: str | None = None) -> None:
        with self._lock:
            self._state, self._error = state, error

    def _run(self) -> None:
        configure_threads()  # the thread setting of cnnviz.device, also in this thread
        try:
            if not self.gate.acquire(self, self._stop):
                self._set("stopped")
                return
            self._set("running")
            run = train_lenet(self.model, self.train_set, self.test_set, self.config)
            try:
                for metrics in run:
                    with self._lock:
                        self._history.append(metrics)
                    if not self._resume.is_set() and not self._stop.is_set():
                        self._pause_here()
                    if self._stop.is_set():
                        self._set("stopped")
                        break
                else:
                    self._set("done")
            finally:
                run.close()  # the generator restores the model's plain memory layout
        except Exception as exc:  # shown to the user; the server keeps running
            self._set("failed", f"Training failed: {type(exc).__name__}: {exc}")
        finally:
            self.gate.release(self)
            self.model.cpu().eval()

    def _pause_here(self) -> None:
        """Wait paused without holding a slot, then queue again."""
        self._set("paused")
        self.gate.release(self)
        self._resume.wait()
        if self._stop.is_set():
            return
        self._set("queued")
        if self.gate.acquire(self, self._stop):
            self._set("running")
