"""Where a run stands between two points: weights, optimizer state and step, to go on alone.

A student who stops or pauses a training that others share (cnnviz.jobs.grouped) gets the
shared weights of that moment; pausing also keeps the optimizer's state and the step, so that
train_lenet(..., start=checkpoint) continues the run alone exactly where it left off.
"""

from __future__ import annotations

import io
from typing import NamedTuple

import torch


class Checkpoint(NamedTuple):
    """A run after ``step`` optimizer steps: the model's and the optimizer's state dicts."""

    step: int
    model: dict[str, torch.Tensor]
    optimizer: dict


def to_bytes(checkpoint: Checkpoint) -> bytes:
    """torch.save of a plain dict (readable with weights_only=True)."""
    buffer = io.BytesIO()
    torch.save(checkpoint._asdict(), buffer)
    return buffer.getvalue()


def from_bytes(data: bytes) -> Checkpoint:
    """The Checkpoint that to_bytes wrote."""
    return Checkpoint(**torch.load(io.BytesIO(data), map_location="cpu", weights_only=True))


def take(step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> Checkpoint:
    """A copy of a training model and its optimizer after ``step`` steps (CPU tensors)."""
    weights = {name: value.detach().cpu().clone() for name, value in model.state_dict().items()}
    return Checkpoint(step, weights, _cpu(optimizer.state_dict()))


def _cpu(value):
    """A deep copy of an optimizer state dict with every tensor on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, dict):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cpu(v) for v in value)
    return value
