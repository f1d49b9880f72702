"""Background training jobs: worker process, stop, pause, and the server-wide limit."""

import os
import signal
import sys
import threading
import time

import pytest
import torch

from cnnviz.config import ConfigError
from cnnviz.device import configure_threads
from cnnviz.jobs import training as jobs
from cnnviz.jobs import training_queue
from cnnviz.jobs import worker as train_worker
from cnnviz.lenet import data
from cnnviz.lenet.model import build_lenet
from cnnviz.lenet.shapes import shapes_split
from cnnviz.lenet.train import TrainConfig, as_batch, train_lenet

TRAIN, TEST = shapes_split(True, n=256), shapes_split(False, n=40)
BIG = shapes_split(True, n=4096)


def wait_until(condition, timeout=30.0):
    """Poll ``condition`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def make_job(gate, steps=64, label="run"):
    config = TrainConfig(batch_size=8, steps=steps, device="cpu", report_every_s=0)
    return jobs.TrainingJob(build_lenet(), TRAIN, TEST, config, label, gate=gate)


def process_gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_worker_process_trains_like_an_in_process_run(tiny_idx_data, start_method):
    spec = data.DATASETS["fashion"]
    train = data.load_split(spec, tiny_idx_data, True)
    test = data.load_split(spec, tiny_idx_data, False)
    config = TrainConfig(batch_size=16, steps=16, seed=3, device="cpu", report_every_s=0,
                         test_every=8)
    job = jobs.TrainingJob(build_lenet(seed=3), train, test, config, "tiny",
                           gate=jobs.TrainingGate(1)).start()
    configure_threads()  # one thread here too, like the worker, for the same sums
    reference = build_lenet(seed=3)
    expected = list(train_lenet(reference, train, test, config))
    job.join(60)
    view = job.view()
    assert view.state == "done"
    assert not view.active
    assert view.error is None
    assert view.last.step == 16
    assert view.last.test_acc is not None
    assert [m.step for m in view.history] == [m.step for m in expected]
    assert [m.test_acc for m in view.history] == [m.test_acc for m in expected]
    assert all(m.snapshot is None for m in view.history)  # only the newest is kept, apart
    torch.testing.assert_close(view.snapshot.kernels, expected[-1].snapshot.kernels)
    assert view.last.train_loss == pytest.approx(expected[-1].train_loss, rel=1e-5)
    assert not job.model.training
    assert next(job.model.parameters()).device.type == "cpu"
    for name, value in reference.state_dict().items():
        torch.testing.assert_close(job.model.state_dict()[name], value)
    batch = as_batch(test.images[:16])
    reference.eval()
    with torch.no_grad():
        assert job.model(batch).argmax(1).equal(reference(batch).argmax(1))
    wait_until(lambda: process_gone(job.worker_pid))  # the zygote reaps its children


def test_stop_mid_epoch_keeps_the_weights_so_far(start_method):
    job = jobs.TrainingJob(build_lenet(), BIG, TEST,
                           TrainConfig(batch_size=8, steps=1500, device="cpu", report_every_s=0),
                           "big", gate=jobs.TrainingGate(1))
    before = job.model.net[0].weight.detach().clone()
    job.start()
    wait_until(lambda: len(job.view().history) >= 2)
    job.stop()
    job.join(30)
    view = job.view()
    assert view.state == "stopped"
    assert view.last.step < view.last.steps_total  # it stopped before the end
    assert not job.model.net[0].weight.equal(before)  # the worker's weights came back
    wait_until(lambda: process_gone(job.worker_pid))  # the zygote reaps its children


def test_killed_worker_is_an_error_message_and_frees_the_slot(start_method):
    gate = jobs.TrainingGate(1)
    job = jobs.TrainingJob(build_lenet(), BIG, TEST,
                           TrainConfig(batch_size=8, steps=1500, device="cpu", report_every_s=0),
                           "doomed", gate=gate).start()
    wait_until(lambda: len(job.view().history) >= 1)
    assert gate.running() == 1
    nicer = min(19, os.getpriority(os.PRIO_PROCESS, 0) + train_worker.NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, job.worker_pid) == nicer
    if sys.platform.startswith("linux"):
        assert os.sched_getscheduler(job.worker_pid) == os.SCHED_IDLE
    parent = int(open(f"/proc/{job.worker_pid}/stat").read().rsplit(")", 1)[1].split()[1])
    assert (parent == os.getpid()) == (start_method == "spawn")  # else the zygote forked it
    os.kill(job.worker_pid, signal.SIGKILL)
    job.join(30)
    view = job.view()
    assert view.state == "failed"
    assert "stopped unexpectedly" in view.error
    assert "Traceback" not in view.error
    assert gate.running() == 0
    assert gate.acquire(object(), threading.Event())  # the slot is free for the next one


def test_queue_then_pause_frees_the_slot_and_resume_finishes(start_method):
    gate = jobs.TrainingGate(1)
    blocker = object()
    gate.acquire(blocker, threading.Event())
    first = make_job(gate, steps=64, label="first")
    first.pause()  # takes effect after its first point, once it runs
    first.start()
    wait_until(lambda: first.view().queue_position == 1)
    second = make_job(gate, steps=32, label="second").start()
    wait_until(lambda: second.view().queue_position == 2)
    assert first.view().state == second.view().state == "queued"
    gate.release(blocker)
    wait_until(lambda: first.view().state == "paused")
    assert first.view().last.step == 1
    second.join(60)
    assert second.view().state == "done"
    assert first.view().last.step == 1  # it did not train while paused
    first.resume()
    first.join(60)
    assert first.view().state == "done"


def test_queue_positions_are_first_come_first_served():
    gate = jobs.TrainingGate(1)
    owners = [object() for _ in range(3)]
    never = threading.Event()
    assert gate.acquire(owners[0], never)
    threads = []
    for owner in owners[1:]:
        t = threading.Thread(target=gate.acquire, args=(owner, never), daemon=True)
        t.start()
        threads.append(t)
        wait_until(lambda owner=owner: gate.position(owner) is not None)
    assert [gate.position(o) for o in owners] == [None, 1, 2]
    assert gate.running() == 1
    gate.release(owners[0])
    threads[0].join(5)
    assert gate.position(owners[2]) == 1
    assert gate.running() == 1
    gate.release(owners[1])
    threads[1].join(5)
    assert gate.running() == 1
    assert gate.position(owners[2]) is None


def test_two_slots_run_two_jobs_at_once():
    gate = jobs.TrainingGate(2)
    never = threading.Event()
    a, b = object(), object()
    assert gate.acquire(a, never)
    assert gate.acquire(b, never)
    assert gate.running() == 2


def test_stop_while_queued_leaves_the_queue(start_method):
    gate = jobs.TrainingGate(1)
    blocker = object()
    gate.acquire(blocker, threading.Event())
    job = make_job(gate).start()
    wait_until(lambda: job.view().queue_position == 1)
    job.stop()
    job.join(10)
    assert job.view().state == "stopped"
    assert job.view().queue_position is None
    gate.release(blocker)


def test_failure_is_reported_not_raised(start_method):
    gate = jobs.TrainingGate(1)
    job = jobs.TrainingJob(build_lenet(), TRAIN, TEST,
                           TrainConfig(device="cpu", steps=10), "bad", gate=gate)
    job.train_set = None  # breaks inside the worker
    job.start().join(60)
    view = job.view()
    assert view.state == "failed"
    assert "Training failed" in view.error
    assert gate.running() == 0


@pytest.mark.parametrize(("raw", "slots"), [("", 2), ("3", 3), (" 1 ", 1)])
def test_gate_size_from_environment(monkeypatch, raw, slots):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", raw)
    monkeypatch.setattr(training_queue, "_gate", None)
    assert jobs.training_gate().slots == slots


def test_a_bad_gate_size_is_an_error_not_one_slot(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "two")
    monkeypatch.setattr(training_queue, "_gate", None)
    with pytest.raises(ConfigError, match="CNNVIZ_MAX_TRAININGS='two'"):
        jobs.training_gate()


def test_progress_text_while_running_and_after_the_last_step():
    def metrics(**kw):
        base = {"step": 10, "steps_total": 40, "images_per_second": 4100.0,
                "eta_seconds": 11.2, "test_acc": None, "test_images": 0, "seconds": 3.0,
                "epochs": 0.5}
        return type("M", (), {**base, **kw})()

    running = type("V", (), {"last": metrics(), "active": True, "history": []})()
    assert jobs.progress_text(running) == "step 10/40 · 4,100 images/s · about 12 s left"
    done = metrics(test_acc=0.8125, test_images=1770, step=40, epochs=2.0)
    ended = type("V", (), {"last": done, "active": False, "history": [done]})()
    assert jobs.progress_text(ended).startswith(
        "test accuracy 81.2% on 1,770 images after step 40 of 40 (2.0 epochs)")


@pytest.mark.slow  # starts worker processes itself
def test_a_job_whose_browser_left_is_stopped_and_frees_the_slot():
    gate = jobs.TrainingGate(1)
    present = threading.Event()
    present.set()
    config = TrainConfig(batch_size=8, steps=1500, device="cpu", report_every_s=0)
    job = jobs.TrainingJob(build_lenet(), BIG, TEST, config, "left", gate=gate,
                           owner_alive=present.is_set, abandon_after_s=1.0).start()
    wait_until(lambda: len(job.view().history) >= 1)
    present.clear()  # the laptop closes
    job.join(30)
    view = job.view()
    assert view.state == "stopped"  # the weights so far came back
    assert len(view.history) < 1500
    assert gate.running() == 0
    wait_until(lambda: process_gone(job.worker_pid))  # the zygote reaps its children


@pytest.mark.slow  # starts worker processes itself
def test_a_short_absence_does_not_stop_the_job_and_a_queued_job_can_be_abandoned():
    gate = jobs.TrainingGate(1)
    blocker = object()
    gate.acquire(blocker, threading.Event())
    flaky = iter([False, False, True] + [True] * 1000)  # away for two checks, then back
    config = TrainConfig(batch_size=8, steps=32, device="cpu", report_every_s=0)
    stays = jobs.TrainingJob(build_lenet(), TRAIN, TEST, config, "stays", gate=gate,
                             owner_alive=lambda: next(flaky), abandon_after_s=5.0).start()
    leaves = jobs.TrainingJob(build_lenet(), TRAIN, TEST, config, "leaves", gate=gate,
                              owner_alive=lambda: False, abandon_after_s=0.5).start()
    wait_until(lambda: leaves.view().state == "stopped")  # left while queued
    assert leaves.view().queue_position is None
    gate.release(blocker)
    stays.join(60)
    assert stays.view().state == "done"
