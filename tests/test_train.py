"""Training as a generator of metrics, on tiny IDX files read through torchvision."""

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cnnviz.lenet import data
from cnnviz.lenet.model import VARIANTS, build_lenet
from cnnviz.lenet.shapes import shapes_split
from cnnviz.lenet.train import TrainConfig, as_batch, evaluate, train_lenet
from tests.tiny_idx import TRAIN_SIZE


@pytest.fixture(scope="module")
def tiny_fashion(tmp_path_factory):
    """Tiny Fashion-MNIST train and test splits loaded through torchvision."""
    from tests.tiny_idx import write_tiny_datasets

    root = write_tiny_datasets(tmp_path_factory.mktemp("idx"))
    spec = data.DATASETS["fashion"]
    return data.load_split(spec, root, True), data.load_split(spec, root, False)


def test_training_end_to_end_yields_live_and_epoch_metrics(tiny_fashion):
    train, test = tiny_fashion
    config = TrainConfig(optimizer="adam", lr=0.003, batch_size=16, epochs=3, device="cpu",
                         report_every=2)
    history = list(train_lenet(build_lenet(VARIANTS["modern"]), train, test, config))
    per_epoch = -(-TRAIN_SIZE // 16)
    assert history[-1].step == history[-1].steps_total == per_epoch * 3
    ends = [m for m in history if m.epoch_end]
    assert [m.epoch for m in ends] == [1, 2, 3]
    assert all(m.test_acc is not None for m in ends)
    assert all(m.test_acc is None for m in history if not m.epoch_end)
    assert len(history) > len(ends)  # points inside each epoch too
    assert history[-1].images == TRAIN_SIZE * 3
    assert history[-1].fraction == 1.0
    assert history[-1].eta_seconds == pytest.approx(0.0)
    assert ends[-1].train_loss < history[0].train_loss
    assert ends[-1].test_acc > 0.5  # the tiny classes are easy: a bright block per place


def test_metrics_equal_an_independent_reference_loop(tiny_fashion):
    """Same seed, same order: the weights and the reported numbers match a plain loop."""
    train, test = tiny_fashion
    config = TrainConfig(optimizer="sgd", lr=0.1, batch_size=32, epochs=2, device="cpu",
                         report_every=100)
    model = build_lenet(seed=0)
    history = list(train_lenet(model, train, None, config))
    reference = build_lenet(seed=0)
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    shuffle = torch.Generator().manual_seed(0)
    X_all, y_all = train.float_images(), train.labels
    for epoch in range(2):
        order = torch.randperm(len(y_all), generator=shuffle)
        losses, correct = [], 0
        for b in range(0, len(y_all), 32):
            idx = order[b:b + 32]
            logits = reference(X_all[idx])
            loss = F.cross_entropy(logits, y_all[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item() * len(idx))
            correct += (logits.argmax(1) == y_all[idx]).sum().item()
        end = [m for m in history if m.epoch_end][epoch]
        assert end.train_loss == pytest.approx(sum(losses) / len(y_all), rel=1e-5)
        assert end.train_acc == pytest.approx(correct / len(y_all))
    for a, b in zip(model.parameters(), reference.parameters(), strict=True):
        assert_close(a, b)
    assert evaluate(model, test.images, test.labels) == pytest.approx(
        (reference(as_batch(test.images)).argmax(1) == test.labels).float().mean().item())


def test_same_seed_same_run_on_cpu(tiny_fashion):
    train, test = tiny_fashion
    config = TrainConfig(batch_size=32, epochs=1, device="cpu", seed=3)
    a = [m.train_loss for m in train_lenet(build_lenet(seed=1), train, test, config)]
    b = [m.train_loss for m in train_lenet(build_lenet(seed=1), train, test, config)]
    assert a == b


def test_stopping_mid_epoch_by_closing_the_generator(tiny_fashion):
    train, _ = tiny_fashion
    config = TrainConfig(batch_size=8, epochs=2, device="cpu", report_every=1)
    model = build_lenet()
    before = model.net[0].weight.detach().clone()
    run = train_lenet(model, train, None, config)
    first = next(run)
    run.close()
    assert first.step == 1
    assert first.epoch == 1
    assert not first.epoch_end
    assert first.steps_per_epoch == TRAIN_SIZE // 8
    assert not torch.equal(model.net[0].weight, before)  # one step was taken and kept


@pytest.mark.slow  # 3 epochs on 600 images: 0.3 s alone, 6 s on a busy 2-core machine
def test_training_on_the_offline_shapes_learns():
    train, test = shapes_split(True, n=600), shapes_split(False, n=200)
    config = TrainConfig(optimizer="adam", lr=0.003, batch_size=32, epochs=3, device="cpu")
    last = list(train_lenet(build_lenet(VARIANTS["modern"]), train, test, config))[-1]
    assert last.test_acc > 0.5  # chance is 0.1


def test_bad_hyperparameters_are_rejected():
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="learning rate"):
        TrainConfig(lr=0)
    with pytest.raises(ValueError, match="batch size"):
        TrainConfig(batch_size=0)

