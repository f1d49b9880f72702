"""Compute device choice (CUDA, then MPS, then CPU) and torch threads for a shared server."""

from __future__ import annotations

import os

import torch

from cnnviz import config

_configured = False


def available_devices() -> list[str]:
    """Device kinds usable on this machine, best first; 'cpu' is always last."""
    kinds = []
    if torch.cuda.is_available():
        kinds.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        kinds.append("mps")
    kinds.append("cpu")
    return kinds


def choose_device(preference: str | None = None) -> torch.device:
    """The device to compute on: an explicit preference, else $CNNVIZ_DEVICE, else the best one."""
    wanted = (preference or config.settings().device).strip().lower()
    kinds = available_devices()
    if wanted == "auto":
        return torch.device(kinds[0])
    if wanted not in config.DEVICE_CHOICES:
        raise ValueError(f"Unknown device {wanted!r}: use auto, cuda, mps or cpu.")
    if wanted not in kinds:
        raise ValueError(f"The {wanted.upper()} device is not available on this machine; "
                         f"available: {', '.join(kinds)}.")
    return torch.device(wanted)


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads once per process (``threads``, else $CNNVIZ_TORCH_THREADS)."""
    global _configured
    if threads is None:
        threads = config.settings().torch_threads
    torch.set_num_threads(threads)
    if not _configured:
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # only settable before the first parallel work in this process
            pass
        _configured = True
    return torch.get_num_threads()


def describe_device(device: torch.device | None = None) -> str:
    """A one-line description for people: GPU name, or CPU with its thread count."""
    device = device or choose_device()
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"GPU: {props.name} (CUDA, {props.total_memory / 2**30:.0f} GiB)"
    if device.type == "mps":
        return "GPU: Apple silicon (MPS)"
    cores = os.cpu_count() or 1
    threads = torch.get_num_threads()
    return f"CPU: {threads} torch thread{'s' if threads != 1 else ''} on {cores} cores"
