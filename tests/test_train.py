"""Training as a generator of metrics, on tiny IDX files read through torchvision."""

import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cnnviz.lenet import data
from cnnviz.lenet.inspection import feature_maps
from cnnviz.lenet.model import VARIANTS, build_lenet
from cnnviz.lenet.shapes import shapes_split
from cnnviz.lenet.train import (
    TRAINING_DEFAULTS,
    TrainConfig,
    as_batch,
    default_training,
    evaluate,
    train_lenet,
)
from tests.tiny_idx import TEST_SIZE, TRAIN_SIZE


@pytest.fixture(scope="module")
def tiny_fashion(tmp_path_factory):
    """Tiny Fashion-MNIST train and test splits loaded through torchvision."""
    from tests.tiny_idx import write_tiny_datasets

    root = write_tiny_datasets(tmp_path_factory.mktemp("idx"))
    spec = data.DATASETS["fashion"]
    return data.load_split(spec, root, True), data.load_split(spec, root, False)


def test_a_run_is_a_step_budget_with_live_and_test_points(tiny_fashion):
    train, test = tiny_fashion
    config = TrainConfig(batch_size=16, steps=30, device="cpu", report_every_s=0,
                         test_every=10, test_sample=8)
    history = list(train_lenet(build_lenet(VARIANTS["modern"]), train, test, config))
    assert [m.step for m in history] == list(range(1, 31))  # report_every_s=0: every step
    tested = [m for m in history if m.test_acc is not None]
    assert [m.step for m in tested] == [10, 20, 30]
    assert [m.test_images for m in tested] == [8, 8, TEST_SIZE]  # the last point tests all
    assert history[-1].images == 3 * TRAIN_SIZE + 6 * 16  # 8 batches per pass, the last short
    assert history[-1].epochs == pytest.approx(history[-1].images / TRAIN_SIZE)
    assert history[-1].fraction == 1.0
    assert history[-1].eta_seconds == 0.0
    assert all(m.snapshot is not None for m in history)
    middle = history[14]
    assert middle.eta_seconds == pytest.approx(15 * middle.step_seconds)  # measured step time


def test_metrics_and_weights_equal_an_independent_reference_loop(tiny_fashion):
    """Same seed, same order: the weights and the reported mean loss match a plain loop."""
    train, test = tiny_fashion
    steps, bs = 20, 32  # 4 batches per pass (the last one short): 5 passes
    config = TrainConfig(optimizer="sgd", lr=0.1, batch_size=bs, steps=steps, device="cpu",
                         report_every_s=1e9, test_every=10_000)
    model = build_lenet(seed=0)
    history = list(train_lenet(model, train, None, config))
    assert len(history) == 1  # only the last step reports
    reference = build_lenet(seed=0)
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    shuffle = torch.Generator().manual_seed(0)
    X_all, y_all = train.float_images(), train.labels
    losses, correct, seen = [], 0, 0
    while len(losses) < steps:
        order = torch.randperm(len(y_all), generator=shuffle)
        for b in range(0, len(y_all), bs):
            if len(losses) == steps:
                break
            idx = order[b:b + bs]
            logits = reference(X_all[idx])
            loss = F.cross_entropy(logits, y_all[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item() * len(idx))
            correct += (logits.argmax(1) == y_all[idx]).sum().item()
            seen += len(idx)
    assert history[-1].images == seen
    assert history[-1].train_loss == pytest.approx(sum(losses) / seen, rel=1e-5)
    assert history[-1].train_acc == pytest.approx(correct / seen)
    for a, b in zip(model.parameters(), reference.parameters(), strict=True):
        assert_close(a, b)
    assert evaluate(model, test.images, test.labels) == pytest.approx(
        (reference(as_batch(test.images)).argmax(1) == test.labels).float().mean().item())


def test_the_snapshot_shows_the_kernels_and_maps_of_that_moment(tiny_fashion):
    train, test = tiny_fashion
    config = TrainConfig(batch_size=16, steps=12, device="cpu", report_every_s=1e9,
                         watch_index=3)
    model = build_lenet(VARIANTS["modern"])
    snapshot = list(train_lenet(model, train, test, config))[-1].snapshot
    assert snapshot.image_index == 3
    assert_close(snapshot.kernels, model.net[0].weight.detach())
    for got, want in zip(snapshot.maps, feature_maps(model.eval(), test.images[3]), strict=True):
        assert_close(got.values, want.values)
    assert_close(snapshot.probabilities, torch.softmax(snapshot.maps[-1].values, 0))


def test_same_seed_same_run_on_cpu(tiny_fashion):
    train, test = tiny_fashion
    config = TrainConfig(batch_size=32, steps=8, device="cpu", seed=3, report_every_s=0)
    a = [m.train_loss for m in train_lenet(build_lenet(seed=1), train, test, config)]
    b = [m.train_loss for m in train_lenet(build_lenet(seed=1), train, test, config)]
    assert a == b


def test_stopping_by_closing_the_generator(tiny_fashion):
    train, _ = tiny_fashion
    config = TrainConfig(batch_size=8, steps=50, device="cpu", report_every_s=0)
    model = build_lenet()
    before = model.net[0].weight.detach().clone()
    run = train_lenet(model, train, None, config)
    first = next(run)
    run.close()
    assert first.step == 1
    assert first.images == 8
    assert not torch.equal(model.net[0].weight, before)  # one step was taken and kept
    assert model.net[0].weight.is_contiguous()  # the plain layout is back after closing


@pytest.mark.slow  # 300 steps each: about 1.5 s alone, 20 s on a busy 2-core machine
@pytest.mark.parametrize("variant", ["modern", "classic"])
def test_the_default_hyperparameters_learn(variant):
    """Each variant's defaults bring the loss well down on generated shapes (chance: ln 10)."""
    train = shapes_split(True, n=640)
    config = replace(default_training(VARIANTS[variant]), steps=300, device="cpu",
                     report_every_s=1e9, test_every=25)
    history = list(train_lenet(build_lenet(VARIANTS[variant]), train, None, config))
    first, last = history[0].train_loss, history[-1].train_loss
    assert first > 0.6 * math.log(10)  # the first 25 steps start near chance
    assert last < 0.2 * math.log(10)


def test_each_variant_has_its_own_defaults():
    assert default_training(VARIANTS["classic"]) is TRAINING_DEFAULTS["classic"]
    assert default_training(VARIANTS["modern"]) is TRAINING_DEFAULTS["modern"]
    assert default_training(replace(VARIANTS["modern"], activation="tanh")) is \
        TRAINING_DEFAULTS["modern"]
    assert TrainConfig().epochs(1810) == pytest.approx(600 * 64 / 1810)


def test_bad_hyperparameters_are_rejected():
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="learning rate"):
        TrainConfig(lr=0)
    with pytest.raises(ValueError, match="batch size"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="Steps"):
        TrainConfig(steps=0)


def test_the_consumer_can_ask_for_points_more_often(tiny_fashion):
    """A paced worker sends a shorter interval so that its page still gets 4 points a second."""
    train, _ = tiny_fashion
    config = TrainConfig(batch_size=8, steps=20, device="cpu", report_every_s=1e9, test_every=5)
    run = train_lenet(build_lenet(), train, None, config)
    assert next(run).step == 5  # only the test points are due
    assert run.send(0.0).step == 6  # from now on every step is due
    assert run.send(1e9).step == 10
    run.close()
