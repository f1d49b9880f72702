"""Training processes started ahead of time, so that Train gets one that has imported torch.

Without the zygote (a single-process server, ``CNNVIZ_WORKERS=1``) every training used to start
a fresh interpreter and import torch first: 4-5 s of "Starting..." before the first point. The
pool keeps ``size`` such processes waiting (at the lowest priority, torch imported); taking
one starts its replacement in the background. A waiting process exits when this one does
(its socket closes).
"""

from __future__ import annotations

import threading

from cnnviz import config
from cnnviz.jobs.trainer_process import SocketTrainer


class WarmTrainers:
    """A few ``python -m cnnviz.jobs.worker`` processes waiting for a payload."""

    def __init__(self, size: int = 1):
        self.size = size
        self._ready: list[SocketTrainer] = []
        self._lock = threading.Lock()
        self._filling = False

    def take(self) -> SocketTrainer:
        """A waiting trainer (a fresh one when none is ready); the pool refills itself."""
        with self._lock:
            while self._ready:
                trainer = self._ready.pop(0)
                # A waiting trainer sends nothing after "ready": something to read is the end
                # of its socket, i.e. it died (even before the OS has reaped it).
                if trainer.is_alive() and not trainer.conn.poll(0):
                    break
                trainer.conn.close()
            else:
                trainer = None
        self.fill()
        return trainer if trainer is not None else SocketTrainer.fresh()

    def fill(self) -> None:
        """Start processes in a background thread until ``size`` are waiting."""
        with self._lock:
            if self._filling or len(self._ready) >= self.size:
                return
            self._filling = True
        threading.Thread(target=self._fill, name="warm-trainers", daemon=True).start()

    def _fill(self) -> None:
        try:
            while True:
                with self._lock:
                    if len(self._ready) >= self.size:
                        return
                trainer = SocketTrainer.fresh("--ready")
                try:
                    kind, _ = trainer.conn.recv()  # torch imported: ready to train at once
                except (EOFError, OSError):
                    return  # it died starting; take() starts one itself
                if kind != "ready":
                    raise RuntimeError(f"unexpected message from a waiting trainer: {kind!r}")
                with self._lock:
                    self._ready.append(trainer)
        finally:
            with self._lock:
                self._filling = False

    def waiting(self) -> list[int]:
        """Process ids of the trainers ready now."""
        with self._lock:
            return [trainer.pid for trainer in self._ready]

    def close(self) -> None:
        """End the waiting processes (closing their sockets makes them exit)."""
        with self._lock:
            ready, self._ready = self._ready, []
        for trainer in ready:
            trainer.conn.close()
            trainer.join(5)


_pool = WarmTrainers()


def warm_trainer() -> SocketTrainer:
    """The next training process for this server process, already started."""
    return _pool.take()


def waiting() -> list[int]:
    """Process ids of this server process's trainers that wait, ready."""
    return _pool.waiting()


def prepare() -> None:
    """Start the first waiting process now (when the LeNet page opens); not under the zygote.

    The zygote (cnnviz.serving.launcher) forks trainers from a process that has torch already.
    """
    if not config.settings().zygote_socket:
        _pool.fill()
