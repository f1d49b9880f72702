"""Leaving a shared training: every member's Stop keeps its weights, Pause forks its own run."""

import threading
from dataclasses import replace

import pytest
import torch

from cnnviz.jobs.training_queue import TrainingGate
from cnnviz.lenet import checkpoint
from cnnviz.lenet.batched import TrainTogether
from cnnviz.lenet.model import build_lenet
from cnnviz.lenet.train import make_optimizer, train_lenet
from tests.test_grouped_training import (
    ARCH,
    TEST,
    TRAIN,
    alone,
    assert_same_model,
    config,
    job,
    wait_until,
)

pytestmark = pytest.mark.slow  # training processes, several runs of hundreds of steps each
STEPS = 600  # long enough to leave in the middle; every step is a point (report_every_s=0)


def weights_after_some_step(model, cfg) -> int | None:
    """The step at which a run of ``cfg`` alone has exactly ``model``'s weights (None: never)."""
    together = TrainTogether(ARCH, TRAIN, None, [replace(cfg, report_every_s=0)])
    for points in together.run():  # a point every step
        reference = together.model(0)
        if all(torch.allclose(reference.state_dict()[k], v, rtol=1e-4, atol=1e-5)
               for k, v in model.state_dict().items()):
            return points[0].step
    return None


def batched_then_alone(cfg, step):
    """The run of ``cfg`` in batched steps up to ``step``, then on alone from a checkpoint."""
    together = TrainTogether(ARCH, TRAIN, TEST, [replace(cfg, report_every_s=0)])
    for points in together.run():
        if points[0].step == step:
            break
    model = build_lenet(ARCH, seed=None)
    list(train_lenet(model, TRAIN, TEST, cfg, make_optimizer(model, cfg),
                     together.checkpoint(0)))
    return model


def identical_pair(tmp_path, optimizer="sgd"):
    """A running job and a second one that joined it (one computation)."""
    gate = TrainingGate(1, str(tmp_path / "queue.sqlite"))
    cfg = config(0, steps=STEPS) if optimizer == "sgd" else adam(0)
    first = job(gate, cfg, "first").start()
    wait_until(lambda: len(first.view().history) >= 3)
    late = job(gate, cfg, "late").start()
    wait_until(lambda: late.view().state == "running" and late.view().history)
    wait_until(lambda: first.view().shared)
    assert late.view().shared
    return gate, first, late


def adam(seed, steps=STEPS):
    """The test config with Adam: its moments must survive a fork."""
    return replace(config(seed, steps=steps), optimizer="adam", lr=0.003)


@pytest.mark.parametrize("who", ["follower", "leader"])
def test_stop_keeps_the_shared_weights_of_that_moment_and_the_others_go_on(tmp_path, who):
    _, first, late = identical_pair(tmp_path)
    leaving, staying = (late, first) if who == "follower" else (first, late)
    leaving.stop()
    wait_until(lambda: leaving.view().state == "stopped")
    step = weights_after_some_step(leaving.model, leaving.config)
    assert step is not None
    assert 0 < step < STEPS
    staying.join(120)
    assert staying.view().state == "done"
    model, _ = alone(staying.config)
    assert_same_model(staying.model, model)  # the others' run was not disturbed
    assert staying.view().history[-1].step == STEPS
    assert leaving.view().history[-1].step < STEPS


@pytest.mark.parametrize("who", ["follower", "leader"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_pause_forks_an_own_run_that_resumes_alone_to_the_same_model(tmp_path, who, optimizer):
    _, first, late = identical_pair(tmp_path, optimizer)
    leaving, staying = (late, first) if who == "follower" else (first, late)
    leaving.pause()
    wait_until(lambda: leaving.current() is not leaving)
    fork = leaving.current()
    wait_until(lambda: fork.view().state == "paused")
    assert fork.start_from.step > 0
    assert fork.view().history  # the curve so far comes along
    assert not fork.view().shared
    staying.join(120)
    assert staying.view().state == "done"  # the shared run went on without the one who left
    fork.resume()
    fork.join(120)
    assert fork.view().state == "done", fork.view().error
    steps = [m.step for m in fork.view().history]
    assert steps == sorted(steps)
    assert steps[-1] == STEPS
    model = batched_then_alone(fork.config, fork.start_from.step)
    assert_same_model(fork.model, model)  # as if it had never left: optimizer state kept
    assert fork.worker_pid is not None  # trained in a process of its own


def test_a_member_of_a_batched_group_pauses_and_stops_alone(tmp_path):
    gate = TrainingGate(1, str(tmp_path / "queue.sqlite"))
    blocker = object()
    assert gate.acquire(blocker, threading.Event())
    paced = [replace(config(seed, steps=STEPS), report_every_s=0.02) for seed in range(3)]
    a, b, c = (job(gate, cfg, name) for cfg, name in zip(paced, "abc", strict=True))
    for place, j in enumerate((a, b, c), 1):
        j.start()
        wait_until(lambda j=j, place=place: j.view().queue_position == place)
    gate.release(blocker)  # a leads and trains b and c with it in batched steps
    wait_until(lambda: all(len(j.view().history) >= 3 for j in (a, b, c)))
    b.pause()
    c.stop()
    wait_until(lambda: b.current() is not b and c.view().state == "stopped")
    step = weights_after_some_step(c.model, c.config)
    assert step is not None
    assert 0 < step < STEPS
    a.join(120)
    assert a.view().state == "done"
    fork = b.current()
    fork.resume()
    fork.join(120)
    assert fork.view().state == "done", fork.view().error
    # Batched steps up to the checkpoint, then alone (over hundreds of steps batched and alone
    # sums drift apart in the last bits, so the reference takes the same path).
    together = TrainTogether(ARCH, TRAIN, TEST, [replace(c, report_every_s=0) for c in paced])
    for points in together.run():
        if points[1].step == fork.start_from.step:
            break
    model = build_lenet(ARCH, seed=None)
    list(train_lenet(model, TRAIN, TEST, paced[1], make_optimizer(model, paced[1]),
                     together.checkpoint(1)))
    assert_same_model(fork.model, model)


def test_a_batched_checkpoint_goes_on_alone_like_the_uninterrupted_run():
    cfgs = [adam(1, steps=20), adam(2, steps=20)]
    together = TrainTogether(ARCH, TRAIN, None, cfgs)
    for points in together.run():
        if points[0].step >= 9:
            break
    saved = checkpoint.from_bytes(checkpoint.to_bytes(together.checkpoint(1)))
    model = build_lenet(ARCH, seed=None)
    list(train_lenet(model, TRAIN, None, cfgs[1], make_optimizer(model, cfgs[1]), saved))
    reference, _ = alone(cfgs[1])
    assert_same_model(model, reference)
