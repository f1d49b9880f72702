"""Sessions' trainings grouped on the one queue: identical once, distinct batched, own models."""

import threading
import time

import pytest
import torch
from torch.testing import assert_close

from cnnviz.jobs.training import TrainingJob
from cnnviz.jobs.training_queue import TrainingGate
from cnnviz.lenet.batched import TrainTogether
from cnnviz.lenet.model import VARIANTS, build_lenet
from cnnviz.lenet.shapes import shapes_split
from cnnviz.lenet.train import TrainConfig, evaluate

TRAIN, TEST = shapes_split(True, n=128), shapes_split(False, n=30)
ARCH = VARIANTS["modern"]


def wait_until(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def config(seed=0, steps=24):
    return TrainConfig(optimizer="sgd", lr=0.1, batch_size=8, steps=steps, seed=seed,
                       device="cpu", report_every_s=0, test_every=8)


def job(gate, cfg, label):
    return TrainingJob(build_lenet(ARCH, seed=cfg.seed), TRAIN, TEST, cfg, label, gate=gate,
                       architecture=ARCH)


def alone(cfg):
    """The run of ``cfg`` by itself as the server computes a fresh model: in batched steps, a
    stack of one (others may join it). Hundreds of steps of it drift apart from train_lenet's
    in the last bits (summation order), so the references take this path; test_batched holds
    the two paths equal over short runs."""
    together = TrainTogether(ARCH, TRAIN, TEST, [cfg])
    history = [points[0] for points in together.run()]
    return together.model(0), history


def assert_same_model(a, b):
    for name, value in b.state_dict().items():
        assert_close(a.state_dict()[name], value, rtol=1e-4, atol=1e-5)


def test_waiting_requests_are_trained_in_one_run_each_with_its_own_model(tmp_path):
    gate = TrainingGate(1, str(tmp_path / "queue.sqlite"))
    blocker = object()
    assert gate.acquire(blocker, threading.Event())  # another training holds the only slot
    a, b, c = job(gate, config(0), "a"), job(gate, config(0), "b"), job(gate, config(1), "c")
    for i, j in enumerate((a, b, c), 1):
        j.start()
        wait_until(lambda j=j, i=i: j.view().queue_position == i)  # first come, first served
    gate.release(blocker)
    for j in (a, b, c):
        j.join(120)
        assert j.view().state == "done", j.view().error
    assert a.worker_pid is not None  # one training process for the three
    assert b.worker_pid is None
    assert c.worker_pid is None
    assert gate.running() == gate.waiting() == 0
    for j in (a, b, c):
        model, history = alone(j.config)
        assert_same_model(j.model, model)  # batched, yet as if trained alone
        mine = j.view().history
        assert [m.step for m in mine] == [m.step for m in history]
        assert [m.train_loss for m in mine] == pytest.approx(  # its own model's curve
            [m.train_loss for m in history], rel=1e-4)
        assert j.view().snapshot is not None  # live kernels and feature maps for its own model
    assert a.model is not b.model
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters(),
                                                 strict=True))
    assert not torch.equal(a.model.net[0].weight, c.model.net[0].weight)
    assert a.view().history[-1].train_loss != c.view().history[-1].train_loss


def test_an_identical_request_joins_the_running_one_from_its_first_point(tmp_path):
    gate = TrainingGate(1, str(tmp_path / "queue.sqlite"))
    first = job(gate, config(0, steps=400), "first").start()
    wait_until(lambda: len(first.view().history) >= 3)
    late = job(gate, config(0, steps=400), "late").start()
    wait_until(lambda: late.view().state == "running" and late.view().history)
    assert late.view().queue_position is None
    assert gate.running() == 1
    assert late.view().history[0].step == first.view().history[0].step  # watched from the start
    first.join(120)
    late.join(120)
    assert late.view().state == first.view().state == "done"
    assert [m.step for m in late.view().history] == [m.step for m in first.view().history]
    assert_same_model(late.model, first.model)
    assert late.worker_pid is None  # one computation


def test_a_different_request_still_waits_in_line(tmp_path):
    gate = TrainingGate(1, str(tmp_path / "queue.sqlite"))
    first = job(gate, config(0, steps=400), "first").start()
    wait_until(lambda: first.view().state == "running")
    other = job(gate, config(5, steps=8), "other").start()
    wait_until(lambda: other.view().queue_position == 1)
    first.stop()
    other.join(120)
    assert other.view().state == "done"
    model, _ = alone(other.config)
    assert_same_model(other.model, model)


def test_a_request_that_queues_meanwhile_joins_the_running_batch_at_once(tmp_path):
    gate = TrainingGate(1, str(tmp_path / "queue.sqlite"))
    first = job(gate, config(0, steps=100_000), "first").start()
    wait_until(lambda: len(first.view().history) >= 3)
    late = job(gate, config(7, steps=40), "late").start()  # distinct: its own model
    late.join(60)  # trained at once, not after the first run
    assert late.view().state == "done", late.view().error
    assert first.view().state == "running"
    assert late.worker_pid is None  # in the first one's training process
    model, history = alone(late.config)
    assert_same_model(late.model, model)  # as if trained alone
    assert [m.step for m in late.view().history] == [m.step for m in history]
    assert late.view().history[-1].test_images == len(TEST)
    first.stop()
    first.join(60)
    assert first.view().state == "stopped"
    assert gate.running() == gate.waiting() == 0


def test_the_leader_ends_at_its_own_last_step_and_the_others_go_on(tmp_path):
    gate = TrainingGate(1, str(tmp_path / "queue.sqlite"))
    first = job(gate, config(0, steps=500), "first").start()
    wait_until(lambda: len(first.view().history) >= 3)
    late = job(gate, config(7, steps=1500), "late").start()
    wait_until(lambda: late.view().history)
    assert late.view().history[0].step == 1  # from its own first step
    assert first.view().history[-1].step < 500  # it joined while the first one trained
    wait_until(lambda: first.view().state != "running")
    assert first.view().state == "done", first.view().error
    assert late.view().state == "running"
    late.join(120)
    first.join(60)
    assert late.view().state == "done", late.view().error
    assert late.worker_pid is None
    for j in (first, late):
        last = j.view().history[-1]
        assert last.step == j.config.steps
        assert last.test_images == len(TEST)
        assert evaluate(j.model, TEST.images, TEST.labels) == pytest.approx(last.test_acc)
    assert gate.running() == gate.waiting() == 0


def test_two_slots_spread_a_class_over_two_training_processes(tmp_path):
    gate = TrainingGate(2, str(tmp_path / "queue.sqlite"))
    leaders = [job(gate, config(seed, steps=100_000), f"lead{seed}").start() for seed in (0, 1)]
    for j in leaders:
        wait_until(lambda j=j: j.view().history)
    rest = [job(gate, config(seed, steps=100_000), f"s{seed}").start() for seed in range(2, 8)]
    for j in rest:
        wait_until(lambda j=j: j.view().history)
    by_leader = {}
    for j in rest:
        leader, _ = gate.role(j)
        by_leader[leader] = by_leader.get(leader, 0) + 1
    assert sorted(by_leader.values()) == [3, 3]
    assert gate.running() == 2
    for j in leaders + rest:
        j.stop()
    for j in leaders + rest:
        j.join(60)
        assert j.view().state == "stopped", j.view().error
    assert gate.running() == gate.waiting() == 0
