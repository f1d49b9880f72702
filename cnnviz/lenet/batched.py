"""Many LeNets of one architecture trained together in batched steps (a class at once).

The models' weights are stacked (torch.func.stack_module_state) and one forward and backward
pass steps all of them, convolutions as grouped convolutions and dense layers as batched
matrix products: on a GPU one launch instead of K, on a CPU fewer, larger operations. Each
model keeps its own seed (initial weights and data order) and learning rate, and ends equal
to training it alone with cnnviz.lenet.train.train_lenet.

Members come and go between steps (:meth:`TrainTogether.add`, :meth:`TrainTogether.remove`):
a student who presses Train while others' models are being trained joins the running stack at
its own step 0, and each model ends at its own last step. Members at different places in
their passes over the data have batches of different lengths (the last one of a pass is
short); the short ones are padded and the padding is left out of every loss and count, so it
changes no model.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import stack_module_state

from cnnviz.device import choose_device
from cnnviz.lenet.checkpoint import Checkpoint, take
from cnnviz.lenet.data import ImageSet, as_batch
from cnnviz.lenet.model import LeNet, LeNetConfig, build_lenet
from cnnviz.lenet.stacked import StackedOptimizer
from cnnviz.lenet.train import Metrics, PointClock, TrainConfig, batch_indices, make_optimizer

CPU_CHUNK = 8  # models per forward and backward pass on a CPU (see TrainTogether._chunks)


def shared_part(config: TrainConfig) -> TrainConfig:
    """What models trained together must share: optimizer, batch size, device, point rate.

    Seed, learning rate, steps, test points and the watched image are each model's own.
    """
    return replace(config, seed=0, lr=1.0, steps=1, test_every=1, test_sample=1, watch_index=0)


@dataclass
class _Member:
    """One model's own run: its request, data order and running sums since its last point."""

    config: TrainConfig
    order: Iterator[torch.Tensor]
    step: int = 0
    seen: int = 0
    window: int = 0  # images since the last point
    loss_sum: float = 0.0
    correct: int = 0
    active_at_join: float = 0.0  # the clock's training time when it joined

    @property
    def finished(self) -> bool:
        return self.step >= self.config.steps


