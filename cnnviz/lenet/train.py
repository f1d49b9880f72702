"""Training LeNet as a generator of metrics (chapter: LeNet, Training); it never plots."""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.device import choose_device
from cnnviz.lenet.checkpoint import Checkpoint
from cnnviz.lenet.data import ImageSet, as_batch
from cnnviz.lenet.inspection import LayerOutput, feature_maps
from cnnviz.lenet.model import LeNet, LeNetConfig

OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters; the defaults are the modern LeNet's (see TRAINING_DEFAULTS).

    A run is a budget of optimizer steps, not of epochs: the course's 1,810-image subset and the
    full 60,000 images then take the same time (the chapter's 10 epochs of batch 128 are 4,690
    steps on 60,000 images but only 150 on the subset, too few to learn anything).
    """

    optimizer: str = "adam"  # adapts the step size per weight: learns in a few hundred steps
    lr: float = 2e-3  # Adam's usual 1e-3 doubled: the short budget wants fast progress
    batch_size: int = 64  # smaller than the chapter's 128: twice the steps for the same images
    steps: int = 600  # about 4 s on one CPU thread; 0.85 test accuracy on the course subset
    seed: int = 0  # shuffling order; the same seed and weights give the same run on a CPU
    device: str = "auto"  # auto | cuda | mps | cpu
    report_every_s: float = 0.25  # seconds between live points (0: after every step)
    test_every: int = 100  # steps between test-accuracy points (the last step is always tested)
    test_sample: int = 1000  # test images for the points in between; the last uses them all
    watch_index: int = 0  # the test image whose feature maps the live points carry

    def __post_init__(self):
        """Reject values training cannot run with, in plain words."""
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}: choose sgd or adam.")
        if not 0 < self.lr <= 10:
            raise ValueError(f"The learning rate must be above 0 and at most 10, got {self.lr}.")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError(f"The batch size must be 1 to 4096, got {self.batch_size}.")
        if not 1 <= self.steps <= 100_000:
            raise ValueError(f"Steps must be 1 to 100,000, got {self.steps}.")
        if self.report_every_s < 0 or self.test_every < 1 or self.test_sample < 1:
            raise ValueError("report_every_s must be >= 0, test_every and test_sample >= 1.")

    def epochs(self, train_images: int) -> float:
        """How many passes over a training set of ``train_images`` this run makes."""
        return self.steps * self.batch_size / max(train_images, 1)


TRAINING_DEFAULTS = {
    "modern": TrainConfig(),
    # Sigmoids saturate, so plain SGD at the chapter's lr 0.1 barely moves in a few hundred
    # steps (9 % on the course subset: every image one class). Adam with a larger step gets the
    # gradients through: about 0.76 on the subset in 800 steps (about 5 s on one CPU thread).
    "classic": TrainConfig(lr=5e-3, steps=800),
}


def default_training(config: LeNetConfig) -> TrainConfig:
    """The hyperparameters that learn for this architecture: sigmoid nets get the classic's."""
    return TRAINING_DEFAULTS["classic" if config.activation == "sigmoid" else "modern"]


def fingerprint(*parts) -> str:
    """A digest of tensors (their values) and other parts (their repr): equal parts, equal text."""
    h = hashlib.sha1()
    for part in parts:
        if isinstance(part, torch.Tensor):
            h.update(part.detach().cpu().contiguous().numpy().tobytes())
        else:
            h.update(repr(part).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """What the network has learned at one moment: first-layer kernels, one image's activations."""

    kernels: torch.Tensor  # (C1, 1, k, k) the first convolution's weights
    image_index: int  # which test image
    maps: tuple[LayerOutput, ...]  # every layer's output for that image
    probabilities: torch.Tensor  # (classes,)


@dataclass(frozen=True)
class Metrics:
    """One live point: means over the batches since the previous point, test accuracy at times."""

    step: int  # optimizer steps done since the start
    steps_total: int
    images: int  # images seen since the start
    epochs: float  # passes over the training set so far (images / training images)
    train_loss: float  # mean over the batches since the previous point
    train_acc: float
    test_acc: float | None  # on the points every test_every steps and the last one
    test_images: int  # how many test images test_acc was measured on (0: none)
    seconds: float  # training time so far, pauses excluded
    step_seconds: float  # measured wall seconds per step over the last few seconds
    snapshot: Snapshot | None = None

    @property
    def fraction(self) -> float:
        """Share of all steps done."""
        return self.step / self.steps_total

    @property
    def eta_seconds(self) -> float:
        """Seconds left: the steps left at the measured time per step."""
        return (self.steps_total - self.step) * self.step_seconds

    @property
    def images_per_second(self) -> float:
        """Training throughput so far."""
        return self.images / max(self.seconds, 1e-9)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """SGD (the chapter's choice) or Adam with the configured learning rate."""
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr)
    return torch.optim.SGD(model.parameters(), lr=config.lr)


def batch_indices(n: int, batch_size: int, seed: int, device: torch.device
                  ) -> Iterator[torch.Tensor]:
    """Endless batches of indices into ``n`` images: a new shuffle per pass, the last one short."""
    shuffle = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(n, generator=shuffle).to(device)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
             chunk: int = 256) -> float:
    """Accuracy of ``model`` on uint8 images already on the model's device."""
    was_training = model.training
    model.eval()
    correct = torch.zeros((), dtype=torch.int64, device=images.device)
    for start in range(0, len(labels), chunk):
        logits = model(as_batch(images[start:start + chunk]))
        correct += (logits.argmax(1) == labels[start:start + chunk]).sum()
    model.train(was_training)
    return correct.item() / max(len(labels), 1)


