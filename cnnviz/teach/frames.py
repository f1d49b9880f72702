"""Step-by-step data for the sliding-window animations (data, not pictures).

A *plan* holds the padded input, the kernel (or pooling window), the output and one step per
output cell, in the order the window visits them. Each step says which padded-input cells the
window reads, which of them are padding, the products (cross-correlation) and the result. The
numbers come from ``cnnviz.ops`` (pad2d, window_slice, output_size), so they equal torch.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch

from cnnviz import ops

TIMES = "×"  # the one multiplication sign used in every arithmetic line


@dataclass(frozen=True)
class Step:
    """One window position: the cells it reads and the output cell it writes."""

    index: int  # 0-based, in visiting order
    channel: int  # output channel written (pooling: the pooled channel; correlation: 0)
    out: tuple[int, int]  # output cell (row, col)
    cells: tuple[tuple[int, int], ...]  # window cells (row, col) in the padded input, row-major
    is_padding: tuple[bool, ...]  # per window cell: True where it lies in the padding
    values: tuple[tuple[float, ...], ...]  # per input channel read, the window's input values
    products: tuple[tuple[float, ...], ...] | None  # per input channel; None for pooling
    result: float


@dataclass(frozen=True)
class Plan:
    """Everything an animation of one sliding-window operation needs."""

    op: str  # "corr" (sum of products), "max" or "avg"
    padded: list[list[list[float]]]  # (c, H + 2p_h, W + 2p_w) padded input
    is_padding: list[list[bool]]  # (H + 2p_h, W + 2p_w) True on padding cells
    kernel: list[list[list[float]]] | None  # (c, k_h, k_w) kernel actually used; None: pooling
    window: tuple[int, int]  # (k_h, k_w)
    padding: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    output: list[list[list[float]]]  # (c_o, out_h, out_w) after the last step
    steps: list[Step]
    flipped: bool = False  # True: the kernel was flipped (true convolution)

    @property
    def out_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of the output."""
        return len(self.output), len(self.output[0]), len(self.output[0][0])


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """Validated (height, width) pair, with the messages of cnnviz.ops."""
    return ops._pair(value, name, minimum)


def _as3d(X, name: str) -> torch.Tensor:
    """A (H, W) or (C, H, W) tensor as (C, H, W) float32."""
    T = X if isinstance(X, torch.Tensor) else torch.as_tensor(X, dtype=torch.float32)
    if T.dim() == 2:
        T = T[None]
    return ops._as_tensor(T.to(torch.float32), name, 3)


def _padding_mask(shape: tuple[int, int], padding: tuple[int, int]) -> list[list[bool]]:
    """True on the cells that padding adds around an input of ``shape``."""
    inside = ops.pad2d(torch.ones(shape), padding, "zeros")
    return (inside == 0).tolist()


def _window_cells(i: int, j: int, window, stride, dilation) -> tuple[list[int], list[int]]:
    """Padded-input rows and columns that output cell (i, j) reads (via ops.window_slice)."""
    rows, cols = ops.window_slice(i, j, window, stride, dilation)
    return list(range(rows.start, rows.stop, rows.step)), list(range(cols.start, cols.stop,
                                                                   cols.step))


def correlation_steps(X, K, padding=0, stride=1, dilation=1, padding_mode: str = "zeros",
                      flip: bool = False) -> Plan:
    """Steps of a (multi-input-channel) cross-correlation; ``flip`` makes it a true convolution.

    X is (H, W) or (c_i, H, W); K is (k_h, k_w) or (c_i, k_h, k_w). Per-channel products are
    summed, as in the chapter's section on multiple input channels.
    """
    X, K = _as3d(X, "input"), _as3d(K, "kernel")
    if X.shape[0] != K.shape[0]:
        raise ValueError(f"The input has {X.shape[0]} channels but the kernel has "
                         f"{K.shape[0]}: they must match.")
    if flip:
        K = torch.flip(K, (1, 2))
    pad, strd = _pair(padding, "padding", 0), _pair(stride, "stride", 1)
    dil = _pair(dilation, "dilation", 1)
    (_, n_h, n_w), (_, k_h, k_w) = X.shape, K.shape
    out_h = ops.output_size(n_h, k_h, pad[0], strd[0], dil[0])
    out_w = ops.output_size(n_w, k_w, pad[1], strd[1], dil[1])
    Xp = torch.stack([ops.pad2d(x, pad, padding_mode) for x in X])  # (c_i, Hp, Wp)
    mask = _padding_mask((n_h, n_w), pad)
    steps, output = [], [[0.0] * out_w for _ in range(out_h)]
    for i in range(out_h):
        for j in range(out_w):
            rows, cols = ops.window_slice(i, j, (k_h, k_w), strd, dil)
            window = Xp[:, rows, cols]  # (c_i, k_h, k_w)
            prods = window * K
            result = float(prods.sum())
            r, c = _window_cells(i, j, (k_h, k_w), strd, dil)
            cells = tuple((a, b) for a in r for b in c)
            steps.append(Step(len(steps), 0, (i, j), cells,
                              tuple(mask[a][b] for a, b in cells),
                              tuple(tuple(v) for v in window.reshape(len(K), -1).tolist()),
                              tuple(tuple(v) for v in prods.reshape(len(K), -1).tolist()),
                              result))
            output[i][j] = result
    return Plan("corr", Xp.tolist(), mask, K.tolist(), (k_h, k_w), pad, strd, dil, [output],
                steps, flip)


