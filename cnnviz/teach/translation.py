"""Translation equivariance: shift the input, and a convolution's output shifts by the same amount.

The input is shifted circularly (``torch.roll``) and the kernel is applied with "same" padding
(k // 2 per side, so odd kernels keep the size). With circular padding every window of the
shifted input is a window of the original, so the two outputs agree exactly; with zero padding
they differ where a window reaches across the border. Numbers come from ``cnnviz.ops``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cnnviz import ops
from cnnviz.pageconfig import Field, PageSpec
from cnnviz.teach import matrices, params

SHIFT_MODES = ("circular", "zeros")
# Examples for the page: input, kernel, shift (dy rows down, dx columns right), padding mode
SQUARE = [[9.0 if 2 <= r <= 4 and 2 <= c <= 4 else 0.0 for c in range(8)] for r in range(8)]
LAPLACE = [[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]
EDGE = [[1.0, 1, 0, 0, 0, 0, 1, 1] for _ in range(6)]  # the chapter's 6x8 black-and-white image
CENTRAL_DIFFERENCE = [[1.0, 0, -1]]  # odd cousin of the chapter's [1, -1], keeps the size
PRESETS = {
    "square-circular": {"x": [SQUARE], "k": [LAPLACE], "dy": 2, "dx": 3, "mode": "circular"},
    "square-zeros": {"x": [SQUARE], "k": [LAPLACE], "dy": 2, "dx": 3, "mode": "zeros"},
    "square-inside": {"x": [SQUARE], "k": [LAPLACE], "dy": 1, "dx": 1, "mode": "zeros"},
    "edge-circular": {"x": [EDGE], "k": [CENTRAL_DIFFERENCE], "dy": 0, "dx": 1,
                      "mode": "circular"},
    "edge-zeros": {"x": [EDGE], "k": [CENTRAL_DIFFERENCE], "dy": 0, "dx": 1, "mode": "zeros"},
}
# Short enough for the select box at every screen size (it cannot wrap: longer ones were cut
# off at 1920 x 1080 in projector mode).
PRESET_LABELS = {
    "square-circular": "Square, circular (exact)",
    "square-zeros": "Border square, zeros (breaks)",
    "square-inside": "Inner square, zeros (exact)",
    "edge-circular": "Chapter edge, circular (exact)",
    "edge-zeros": "Chapter edge, zeros (breaks)",
}


@dataclass(frozen=True)
class ShiftDemo:
    """Both routes from X to a shifted output, and where they disagree."""

    shifted_input: list[list[float]]  # roll(X, (dy, dx))
    output: list[list[float]]  # conv(X)
    shifted_output: list[list[float]]  # roll(conv(X), (dy, dx)): shift after
    output_of_shifted: list[list[float]]  # conv(roll(X)): shift before
    difference: list[list[float]]  # output_of_shifted - shifted_output
    padding: tuple[int, int]  # "same" padding per side

    @property
    def max_error(self) -> float:
        """Largest absolute difference between the two routes (0: exactly equivariant)."""
        return max(abs(v) for row in self.difference for v in row)

    @property
    def broken_cells(self) -> list[tuple[int, int]]:
        """Output cells (row, col) where shifting before and after disagree."""
        return [(r, c) for r, row in enumerate(self.difference) for c, v in enumerate(row)
                if v != 0]


def shift(X, dy: int, dx: int) -> torch.Tensor:
    """The input moved dy rows down and dx columns right; what leaves one edge re-enters."""
    return torch.roll(torch.as_tensor(X, dtype=torch.float32), (dy, dx), (0, 1))


def same_padding(kernel_shape: tuple[int, int]) -> tuple[int, int]:
    """Padding per side that keeps the size; only odd kernels have one."""
    kh, kw = kernel_shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"The shift demo needs an odd kernel size (1, 3, 5, ...) so the output "
                         f"keeps the input's size; this kernel is {kh}x{kw}.")
    return kh // 2, kw // 2


def shift_demo(X, K, dy: int, dx: int, padding_mode: str = "circular") -> ShiftDemo:
    """Convolve then shift, and shift then convolve (X (H, W), K (k_h, k_w), both 2-D)."""
    if padding_mode not in SHIFT_MODES:
        raise ValueError(f"Padding mode {padding_mode!r}: choose circular or zeros.")
    X = ops._as_tensor(X, "input", 2)
    K = ops._as_tensor(K, "kernel", 2)
    pad = same_padding(tuple(K.shape))
    for p, n, axis in zip(pad, X.shape, ("height", "width"), strict=True):
        if p > n:
            raise ValueError(f"A kernel this large needs an input {axis} of at least {p}.")
    Y = ops.corr2d(X, K, padding=pad, padding_mode=padding_mode)
    Xs = shift(X, dy, dx)
    Ys = ops.corr2d(Xs, K, padding=pad, padding_mode=padding_mode)
    after = shift(Y, dy, dx)
    return ShiftDemo(Xs.tolist(), Y.tolist(), after.tolist(), Ys.tolist(), (Ys - after).tolist(),
                     pad)


# The page's settings, declared once (see cnnviz.pageconfig).
FIELDS = {
    "preset": Field("choice", "square-circular", choices=tuple(PRESETS)),
    "h": Field("int", 1000, low=1, high=params.MAX_SIDE),
    "w": Field("int", 1000, low=1, high=params.MAX_SIDE),
    "delta": Field("int", 5, low=0, high=params.MAX_SIDE - 1),
    "x": Field("matrix", [SQUARE]),
    "k": Field("matrix", [LAPLACE], max_side=9, fill=(-2, 2)),
    "dy": Field("int", 2, low=-matrices.MAX_SIDE, high=matrices.MAX_SIDE),
    "dx": Field("int", 3, low=-matrices.MAX_SIDE, high=matrices.MAX_SIDE),
    "mode": Field("choice", "circular", choices=SHIFT_MODES),
}


def demo_for(config: dict) -> ShiftDemo:
    """The shift demo of a page configuration (one input channel, one kernel)."""
    if len(config["x"]) != 1 or len(config["k"]) != 1:
        raise ValueError("This page uses one channel: type the input and the kernel without "
                         "blank lines (the channels page takes several).")
    return shift_demo(config["x"][0], config["k"][0], config["dy"], config["dx"], config["mode"])


def check_config(config: dict) -> ShiftDemo:
    """The weight counts and the shift demo of a configuration (ValueError if either fails)."""
    params.parameter_counts(config["h"], config["w"], config["delta"])
    return demo_for(config)


PAGE = PageSpec("why", FIELDS, PRESETS, PRESET_LABELS, check_config)