def take_snapshot(model: LeNet, image: torch.Tensor, index: int) -> Snapshot:
    """Copy the first-layer kernels and one image's activations out of a training model."""
    was_training = model.training
    model.eval()
    maps = tuple(feature_maps(model, image))
    with torch.no_grad():
        probabilities = torch.softmax(maps[-1].values, 0)
    model.train(was_training)
    return Snapshot(model.net[0].weight.detach().cpu().clone(), index, maps, probabilities)


def train_lenet(model: LeNet, train_set: ImageSet, test_set: ImageSet | None,
                config: TrainConfig, optimizer: torch.optim.Optimizer | None = None,
                start: Checkpoint | None = None) -> Iterator[Metrics]:
    """Train in place for ``config.steps`` steps, yielding Metrics about every report_every_s.

    ``send(seconds)`` instead of ``next()`` sets the training time until the next point.
    ``optimizer`` (default: make_optimizer(model, config)) is the caller's to read between
    points (cnnviz.lenet.checkpoint.take); ``start`` goes on from a checkpoint of the same run:
    its weights, optimizer state, step and place in the data order.
    """
    # Stop by not asking for the next point (close the generator); pause by waiting to ask.
    # The whole split sits on the device once; each batch is an index into it, no loader.
    device = choose_device(None if config.device == "auto" else config.device)
    # Channels-last is oneDNN's fastest layout for these small convolutions on a CPU (about
    # 1.2-1.5x per step here); the arithmetic is the same convolution.
    layout = torch.channels_last if device.type == "cpu" else torch.contiguous_format
    model.to(device=device, memory_format=layout).train()
    try:
        optimizer = optimizer or make_optimizer(model, config)
        if start is not None:  # after the move: the state lands on the parameters' device
            model.load_state_dict(start.model)
            optimizer.load_state_dict(start.optimizer)
        yield from _train_steps(model, train_set, test_set, config, device, layout, optimizer,
                                start.step if start is not None else 0)
    finally:
        model.to(memory_format=torch.contiguous_format)  # plain layout to save and inspect


class PointClock:
    """Decides when a live point is due and measures the wall seconds per step.

    The step time is the wall time over the last ``window_s`` seconds of points divided by the
    steps done in it: it includes what the consumer does between points (a paced worker's
    sleeps, a busy machine), so the ETA is in wall time.
    """

    def __init__(self, every_s: float, window_s: float = 4.0):
        self.every_s, self.window_s, self.active = every_s, window_s, 0.0
        self._resumed = time.perf_counter()
        self._points: deque[tuple[float, int]] = deque([(self._resumed, 0)])

    def due(self) -> bool:
        """Whether every_s of training has passed since the consumer last asked for more."""
        return time.perf_counter() - self._resumed >= self.every_s

    def point(self, step: int) -> None:
        """Account the time up to a point at ``step``."""
        now = time.perf_counter()
        self.active += now - self._resumed
        while len(self._points) > 1 and now - self._points[1][0] >= self.window_s:
            self._points.popleft()  # keep one point at least window_s old
        self._points.append((now, step))

    @property
    def step_seconds(self) -> float:
        """Wall seconds per step over the window."""
        (t0, s0), (t1, s1) = self._points[0], self._points[-1]
        return (t1 - t0) / (s1 - s0) if s1 > s0 else 0.0

    def resume(self, every_s: float | None = None) -> None:
        """The consumer asks for more (``every_s``: a new interval): training time counts again."""
        self._resumed = time.perf_counter()
        if every_s is not None:
            self.every_s = every_s


def _train_steps(model: LeNet, train_set: ImageSet, test_set: ImageSet | None,
                 config: TrainConfig, device: torch.device, layout: torch.memory_format,
                 optimizer: torch.optim.Optimizer, start_step: int) -> Iterator[Metrics]:
    """The loop of train_lenet: index the preloaded split, step, keep running sums."""
    images = train_set.images.to(device)  # (N, 28, 28) uint8
    labels = train_set.labels.to(device)  # (N,)
    if test_set is not None and len(test_set):
        test_images, test_labels = test_set.images.to(device), test_set.labels.to(device)
        watch = min(config.watch_index, len(test_set) - 1)
    else:
        test_set = None
    order = batch_indices(len(labels), config.batch_size, config.seed, device)
    loss_sum = torch.zeros((), device=device)  # kept on the device: no sync per batch
    correct = torch.zeros((), dtype=torch.int64, device=device)
    seen = sum(len(next(order)) for _ in range(start_step))  # the batches already trained on
    window = 0
    clock = PointClock(config.report_every_s)
    for step in range(start_step + 1, config.steps + 1):
        idx = next(order)
        X = as_batch(images[idx]).contiguous(memory_format=layout)  # (B, 1, 28, 28)
        y = labels[idx]  # (B,)
        logits = model(X)  # (B, classes)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * len(y)
        correct += (logits.detach().argmax(1) == y).sum()
        seen, window = seen + len(y), window + len(y)
        last, tested = step == config.steps, step % config.test_every == 0
        if not (last or tested or clock.due()):
            continue
        test_acc, test_count, snapshot = None, 0, None
        if test_set is not None:
            if last or tested:
                test_count = len(test_labels) if last else min(config.test_sample,
                                                               len(test_labels))
                test_acc = evaluate(model, test_images[:test_count], test_labels[:test_count])
            snapshot = take_snapshot(model, test_set.images[watch], watch)
        mean_loss, acc = loss_sum.item() / window, correct.item() / window
        loss_sum.zero_()
        correct.zero_()
        window = 0
        clock.point(step)
        interval = yield Metrics(step, config.steps, seen, seen / len(labels), mean_loss, acc,
                                 test_acc, test_count, clock.active, clock.step_seconds, snapshot)
        clock.resume(interval)
