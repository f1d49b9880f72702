"""Many LeNets of one architecture trained together in batched steps (a class at once).

The models' weights are stacked (torch.func.stack_module_state) and one forward and backward
pass steps all of them, convolutions as grouped convolutions and dense layers as batched
matrix products: on a GPU one launch instead of K, on a CPU fewer, larger operations. Each
model keeps its own seed (initial weights and data order) and learning rate, and ends equal
to training it alone with cnnviz.lenet.train.train_lenet. Identical requests (same
architecture, data and hyperparameters, seed included) are computed once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import stack_module_state

from cnnviz.device import choose_device
from cnnviz.lenet.checkpoint import Checkpoint, take
from cnnviz.lenet.data import ImageSet, as_batch
from cnnviz.lenet.model import LeNet, LeNetConfig, build_lenet
from cnnviz.lenet.train import Metrics, PointClock, TrainConfig, batch_indices, make_optimizer

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults


def shared_part(config: TrainConfig) -> TrainConfig:
    """What models trained together must share: all but the seed and the learning rate."""
    return replace(config, seed=0, lr=1.0)


class StackedOptimizer:
    """SGD or Adam on stacked weights (K, ...) with one learning rate per model.

    The same arithmetic as torch.optim.SGD / Adam with their default settings, per element.
    """

    def __init__(self, params: dict[str, torch.Tensor], kind: str, lrs: torch.Tensor):
        self.params, self.kind, self.t = params, kind, 0
        self.lrs = lrs  # (K,)
        self.moments = {n: (torch.zeros_like(p), torch.zeros_like(p)) for n, p in params.items()}

    @torch.no_grad()
    def step(self) -> None:
        """One update of every model from the gradients in ``.grad``."""
        self.t += 1
        b1, b2 = ADAM_BETAS
        for name, p in self.params.items():
            lr = self.lrs.view(-1, *[1] * (p.dim() - 1))  # (K, 1, ...)
            if self.kind == "sgd":
                p.sub_(lr * p.grad)
                continue
            m, v = self.moments[name]
            m.lerp_(p.grad, 1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            denom = (v.sqrt() / math.sqrt(1 - b2 ** self.t)).add_(ADAM_EPS)
            p.sub_(lr / (1 - b1 ** self.t) * (m / denom))

    def zero_grad(self) -> None:
        """Drop the gradients of the previous step."""
        for p in self.params.values():
            p.grad = None


class TrainTogether:
    """Train one LeNet per request, all of ``architecture``, in shared batched steps."""

    def __init__(self, architecture: LeNetConfig, train_set: ImageSet,
                 test_set: ImageSet | None, requests: Sequence[TrainConfig]):
        if not requests:
            raise ValueError("Nothing to train: no requests.")
        if len({shared_part(c) for c in requests}) != 1:
            raise ValueError("Models trained together need the same optimizer, batch size, "
                             "steps and device; only the seed and learning rate may differ.")
        self.architecture, self.train_set, self.test_set = architecture, train_set, test_set
        self.requests = list(requests)
        self.unique = list(dict.fromkeys(self.requests))  # identical requests: one computation
        self._slot = [self.unique.index(c) for c in self.requests]
        self.device = choose_device(None if requests[0].device == "auto" else requests[0].device)
        models = [build_lenet(architecture, seed=c.seed).to(self.device) for c in self.unique]
        self.params, _ = stack_module_state(models)  # name -> (K, ...) leaf tensors
        self._base = build_lenet(architecture, seed=None).to("meta")  # its layers' settings

    def _logits(self, params: dict[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        """Every model's class scores for its own batch: (K, B, 1, 28, 28) -> (K, B, classes).

        The layers of LeNet.net, each applied to all K models at once: a convolution as one
        grouped convolution over the models' channels (channels-last on a CPU, oneDNN's fast
        layout), a dense layer as one batched matrix product; activations and pooling act on
        every channel alike. The same sums as K separate models.
        """
        k, b = X.shape[:2]
        h = X.transpose(0, 1).reshape(b, -1, *X.shape[3:])  # (B, K*C, H, W): model-major
        if self.device.type == "cpu":
            h = h.contiguous(memory_format=torch.channels_last)
        for i, layer in enumerate(self._base.net):
            weight, bias = params.get(f"net.{i}.weight"), params.get(f"net.{i}.bias")
            if isinstance(layer, nn.Conv2d):
                h = F.conv2d(h, weight.flatten(0, 1), bias.flatten(), layer.stride,
                             layer.padding, layer.dilation, groups=k)
            elif isinstance(layer, nn.Flatten):
                h = h.reshape(b, k, -1).transpose(0, 1)  # (K, B, features), each model's C,H,W
            elif isinstance(layer, nn.Linear):
                h = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))  # (K, B, out)
            else:
                h = layer(h)  # activation or pooling, channel by channel
        return h

    def run(self) -> Iterator[list[Metrics]]:
        """Train every model; about every report_every_s yield one Metrics per request."""
        config, k = self.unique[0], len(self.unique)
        images = self.train_set.images.to(self.device)  # (N, 28, 28) uint8
        labels = self.train_set.labels.to(self.device)  # (N,)
        orders = [batch_indices(len(labels), config.batch_size, c.seed, self.device)
                  for c in self.unique]
        lrs = torch.tensor([c.lr for c in self.unique], device=self.device)
        optimizer = self._optimizer = StackedOptimizer(self.params, config.optimizer, lrs)
        loss_sum = torch.zeros(k, device=self.device)
        correct = torch.zeros(k, dtype=torch.int64, device=self.device)
        seen = window = 0
        clock = PointClock(config.report_every_s)
        for step in range(1, config.steps + 1):
            idx = torch.stack([next(order) for order in orders])  # (K, B)
            X = as_batch(images[idx.flatten()]).view(*idx.shape, 1, *images.shape[1:])
            y = labels[idx]  # (K, B)
            logits = self._logits(self.params, X)  # (K, B, classes)
            losses = F.cross_entropy(logits.flatten(0, 1), y.flatten(),
                                     reduction="none").view(idx.shape).mean(1)  # (K,)
            optimizer.zero_grad()
            losses.sum().backward()  # model k's weights get exactly its own loss's gradient
            optimizer.step()
            loss_sum += losses.detach() * idx.shape[1]
            correct += (logits.detach().argmax(2) == y).sum(1)
            seen, window = seen + idx.shape[1], window + idx.shape[1]
            last, tested = step == config.steps, step % config.test_every == 0
            if not (last or tested or clock.due()):
                continue
            accuracies, count = [None] * k, 0
            if self.test_set is not None and len(self.test_set) and (last or tested):
                count = len(self.test_set) if last else min(config.test_sample, len(self.test_set))
                accuracies = self.evaluate(count)
            losses_now, acc_now = (loss_sum / window).tolist(), (correct / window).tolist()
            loss_sum.zero_()
            correct.zero_()
            window = 0
            clock.point(step)
            points = [Metrics(step, config.steps, seen, seen / len(labels), losses_now[i],
                              acc_now[i], accuracies[i], count if accuracies[i] is not None
                              else 0, clock.active, clock.step_seconds) for i in range(k)]
            self._step = step
            yield [points[slot] for slot in self._slot]
            clock.resume()

    @torch.no_grad()
    def evaluate(self, count: int, chunk: int = 256) -> list[float]:
        """Every model's accuracy on the first ``count`` test images."""
        test_images = self.test_set.images[:count].to(self.device)
        test_labels = self.test_set.labels[:count].to(self.device)
        params = {n: p.detach() for n, p in self.params.items()}
        correct = torch.zeros(len(self.unique), dtype=torch.int64, device=self.device)
        for start in range(0, count, chunk):
            X = as_batch(test_images[start:start + chunk])  # the same images for every model
            logits = self._logits(params, X.expand(len(self.unique), *X.shape))  # (K, B, C)
            correct += (logits.argmax(2) == test_labels[start:start + chunk]).sum(1)
        return (correct / max(count, 1)).tolist()

    def model(self, index: int) -> LeNet:
        """A copy of the ``index``-th distinct request's model now (CPU, eval mode)."""
        model = build_lenet(self.architecture, seed=None)
        model.load_state_dict({n: p[index].detach().cpu() for n, p in self.params.items()})
        return model.eval()

    def checkpoint(self, index: int) -> Checkpoint:
        """The ``index``-th distinct request's run at the last point, as if trained alone.

        Its optimizer state is in torch.optim's format, so that train_lenet goes on from it.
        """
        model = self.model(index)
        optimizer = make_optimizer(model, self.unique[index])
        moments, t = self._optimizer.moments, self._optimizer.t
        if self._optimizer.kind == "adam" and t:
            for name, p in model.named_parameters():
                m, v = moments[name]
                optimizer.state[p] = {"step": torch.tensor(float(t)),
                                      "exp_avg": m[index].detach().cpu().clone(),
                                      "exp_avg_sq": v[index].detach().cpu().clone()}
        return take(self._step, model, optimizer)

    def models(self) -> list[LeNet]:
        """Each request's own model (CPU, eval mode): identical requests get equal copies."""
        return [self.model(slot) for slot in self._slot]
