"""Training LeNets together in batched steps equals training each alone (against torch)."""

from dataclasses import replace

import pytest
import torch
from torch.testing import assert_close

from cnnviz.lenet.batched import TrainTogether
from cnnviz.lenet.model import VARIANTS, build_lenet
from cnnviz.lenet.shapes import shapes_split
from cnnviz.lenet.train import TrainConfig, train_lenet

TRAIN, TEST = shapes_split(True, n=100), shapes_split(False, n=30)


def request(optimizer, lr, seed, steps=8):
    return TrainConfig(optimizer=optimizer, lr=lr, batch_size=16, steps=steps, seed=seed,
                       device="cpu", report_every_s=1e9, test_every=4)


@pytest.mark.parametrize(("variant", "optimizer", "lrs"), [
    ("modern", "adam", (1e-3, 1e-2)), ("classic", "sgd", (0.1, 0.9)),
    ("classic", "adam", (5e-3, 1e-3))])
def test_each_model_ends_as_if_trained_alone(variant, optimizer, lrs):
    requests = [request(optimizer, lr, seed) for seed, lr in enumerate(lrs)]
    together = TrainTogether(VARIANTS[variant], TRAIN, TEST, requests)
    points = list(together.run())
    assert [len(p) for p in points] == [len(requests)] * len(points)
    for i, (config, model) in enumerate(zip(requests, together.models(), strict=True)):
        alone = build_lenet(VARIANTS[variant], seed=config.seed)
        history = list(train_lenet(alone, TRAIN, TEST, config))
        # Batched and plain convolutions add in different orders; Adam divides by the root
        # of the squared gradients, so a weight whose gradient is almost zero can move by a
        # visible part of lr on such a last-bit difference (seen: 1 weight in 10,080).
        atol = 1e-5 if optimizer == "sgd" else 0.05 * config.lr
        for name, value in alone.state_dict().items():
            assert_close(model.state_dict()[name], value, rtol=1e-4, atol=atol)
        mine = [p[i] for p in points]
        assert [m.step for m in mine] == [m.step for m in history] == [4, 8]
        assert [m.images for m in mine] == [m.images for m in history]
        assert [m.train_loss for m in mine] == pytest.approx([m.train_loss for m in history],
                                                             rel=1e-4)
        assert [m.test_acc for m in mine] == pytest.approx([m.test_acc for m in history],
                                                           abs=1.5 / len(TEST))
        assert mine[-1].test_images == len(TEST)


def test_identical_requests_share_one_computation_but_get_their_own_models():
    a, b = request("adam", 2e-3, seed=0), request("adam", 2e-3, seed=1)
    together = TrainTogether(VARIANTS["modern"], TRAIN, TEST, [a, b, a])
    assert len(together.unique) == 2  # the third request rides on the first
    last = list(together.run())[-1]
    assert last[0] is last[2]
    models = together.models()
    assert models[0] is not models[2]
    assert all(torch.equal(p, q) for p, q in zip(models[0].parameters(),
                                                 models[2].parameters(), strict=True))
    assert not torch.equal(models[0].net[0].weight, models[1].net[0].weight)
    models[0].net[0].weight.data.zero_()  # a student changing their copy changes no one else's
    assert not torch.equal(models[0].net[0].weight, models[2].net[0].weight)


def test_requests_that_cannot_share_steps_are_refused():
    with pytest.raises(ValueError, match="same optimizer"):
        TrainTogether(VARIANTS["modern"], TRAIN, TEST,
                      [request("adam", 1e-3, 0), request("sgd", 0.1, 0)])
    with pytest.raises(ValueError, match="same optimizer"):
        TrainTogether(VARIANTS["modern"], TRAIN, TEST,
                      [request("adam", 1e-3, 0), replace(request("adam", 1e-3, 0), batch_size=8)])
    late = TrainTogether(VARIANTS["modern"], TRAIN, TEST, [request("adam", 1e-3, 0)])
    with pytest.raises(ValueError, match="same optimizer"):  # joining later: the same rule
        late.add("other", request("sgd", 0.1, 1))
    with pytest.raises(ValueError, match="already"):
        late.add(0, request("adam", 1e-3, 0))


def test_an_empty_stack_trains_nothing_until_someone_joins():
    together = TrainTogether(VARIANTS["modern"], TRAIN, TEST)
    assert together.keys == []
    assert together.step() == {}
    together.add("a", request("adam", 2e-3, 3, steps=4))
    assert together.keys == ["a"]
    while not (points := together.step()):
        pass
    assert points["a"].step == 4


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_models_that_join_a_running_stack_end_as_if_trained_alone(optimizer):
    """Joined at different steps, their passes over the data are out of step: the short last
    batch of one pass (100 images, batch 16: 4 images) meets others' full batches."""
    lr = 0.1 if optimizer == "sgd" else 3e-3
    first, second, third = (request(optimizer, lr * (i + 1), seed=i, steps=14) for i in range(3))
    together = TrainTogether(VARIANTS["modern"], TRAIN, TEST, [first])
    histories = {0: [], "second": [], "third": []}
    finished = {}
    stack_step = 0
    while together.keys:
        stack_step += 1
        if stack_step == 3:
            together.add("second", second)
        if stack_step == 6:
            together.add("third", third)
        for key, metrics in together.step().items():
            histories[key].append(metrics)
            if metrics.step == metrics.steps_total:
                finished[key] = together.model(key)
                together.remove(key)
    assert stack_step == 5 + 14  # the third joined before stack step 6 and took its 14 steps
    for key, config in ((0, first), ("second", second), ("third", third)):
        alone = build_lenet(VARIANTS["modern"], seed=config.seed)
        history = list(train_lenet(alone, TRAIN, TEST, config))
        atol = 1e-5 if optimizer == "sgd" else 0.05 * config.lr
        for name, value in alone.state_dict().items():
            assert_close(finished[key].state_dict()[name], value, rtol=1e-4, atol=atol)
        mine = [m for m in histories[key] if m.test_acc is not None]
        assert [m.step for m in mine] == [m.step for m in history] == [4, 8, 12, 14]
        assert [m.images for m in mine] == [m.images for m in history]
        assert mine[-1].images == 14 * 16 - 2 * 12  # two passes of 7 steps, each ends short
        assert [m.test_acc for m in mine] == pytest.approx([m.test_acc for m in history],
                                                           abs=1.5 / len(TEST))


def test_a_stack_trained_in_parts_equals_one_trained_whole(monkeypatch):
    from cnnviz.lenet import batched

    requests = [request("adam", 1e-3 * (i + 1), seed=i, steps=8) for i in range(5)]
    whole = TrainTogether(VARIANTS["classic"], TRAIN, TEST, requests)
    whole_points = list(whole.run())
    monkeypatch.setattr(batched, "CPU_CHUNK", 2)  # parts of 2, 2 and 1 models
    parts = TrainTogether(VARIANTS["classic"], TRAIN, TEST, requests)
    assert len(parts._chunks(5)) == 3
    parts_points = list(parts.run())
    for a, b in zip(whole.models(), parts.models(), strict=True):
        for name, value in a.state_dict().items():
            assert_close(b.state_dict()[name], value, rtol=1e-4, atol=1e-5)  # sums' order
    assert [m.train_loss for p in parts_points for m in p] == pytest.approx(
        [m.train_loss for p in whole_points for m in p], rel=1e-5)
