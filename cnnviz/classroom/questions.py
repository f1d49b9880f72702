"""Multiple-choice questions from the chapter, generated from what the lecturer's page shows.

Each generator takes plain values and a seed (which cell, the order of the choices), computes
the right answer with cnnviz.ops and returns a Question whose wrong choices are the usual
mistakes (forgetting the padding, the stride, the bias, ...) and whose explanation fills in
the chapter's formula. ``from_page`` reads those values from a page's configuration.
"""

from __future__ import annotations

import random

import torch

from cnnviz import ops
from cnnviz.classroom.store import Question
from cnnviz.teach.frames import format_number

KINDS = {
    "output_size": "Output size for n, k, p, s",
    "output_cell": "Value of one output cell",
    "edge_kernel": "Which kernel finds horizontal edges",
    "parameters": "Parameters of a convolutional layer",
    "max_pool": "Max pooling of one window",
}
X3 = [[0.0, 1, 2], [3, 4, 5], [6, 7, 8]]  # the chapter's input and kernel
K2 = [[0.0, 1], [2, 3]]


def _shuffled(right: str, wrong: list[str], seed: int) -> tuple[tuple[str, ...], int]:
    """The right choice among up to three distinct wrong ones, in an order fixed by ``seed``."""
    choices = [right, *dict.fromkeys(w for w in wrong if w != right)][:4]
    random.Random(seed).shuffle(choices)
    return tuple(choices), choices.index(right)