class TrainTogether:
    """Train one LeNet per member, all of ``architecture``, in shared batched steps.

    ``requests``: the first members (identical ones computed once, keyed by their place in
    :attr:`unique`); more may join with :meth:`add`. :meth:`run` trains the first members to
    their end; :meth:`step` is one step of whoever is a member then.
    """

    def __init__(self, architecture: LeNetConfig, train_set: ImageSet,
                 test_set: ImageSet | None, requests: Sequence[TrainConfig] = ()):
        self.architecture, self.train_set, self.test_set = architecture, train_set, test_set
        self.requests = list(requests)
        self.unique = list(dict.fromkeys(self.requests))  # identical requests: one computation
        self._slot = [self.unique.index(c) for c in self.requests]
        self._base = build_lenet(architecture, seed=None).to("meta")  # its layers' settings
        self._members: dict[Hashable, _Member] = {}  # in stack order
        self._shared: TrainConfig | None = None
        self.device: torch.device | None = None
        self.params: dict[str, torch.Tensor] = {}
        self._optimizer: StackedOptimizer | None = None
        self._pending: list[tuple[Hashable, TrainConfig]] = []  # join at the next step
        self._removed: set[Hashable] = set()
        self.clock: PointClock | None = None
        self.point_every_s: float | None = None  # None: the requests' report_every_s
        self._stack_steps = 0  # steps of the stack: each member steps once in each
        for key, config in enumerate(self.unique):
            self.add(key, config)
        if self.unique:
            self._apply()

    @property
    def keys(self) -> list[Hashable]:
        """The members, in the order they joined (those joining at the next step last)."""
        return [k for k in self._members if k not in self._removed] + \
            [k for k, _ in self._pending]

    def add(self, key: Hashable, config: TrainConfig) -> None:
        """A fresh model (built from ``config.seed``) joins at its step 0 before the next step."""
        if key in self._members or any(k == key for k, _ in self._pending):
            raise ValueError(f"Member {key!r} is already being trained.")
        if self._shared is None:
            self._shared = shared_part(config)
            self.device = choose_device(None if config.device == "auto" else config.device)
            self._images = self.train_set.images.to(self.device)  # (N, 28, 28) uint8
            self._labels = self.train_set.labels.to(self.device)  # (N,)
        elif shared_part(config) != self._shared:
            raise ValueError("Models trained together need the same optimizer, batch size and "
                             "device; seed, learning rate and steps may differ.")
        self._pending.append((key, config))

    def remove(self, key: Hashable) -> None:
        """``key`` leaves before the next step (its model is then gone)."""
        if key in self._members:
            self._removed.add(key)
        self._pending = [(k, c) for k, c in self._pending if k != key]

    def _apply(self) -> None:
        """Rebuild the stacks for the members that joined and left since the last step."""
        if not self._pending and not self._removed:
            return
        keys = list(self._members)
        keep = torch.tensor([i for i, k in enumerate(keys) if k not in self._removed],
                            dtype=torch.int64, device=self.device)
        fresh = [build_lenet(self.architecture, seed=c.seed).to(self.device)
                 for _, c in self._pending]
        new_params, _ = stack_module_state(fresh) if fresh else ({}, None)
        params = {}
        for name in (self.params or new_params):
            parts = [self.params[name].detach().index_select(0, keep)] if self.params else []
            parts += [new_params[name].detach()] if fresh else []
            params[name] = torch.cat(parts).requires_grad_()
        active = self.clock.active if self.clock is not None else 0.0
        for key in self._removed:
            del self._members[key]
        for key, config in self._pending:
            order = batch_indices(len(self._labels), config.batch_size, config.seed, self.device)
            self._members[key] = _Member(config, order, active_at_join=active)
        lrs = torch.tensor([m.config.lr for m in self._members.values()], device=self.device)
        self.params = params
        if self._optimizer is None:
            self._optimizer = StackedOptimizer(params, self._shared.optimizer, lrs)
        else:
            self._optimizer.rebuild(params, keep, lrs, len(fresh))
        if self.clock is None:
            self.clock = PointClock(self._shared.report_every_s)
        self._pending, self._removed = [], set()

    def _logits(self, params: dict[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        """Every model's class scores for its own batch: (K, B, 1, 28, 28) -> (K, B, classes).

        The layers of LeNet.net, each applied to all K models at once: a convolution as one
        grouped convolution over the models' channels (channels-last on a CPU, oneDNN's fast
        layout), a dense layer as one batched matrix product; activations and pooling act on
        every channel alike. The same sums as K separate models.
        """
        k, b = X.shape[:2]
        h = X.transpose(0, 1).reshape(b, -1, *X.shape[3:])  # (B, K*C, H, W): model-major
        layout = torch.channels_last if self.device.type == "cpu" else torch.contiguous_format
        h = h.to(memory_format=layout)
        for i, layer in enumerate(self._base.net):
            weight, bias = params.get(f"net.{i}.weight"), params.get(f"net.{i}.bias")
            if isinstance(layer, nn.Conv2d):
                # The weights in the layout too (restrided, as nn.Module.to does): a tensor
                # with one channel counts as both layouts, and torch then chose the plain one
                # for the first layer's output (its max pooling took twice as long).
                h = F.conv2d(h, weight.flatten(0, 1).to(memory_format=layout),
                             bias.flatten(), layer.stride, layer.padding, layer.dilation,
                             groups=k)
            elif isinstance(layer, nn.Flatten):
                h = h.reshape(b, k, -1).transpose(0, 1)  # (K, B, features), each model's C,H,W
            elif isinstance(layer, nn.Linear):
                h = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))  # (K, B, out)
            else:
                h = layer(h)  # activation or pooling, channel by channel
        return h

    def _batches(self) -> tuple[torch.Tensor, torch.Tensor | None, list[int]]:
        """Every member's next batch of indices (K, B); a mask when some are short."""
        batches = [next(m.order) for m in self._members.values()]
        sizes = [len(b) for b in batches]
        longest = max(sizes)
        if min(sizes) == longest:
            return torch.stack(batches), None, sizes
        padded = torch.zeros((len(batches), longest), dtype=torch.int64, device=self.device)
        mask = torch.zeros((len(batches), longest), device=self.device)
        for i, b in enumerate(batches):
            padded[i, :len(b)] = b
            mask[i, :len(b)] = 1
        return padded, mask, sizes

    def step(self) -> dict[Hashable, Metrics]:
        """One optimizer step of every member; the points due now, by member.

        A member's point is due every report_every_s (for all at once), at its steps that are
        multiples of test_every (with test accuracy) and at its last step (on all test images).
        A member whose last point this was stays until :meth:`remove` (read its model first).
        """
        self._apply()
        members = [m for m in self._members.values() if not m.finished]
        if len(members) != len(self._members):
            raise RuntimeError("Remove the members that have finished before the next step.")
        if not members:
            return {}
        idx, mask, sizes = self._batches()  # (K, B)
        X = as_batch(self._images[idx.flatten()]).view(*idx.shape, 1, *self._images.shape[1:])
        y = self._labels[idx]  # (K, B)
        self._optimizer.zero_grad()
        loss_values, correct = [], []
        for rows in self._chunks(len(members)):
            params = {n: p[rows] for n, p in self.params.items()}
            logits = self._logits(params, X[rows])  # (k, B, classes)
            per_image = F.cross_entropy(logits.flatten(0, 1), y[rows].flatten(),
                                        reduction="none").view(y[rows].shape)
            right = logits.detach().argmax(2) == y[rows]
            if mask is None:
                losses = per_image.mean(1)  # (k,)
            else:  # padding counts for nothing: each model's mean over its own images
                counts = torch.tensor(sizes[rows], device=self.device, dtype=per_image.dtype)
                losses = (per_image * mask[rows]).sum(1) / counts
                right = right & mask[rows].bool()
            losses.sum().backward()  # model k's weights get exactly its own loss's gradient
            loss_values += losses.detach().tolist()
            correct += right.sum(1).tolist()
        self._optimizer.step()
        self._stack_steps += 1
        for member, size, loss, hits in zip(members, sizes, loss_values, correct, strict=True):
            member.step += 1
            member.seen += size
            member.window += size
            member.loss_sum += loss * size
            member.correct += hits
        return self._points()

    def _chunks(self, k: int) -> list[slice]:
        """The stack in parts of at most CPU_CHUNK models on a CPU (one part on a GPU).

        Eight LeNets' activations of a batch of 64 fit the caches; thirty did not, and cost
        about 30 % more per model and step. Each part's backward pass adds its gradients to
        the stacked weights' own rows only.
        """
        size = CPU_CHUNK if self.device.type == "cpu" else k
        return [slice(a, min(a + size, k)) for a in range(0, k, size)]

    def _points(self) -> dict[Hashable, Metrics]:
        """The Metrics of the members whose point is due after this step."""
        due, testable = self.clock.due(), self.test_set is not None and len(self.test_set)
        keys = list(self._members)
        chosen, counts = [], {}  # places with a point; test images of those tested now
        for i, m in enumerate(self._members.values()):
            on_test = m.finished or m.step % m.config.test_every == 0
            if due or on_test:
                chosen.append(i)
            if on_test and testable:
                counts[i] = (len(self.test_set) if m.finished
                             else min(m.config.test_sample, len(self.test_set)))
        if not chosen:
            return {}
        accuracies = {}
        for count in set(counts.values()):
            group = [i for i, c in counts.items() if c == count]
            accuracies.update(zip(group, self.evaluate(count, group), strict=True))
        self.clock.point(self._stack_steps)
        points = {}
        for i in chosen:
            m = self._members[keys[i]]
            acc = accuracies.get(i)
            points[keys[i]] = Metrics(
                m.step, m.config.steps, m.seen, m.seen / len(self._labels),
                m.loss_sum / m.window, m.correct / m.window, acc,
                counts[i] if acc is not None else 0, self.clock.active - m.active_at_join,
                self.clock.step_seconds)
            m.window, m.loss_sum, m.correct = 0, 0.0, 0
        self.clock.resume(self.point_every_s)
        return points

    def run(self) -> Iterator[list[Metrics]]:
        """Train the first members to their end; at each point one Metrics per request."""
        while any(not m.finished for m in self._members.values()):
            points = self.step()
            if points:
                yield [points[slot] for slot in self._slot]

    @torch.no_grad()
    def evaluate(self, count: int, members: Sequence[int] | None = None,
                 chunk: int = 256) -> list[float]:
        """The accuracy on the first ``count`` test images of the members at these places."""
        members = list(range(len(self._members))) if members is None else list(members)
        test_images = self.test_set.images[:count].to(self.device)
        test_labels = self.test_set.labels[:count].to(self.device)
        rows = torch.tensor(members, dtype=torch.int64, device=self.device)
        params = {n: p.detach().index_select(0, rows) for n, p in self.params.items()}
        correct = torch.zeros(len(members), dtype=torch.int64, device=self.device)
        for start in range(0, count, chunk):
            X = as_batch(test_images[start:start + chunk])  # the same images for every model
            logits = self._logits(params, X.expand(len(members), *X.shape))  # (K, B, C)
            correct += (logits.argmax(2) == test_labels[start:start + chunk]).sum(1)
        return (correct / max(count, 1)).tolist()

    def _row(self, key: Hashable) -> int:
        try:
            return list(self._members).index(key)
        except ValueError:
            raise KeyError(f"{key!r} is not being trained here.") from None

    def model(self, key: Hashable) -> LeNet:
        """A copy of member ``key``'s model now (CPU, eval mode)."""
        row = self._row(key)
        model = build_lenet(self.architecture, seed=None)
        model.load_state_dict({n: p[row].detach().cpu() for n, p in self.params.items()})
        return model.eval()

    def checkpoint(self, key: Hashable) -> Checkpoint:
        """Member ``key``'s run now, as if trained alone.

        Its optimizer state is in torch.optim's format, so that train_lenet goes on from it.
        """
        row, member = self._row(key), self._members[key]
        model = self.model(key)
        optimizer = make_optimizer(model, member.config)
        moments, t = self._optimizer.moments, int(self._optimizer.t[row].item())
        if self._optimizer.kind == "adam" and t:
            for name, p in model.named_parameters():
                m, v = moments[name]
                optimizer.state[p] = {"step": torch.tensor(float(t)),
                                      "exp_avg": m[row].detach().cpu().clone(),
                                      "exp_avg_sq": v[row].detach().cpu().clone()}
        return take(member.step, model, optimizer)

    def models(self) -> list[LeNet]:
        """Each first request's own model (CPU, eval mode): identical requests get equal copies."""
        return [self.model(slot) for slot in self._slot]
