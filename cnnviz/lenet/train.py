"""Training LeNet as a generator of metrics (chapter: LeNet, Training); it never plots."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.device import choose_device
from cnnviz.lenet.data import ImageSet

OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters; the defaults are the chapter's (SGD, lr 0.1, batch 128, 10 epochs)."""

    optimizer: str = "sgd"
    lr: float = 0.1
    batch_size: int = 128
    epochs: int = 10
    seed: int = 0  # shuffling order; the same seed and weights give the same run on a CPU
    device: str = "auto"  # auto | cuda | mps | cpu
    report_every: int = 4  # batches between live points: small enough to stop mid-epoch fast

    def __post_init__(self):
        """Reject values training cannot run with, in plain words."""
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}: choose sgd or adam.")
        if not 0 < self.lr <= 10:
            raise ValueError(f"The learning rate must be above 0 and at most 10, got {self.lr}.")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError(f"The batch size must be 1 to 4096, got {self.batch_size}.")
        if not 1 <= self.epochs <= 100:
            raise ValueError(f"Epochs must be 1 to 100, got {self.epochs}.")
        if self.report_every < 1:
            raise ValueError("report_every must be at least 1.")


@dataclass(frozen=True)
class Metrics:
    """One live point: running means over the epoch so far, test accuracy at epoch ends."""

    epoch: int  # 1-based
    step: int  # batches done since the start
    steps_total: int
    steps_per_epoch: int
    images: int  # images seen since the start
    train_loss: float  # mean over the epoch so far (a smoothed curve within the epoch)
    train_acc: float
    test_acc: float | None  # only on the last point of an epoch
    seconds: float  # training time so far, pauses excluded
    epoch_end: bool

    @property
    def fraction(self) -> float:
        """Share of all batches done."""
        return self.step / self.steps_total

    @property
    def eta_seconds(self) -> float:
        """Estimated seconds left at the speed so far."""
        return self.seconds * (1 - self.fraction) / max(self.fraction, 1e-9)

    @property
    def images_per_second(self) -> float:
        """Training throughput so far."""
        return self.images / max(self.seconds, 1e-9)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """SGD (the chapter's choice) or Adam with the configured learning rate."""
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr)
    return torch.optim.SGD(model.parameters(), lr=config.lr)


def as_batch(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) to float (N, 1, 28, 28) in [0, 1], like ToTensor."""
    return images.unsqueeze(1).float().div_(255)


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


def train_lenet(model: nn.Module, train_set: ImageSet, test_set: ImageSet | None,
                config: TrainConfig) -> Iterator[Metrics]:
    """Train in place, yielding Metrics every ``report_every`` batches and at each epoch end."""
    # Stop by not asking for the next point (close the generator); pause by waiting to ask.
    # The whole split sits on the device once; each batch is an index into it, no loader.
    device = choose_device(None if config.device == "auto" else config.device)
    # Channels-last is oneDNN's fastest layout for these small convolutions on a CPU (about
    # 1.2-1.5x per step here); the arithmetic is the same convolution.
    layout = torch.channels_last if device.type == "cpu" else torch.contiguous_format
    model.to(device=device, memory_format=layout).train()
    try:
        yield from _train_epochs(model, train_set, test_set, config, device, layout)
    finally:
        model.to(memory_format=torch.contiguous_format)  # plain layout to save and inspect


def _train_epochs(model: nn.Module, train_set: ImageSet, test_set: ImageSet | None,
                  config: TrainConfig, device: torch.device,
                  layout: torch.memory_format) -> Iterator[Metrics]:
    """The loop of train_lenet: index the preloaded split, step, keep running sums."""
    images = train_set.images.to(device)  # (N, 28, 28) uint8
    labels = train_set.labels.to(device)  # (N,)
    if test_set is not None:
        test_images, test_labels = test_set.images.to(device), test_set.labels.to(device)
    optimizer = make_optimizer(model, config)
    shuffle = torch.Generator().manual_seed(config.seed)
    n, bs = len(labels), config.batch_size
    per_epoch = -(-n // bs)
    steps_total = per_epoch * config.epochs
    step = seen = 0
    active = 0.0
    resumed = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(n, generator=shuffle).to(device)
        loss_sum = torch.zeros((), device=device)  # kept on the device: no sync per batch
        correct = torch.zeros((), dtype=torch.int64, device=device)
        epoch_seen = 0
        for b in range(per_epoch):
            idx = order[b * bs:(b + 1) * bs]
            X = as_batch(images[idx]).contiguous(memory_format=layout)  # (B, 1, 28, 28)
            y = labels[idx]  # (B,)
            logits = model(X)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(y)
            correct += (logits.detach().argmax(1) == y).sum()
            step, seen, epoch_seen = step + 1, seen + len(y), epoch_seen + len(y)
            last = b == per_epoch - 1
            if not last and (b + 1) % config.report_every:
                continue
            test_acc = evaluate(model, test_images, test_labels) if last and test_set else None
            mean_loss, acc = loss_sum.item() / epoch_seen, correct.item() / epoch_seen
            active += time.perf_counter() - resumed
            yield Metrics(epoch, step, steps_total, per_epoch, seen, mean_loss, acc, test_acc,
                          active, last)
            resumed = time.perf_counter()
