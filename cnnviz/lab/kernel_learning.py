"""Learning a kernel from input/output pairs by gradient descent (chapter: learning a kernel).

Training is a generator: each step yields the loss and the kernel, and the caller draws them.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.lab.kernels import preset
from cnnviz.lab.samples import chapter_stripes, lattice_micrograph

CHAPTER_LR = 3e-2
CHAPTER_STEPS = 10
# The chapter starts from an unseeded random kernel. This start reproduces every number it
# prints (losses 3.505, 0.666, 0.144, 0.037, 0.012 at steps 2..10 and the learned kernel
# [0.9809, -1.0006]); it was recovered from those printed numbers by least squares, since the
# updates are linear in the kernel.
CHAPTER_INITIAL_KERNEL = ((0.1037, -0.2871),)


def learn_kernel(X, Y, kernel_shape: tuple[int, int], *, lr: float, steps: int,
                 initial=None, seed: int = 0, loss: str = "sum") -> Iterator[dict]:
    """Fit a bias-free kernel so that valid cross-correlation of X gives Y; yields every step.

    Each step: forward, squared error (summed like the chapter, or averaged with loss='mean'),
    backward, ``kernel -= lr * grad``. Yields {'step', 'loss', 'kernel'}: the loss before the
    update and the kernel after it, as the chapter prints them.
    """
    if steps < 1 or not lr > 0:
        raise ValueError("Training needs at least 1 step and a learning rate above 0.")
    if loss not in ("sum", "mean"):
        raise ValueError(f"loss must be 'sum' or 'mean', got {loss!r}.")
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))[None, None]  # (1, 1, H, W)
    Y = torch.as_tensor(np.asarray(Y, dtype=np.float32))[None, None]  # (1, 1, H-kh+1, W-kw+1)
    kh, kw = kernel_shape
    expected = (X.shape[2] - kh + 1, X.shape[3] - kw + 1)
    if tuple(Y.shape[2:]) != expected:
        raise ValueError(f"The target must be {expected[0]}x{expected[1]} (the valid output of a "
                         f"{kh}x{kw} kernel), got {Y.shape[2]}x{Y.shape[3]}.")
    if initial is None:  # like nn.Conv2d's default: uniform in +-1/sqrt(fan_in)
        bound = 1 / np.sqrt(kh * kw)
        gen = torch.Generator().manual_seed(seed)
        W = (torch.rand((1, 1, kh, kw), generator=gen) * 2 - 1) * bound
    else:
        W = torch.as_tensor(np.asarray(initial, dtype=np.float32)).reshape(1, 1, kh, kw).clone()
    W.requires_grad_(True)
    for step in range(1, steps + 1):
        err = (F.conv2d(X, W) - Y) ** 2
        value = err.sum() if loss == "sum" else err.mean()
        W.grad = None
        value.backward()
        with torch.no_grad():
            W -= lr * W.grad
        kernel = W.detach()[0, 0].numpy().copy()
        yield {"step": step, "loss": float(value.detach()), "kernel": kernel}


def chapter_pair() -> tuple[np.ndarray, np.ndarray]:
    """The chapter's 6x8 stripes X and Y = X cross-correlated with [1, -1] (6x7)."""
    X = chapter_stripes()
    return X, X[:, :-1] - X[:, 1:]


def chapter_experiment(*, lr: float = CHAPTER_LR, steps: int = CHAPTER_STEPS,
                       initial=CHAPTER_INITIAL_KERNEL, seed: int = 0) -> Iterator[dict]:
    """The chapter's run: learn a 1x2 kernel from the stripes and their [1, -1] edges."""
    X, Y = chapter_pair()
    return learn_kernel(X, Y, (1, 2), lr=lr, steps=steps, initial=initial, seed=seed)


def micrograph_pair(target: str = "Sobel x", size: int = 64,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, Y, K): a standardised synthetic micrograph, its valid filtering by preset K."""
    X = lattice_micrograph(size, seed=seed).astype(np.float64)
    X = ((X - X.mean()) / X.std()).astype(np.float32)
    K = preset(target)
    Y = F.conv2d(torch.from_numpy(X)[None, None], torch.from_numpy(K)[None, None])[0, 0]
    return X, Y.numpy(), K


def micrograph_experiment(target: str = "Sobel x", *, lr: float = 0.2, steps: int = 150,
                          seed: int = 0) -> Iterator[dict]:
    """Learn a 3x3 preset (e.g. Sobel) from a micrograph and its filtered version (mean loss)."""
    X, Y, K = micrograph_pair(target, seed=seed)
    return learn_kernel(X, Y, K.shape, lr=lr, steps=steps, seed=seed, loss="mean")