def output_size(n: int, k: int, padding: int, stride: int, dilation: int = 1,
                seed: int = 0) -> Question:
    """How many output cells along one axis (chapter: the output-size formula)."""
    right = ops.output_size(n, k, padding, stride, dilation)
    span = dilation * (k - 1) + 1
    wrong = [str(n - span + 1), str((n + 2 * padding - span) // stride),
             str(n + 2 * padding - span + 1), str(-(-(n + 2 * padding - span) // stride) + 1),
             str(right + 1), str(max(right - 1, 1))]
    choices, answer = _shuffled(str(right), wrong, seed)
    dil = f", dilation {dilation}" if dilation > 1 else ""
    return Question(
        f"An input of {n} cells along an axis, a kernel of {k}, padding {padding} on each side, "
        f"stride {stride}{dil}: how many output cells along this axis?", choices, answer,
        f"floor((n + 2p − d(k − 1) − 1) / s) + 1 = floor(({n} + 2·{padding} − {dilation}·"
        f"({k} − 1) − 1) / {stride}) + 1 = floor({n + 2 * padding - span} / {stride}) + 1 = "
        f"{right}.", "output_size")


def output_cell(X, K, padding=(0, 0), stride=(1, 1), mode: str = "zeros", flip: bool = False,
                seed: int = 0) -> Question:
    """The value of one output cell of a cross-correlation (or convolution, with ``flip``)."""
    kernel = torch.as_tensor(K, dtype=torch.float32)
    if flip:
        kernel = torch.flip(kernel, (0, 1))
    Y = ops.corr2d(X, kernel, padding=padding, stride=stride, padding_mode=mode)
    rows, cols = Y.shape
    rng = random.Random(seed)
    i, j = rng.randrange(rows), rng.randrange(cols)
    Xp = ops.pad2d(X, padding, mode)
    kh, kw = kernel.shape
    window = Xp[i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
    products = " + ".join(f"{format_number(a)}·{format_number(b)}" for a, b in
                          zip(window.flatten().tolist(), kernel.flatten().tolist(), strict=True))
    right = format_number(float(Y[i, j]))
    wrong = [format_number(float(v)) for v in Y.flatten().tolist()]
    wrong += [format_number(float((window * torch.flip(kernel, (0, 1))).sum())),
              format_number(float(window.sum())), format_number(float(Y[i, j]) + 1)]
    rng.shuffle(wrong)
    choices, answer = _shuffled(right, wrong, seed)
    what = "convolution (kernel flipped)" if flip else "cross-correlation"
    return Question(f"What is output cell Y[{i}, {j}] of this {what}? (rows and columns count "
                    "from 0)", choices, answer, f"Y[{i}, {j}] = {products} = {right}: the "
                    "window under the kernel, multiplied cell by cell and summed.",
                    "output_cell", i * cols + j)


EDGE_KERNELS = {"[[1, -1]]  (1 row, 2 columns)": "vertical",
                "[[1], [-1]]  (2 rows, 1 column)": "horizontal",
                "[[1, 1], [1, 1]]": "blur", "[[0, 0], [0, 1]]": "shift"}


def edge_kernel(seed: int = 0) -> Question:
    """Which kernel responds to horizontal edges (chapter: edge detection with [1, -1])."""
    right = next(k for k, what in EDGE_KERNELS.items() if what == "horizontal")
    choices, answer = _shuffled(right, [k for k in EDGE_KERNELS if k != right], seed)
    return Question("Which kernel finds horizontal edges (a change from one row to the next)?",
                    choices, answer, "[[1], [-1]] subtracts each cell from the one below it: "
                    "the result is 0 where two rows are equal and large where the brightness "
                    "changes from one row to the next. The chapter's [[1, -1]] compares "
                    "neighbouring columns and finds vertical edges.", "edge_kernel")


def parameters(c_in: int, c_out: int, kh: int, kw: int, seed: int = 0) -> Question:
    """The parameter count of nn.Conv2d(c_in, c_out, (kh, kw)) with bias."""
    weights = c_out * c_in * kh * kw
    right = weights + c_out
    wrong = [weights, c_in * kh * kw + 1, c_out * (kh * kw + 1), c_in * c_out + c_out,
             right + c_in]
    choices, answer = _shuffled(str(right), [str(w) for w in wrong], seed)
    return Question(f"How many parameters does nn.Conv2d({c_in}, {c_out}, kernel_size=({kh}, "
                    f"{kw})) have (with its bias)?", choices, answer,
                    f"Each of the {c_out} output channels has a {c_in}×{kh}×{kw} kernel and one "
                    f"bias: {c_out}·({c_in}·{kh}·{kw} + 1) = {right}.", "parameters")


def max_pool(X, window=(2, 2), stride=(1, 1), seed: int = 0) -> Question:
    """What max pooling gives for one window of the input."""
    Y = ops.pool2d(X, window, "max", stride=stride)
    rows, cols = Y.shape
    rng = random.Random(seed)
    i, j = rng.randrange(rows), rng.randrange(cols)
    T = torch.as_tensor(X, dtype=torch.float32)
    cells = T[i * stride[0]:i * stride[0] + window[0], j * stride[1]:j * stride[1] + window[1]]
    right = format_number(float(Y[i, j]))
    wrong = [format_number(float(v)) for v in (cells.mean(), cells.min(), cells.sum(),
                                               cells[0, 0], cells[-1, -1])]
    choices, answer = _shuffled(right, wrong, seed)
    values = ", ".join(format_number(v) for v in cells.flatten().tolist())
    return Question(f"Max pooling with a {window[0]}×{window[1]} window, stride "
                    f"{stride[0]}, {stride[1]} and no padding: what is output cell Y[{i}, {j}]?",
                    choices, answer, f"The window over rows {i * stride[0]} to "
                    f"{i * stride[0] + window[0] - 1}, columns {j * stride[1]} to "
                    f"{j * stride[1] + window[1] - 1} holds {values}; its largest value is "
                    f"{right}.", "max_pool", i * cols + j)


def _first(matrix_field, fallback):
    """Channel 0 of a page's matrix field (a list of channels), or ``fallback``."""
    return matrix_field[0] if matrix_field else fallback


def from_page(kind: str, prefix: str, config: dict, seed: int = 0) -> Question:
    """Question ``kind`` with the numbers of page ``prefix``'s configuration where it has them.

    Pages without the numbers a question needs give the chapter's example instead.
    """
    X = _first(config.get("X") or config.get("x"), X3)
    if kind == "output_size":
        K = _first(config.get("K"), [[0.0] * 3] * 3)
        n, k = (len(X), len(K)) if prefix == "ps" else (8, 3)
        p, s, d = ((config[f][0] for f in ("padding", "stride", "dilation")) if prefix == "ps"
                   else (1, 2, 1))
        return output_size(n, k, p, s, d, seed)
    if kind == "output_cell":
        if prefix in ("xc", "ps"):
            return output_cell(X, _first(config.get("K"), K2), config.get("padding", (0, 0)),
                               config.get("stride", (1, 1)), config.get("mode", "zeros"),
                               bool(config.get("flip")), seed)
        return output_cell(X3, K2, seed=seed)
    if kind == "edge_kernel":
        return edge_kernel(seed)
    if kind == "parameters":
        if prefix == "lenet":
            k = int(config.get("k", 5))
            return parameters(int(config.get("c1", 6)), int(config.get("c2", 16)), k, k, seed)
        if prefix == "chan" and config.get("x") and config.get("k1"):
            K = config["k1"][0]
            return parameters(len(config["x"]), int(config.get("co", 1)), len(K), len(K[0]),
                              seed)
        return parameters(6, 16, 5, 5, seed)  # LeNet's second convolution
    if kind == "max_pool":
        if prefix == "po":
            return max_pool(X, config.get("window", (2, 2)), config.get("stride", (1, 1)), seed)
        return max_pool(X3, (2, 2), (1, 1), seed)
    raise ValueError(f"unknown question kind {kind!r}; one of {', '.join(KINDS)}")
