"""Training processes started ahead: Train gets one that is ready, and the pool refills."""

import os
import signal
import time
from pathlib import Path

from cnnviz.jobs import pool
from cnnviz.jobs import training as jobs
from cnnviz.lenet.model import build_lenet
from cnnviz.lenet.shapes import shapes_split
from cnnviz.lenet.train import TrainConfig


def wait_until(condition, timeout=60.0):
    """Poll ``condition`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def ended(pid):
    """Whether ``pid`` has exited (gone, or a zombie not yet reaped)."""
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_a_job_trains_in_the_process_started_ahead_and_the_pool_refills(monkeypatch):
    monkeypatch.delenv("CNNVIZ_ZYGOTE_SOCKET", raising=False)
    pool.prepare()
    wait_until(pool.waiting)
    (ready,) = pool.waiting()
    job = jobs.TrainingJob(build_lenet(), shapes_split(True, n=64), shapes_split(False, n=20),
                           TrainConfig(batch_size=16, steps=8, device="cpu"), "warm",
                           gate=jobs.TrainingGate(1)).start()
    wait_until(lambda: job.worker_pid is not None)
    assert job.worker_pid == ready
    job.join(60)
    assert job.view().state == "done"
    assert job.view().last.step == 8
    wait_until(pool.waiting)  # the next one is waiting already
    assert pool.waiting() != [ready]


def test_a_dead_waiting_trainer_is_skipped_and_closing_ends_the_waiting_ones():
    trainers = pool.WarmTrainers(size=1)
    trainers.fill()
    wait_until(trainers.waiting)
    (dead,) = trainers.waiting()
    os.kill(dead, signal.SIGKILL)
    wait_until(lambda: ended(dead))
    trainer = trainers.take()
    assert trainer.is_alive()  # not the killed one (whose pid the OS may already reuse)
    trainer.conn.close()  # a worker whose server closes the socket before the payload exits
    trainer.join(30)
    assert not trainer.is_alive()
    wait_until(trainers.waiting)
    trainers.close()
    assert trainers.waiting() == []