def pooling_steps(X, pool_size, mode: str = "max", padding=0, stride=None, dilation=1) -> Plan:
    """Steps of max or average pooling, each channel separately (channel by channel).

    ``stride`` None means stride 1, as the chapter's pool2d; PyTorch's nn.MaxPool2d defaults to
    the window size instead (pass it explicitly for those examples). Padding follows PyTorch:
    -inf for max pooling, zeros that count in the average for average pooling.
    """
    X = _as3d(X, "input")
    window = _pair(pool_size, "pool size", 1)
    pad, dil = _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    strd = _pair(1 if stride is None else stride, "stride", 1)
    reference = ops.pool2d(X, window, mode, padding=pad, stride=strd, dilation=dil)  # validates
    fill = -math.inf if mode == "max" else 0.0
    Xp = torch.stack([ops.pad2d(x, pad, "zeros", value=fill) for x in X])
    mask = _padding_mask(tuple(X.shape[1:]), pad)
    c, out_h, out_w = reference.shape
    steps, output = [], [[[0.0] * out_w for _ in range(out_h)] for _ in range(c)]
    for ch in range(c):
        for i in range(out_h):
            for j in range(out_w):
                rows, cols = ops.window_slice(i, j, window, strd, dil)
                values = Xp[ch, rows, cols]
                result = float(values.max() if mode == "max" else values.mean())
                r, cc = _window_cells(i, j, window, strd, dil)
                cells = tuple((a, b) for a in r for b in cc)
                steps.append(Step(len(steps), ch, (i, j), cells,
                                  tuple(mask[a][b] for a, b in cells),
                                  (tuple(values.reshape(-1).tolist()),), None, result))
                output[ch][i][j] = result
    return Plan(mode, Xp.tolist(), mask, None, window, pad, strd, dil, output, steps)


@functools.lru_cache(maxsize=4096)  # grids repeat their values; formatting is the hot loop
def format_number(v: float) -> str:
    """A value as a student writes it: 19 not 19.0, -1 not -1.0, 0.333 not 0.33333334."""
    if math.isinf(v):
        return "-∞" if v < 0 else "∞"
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.3g}"


def _factor(v: float) -> str:
    """A factor inside a product: negative numbers get parentheses."""
    text = format_number(v)
    return f"({text})" if text.startswith("-") else text


def step_arithmetic(step: Step, op: str, kernel=None) -> str:
    """The arithmetic of one step, e.g. ``0×0 + 1×1 + 3×2 + 4×3 = 19`` or ``max(0, 1, 3, 4) = 4``.

    For cross-correlation ``kernel`` is the plan's kernel (c_i, k_h, k_w); with several input
    channels each channel's sum is put in parentheses.
    """
    result = format_number(step.result)
    if op in ("max", "avg"):
        name = "max" if op == "max" else "mean"
        return f"{name}({', '.join(format_number(v) for v in step.values[0])}) = {result}"
    if kernel is None:
        raise ValueError("Cross-correlation arithmetic needs the kernel.")
    sums = []
    for values, k in zip(step.values, kernel, strict=True):
        weights = [w for row in k for w in row]
        sums.append(" + ".join(f"{_factor(x)}{TIMES}{_factor(w)}"
                               for x, w in zip(values, weights, strict=True)))
    body = sums[0] if len(sums) == 1 else " + ".join(f"({s})" for s in sums)
    return f"{body} = {result}"


def plan_arithmetic(plan: Plan) -> list[str]:
    """The arithmetic line of every step of a plan, in order."""
    return [step_arithmetic(s, plan.op, plan.kernel) for s in plan.steps]
