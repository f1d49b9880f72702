"""Compute device choice (CUDA, then MPS, then CPU) and torch threads for a shared server."""

from __future__ import annotations

import os

import torch

DEVICE_ENV = "CNNVIZ_DEVICE"  # auto | cuda | mps | cpu
THREADS_ENV = "CNNVIZ_TORCH_THREADS"
# One intra-op thread per server process: on a busy 2-core machine two threads collapse 8-14x
# as soon as another process wants a core, while one thread keeps its speed.
DEFAULT_THREADS = 1

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
    wanted = (preference or os.environ.get(DEVICE_ENV) or "auto").strip().lower()
    kinds = available_devices()
    if wanted == "auto":
        return torch.device(kinds[0])
    if wanted not in ("cuda", "mps", "cpu"):
        raise ValueError(f"Unknown device {wanted!r}: use auto, cuda, mps or cpu.")
    if wanted not in kinds:
        raise ValueError(f"The {wanted.upper()} device is not available on this machine; "
                         f"available: {', '.join(kinds)}.")
    return torch.device(wanted)


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads once per process (default 1, or $CNNVIZ_TORCH_THREADS)."""
    global _configured
    if threads is None:
        raw = os.environ.get(THREADS_ENV, "")
        threads = int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_THREADS
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
