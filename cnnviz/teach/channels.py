"""Multiple input and output channels (chapter section), and the 1x1 convolution as a matmul.

A kernel for c_o output channels is a list of c_o kernels of shape (c_i, k_h, k_w), one per
output channel, as the chapter stacks K, K + 1 and K + 2. Results come from ``cnnviz.ops``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cnnviz import ops
from cnnviz.pageconfig import Field, PageSpec
from cnnviz.teach import matrices
from cnnviz.teach.frames import TIMES, format_number

X_CHAPTER = [[[0.0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]]
K_CHAPTER = [[[0.0, 1], [2, 3]], [[1.0, 2], [3, 4]]]


def _plus(K, c: float):
    """Every weight of a (c_i, k_h, k_w) kernel plus c (the chapter's K + 1, K + 2)."""
    return [[[v + c for v in row] for row in m] for m in K]


# 1x1 example: 3 input channels, 2 output channels (the chapter's shapes, whole numbers instead
# of its random normal draws so the arithmetic stays readable).
X_1X1 = [[[1.0, 2, 0], [3, 1, 2], [0, 4, 1]], [[2.0, 0, 1], [1, 3, 0], [2, 1, 2]],
         [[0.0, 1, 3], [2, 0, 1], [1, 2, 0]]]
K_1X1 = [[[[1.0]], [[2.0]], [[-1.0]]], [[[0.0]], [[1.0]], [[3.0]]]]
PRESETS = {
    "multi-in": {"x": X_CHAPTER, "k": [K_CHAPTER]},
    "multi-out": {"x": X_CHAPTER, "k": [K_CHAPTER, _plus(K_CHAPTER, 1), _plus(K_CHAPTER, 2)]},
    "1x1": {"x": X_1X1, "k": K_1X1},
}
# Short enough for the select box at every screen size (it cannot wrap: the longest were cut
# off at 1920 x 1080 in projector mode).
PRESET_LABELS = {
    "multi-in": "2 inputs, 1 output (chapter)",
    "multi-out": "3 outputs: K, K+1, K+2",
    "1x1": "1x1: 3 inputs, 2 outputs",
}


def check_shapes(X, kernels) -> None:
    """Every output channel's kernel has the input's channel count and one common size."""
    if not kernels:
        raise ValueError("There must be at least one output channel.")
    c_i = len(X)
    first = (len(kernels[0][0]), len(kernels[0][0][0]))
    for d, K in enumerate(kernels, start=1):
        if len(K) != c_i:
            raise ValueError(f"The input has {c_i} channel{'s' * (c_i != 1)} but the kernel "
                             f"for output channel {d} has {len(K)}: every output channel needs "
                             f"one kernel slice per input channel.")
        if (len(K[0]), len(K[0][0])) != first:
            raise ValueError(f"The kernel for output channel {d} is {len(K[0])}x{len(K[0][0])} "
                             f"but output channel 1's is {first[0]}x{first[1]}: all output "
                             f"channels share one kernel size.")


def kernel_tensor(kernels) -> torch.Tensor:
    """The stacked kernel, shape (c_o, c_i, k_h, k_w)."""
    return torch.as_tensor(kernels, dtype=torch.float32)


def multi_in_out(X, kernels) -> list:
    """corr2d_multi_in_out of the chapter: (c_o, out_h, out_w) as nested lists."""
    check_shapes(X, kernels)
    return ops.corr2d_multi_in_out(torch.as_tensor(X, dtype=torch.float32),
                                   kernel_tensor(kernels)).tolist()


@dataclass(frozen=True)
class MatrixProduct:
    """The 1x1 convolution written as (c_o, c_i) @ (c_i, h*w) = (c_o, h*w)."""

    weights: list[list[float]]  # (c_o, c_i)
    flat_input: list[list[float]]  # (c_i, h*w): channel rows, pixels in row-major order
    product: list[list[float]]  # (c_o, h*w)
    shape: tuple[int, int]  # (h, w) of the image
    max_difference: float  # largest |product - corr2d_multi_in_out| (0: the same numbers)

    def pixel(self, p: int) -> tuple[int, int]:
        """Image (row, col) of flattened column p."""
        return divmod(p, self.shape[1])

    def arithmetic(self, p: int) -> list[str]:
        """For pixel column p, every output channel's dot product written out."""
        column = [row[p] for row in self.flat_input]
        lines = []
        for d, weights in enumerate(self.weights):
            terms = " + ".join(f"{_factor(w)}{TIMES}{_factor(x)}"
                               for w, x in zip(weights, column, strict=True))
            lines.append(f"Y[{d}, {p}] = {terms} = {format_number(self.product[d][p])}")
        return lines


def _factor(v: float) -> str:
    """A factor in a product; negative numbers in parentheses."""
    text = format_number(v)
    return f"({text})" if text.startswith("-") else text


def matrix_product(X, kernels) -> MatrixProduct:
    """The chapter's corr2d_multi_in_out_1x1, checked against corr2d_multi_in_out."""
    check_shapes(X, kernels)
    K = kernel_tensor(kernels)
    if K.shape[-2:] != (1, 1):
        raise ValueError(f"Only a 1x1 kernel is a matrix product over channels; this one is "
                         f"{K.shape[-2]}x{K.shape[-1]}.")
    Xt = torch.as_tensor(X, dtype=torch.float32)
    c_i, h, w = Xt.shape
    Y = ops.corr2d_multi_in_out_1x1(Xt, K)
    reference = ops.corr2d_multi_in_out(Xt, K)
    return MatrixProduct(K.reshape(len(K), c_i).tolist(), Xt.reshape(c_i, h * w).tolist(),
                         Y.reshape(len(K), h * w).tolist(), (h, w),
                         float((Y - reference).abs().max()))


MAX_OUT = matrices.MAX_CHANNELS
KERNEL_NAMES = tuple(f"k{d}" for d in range(1, MAX_OUT + 1))  # one kernel per output channel
FIELDS = {
    "preset": Field("choice", "multi-in", choices=tuple(PRESETS)),
    "co": Field("int", 1, low=1, high=MAX_OUT),
    "show": Field("choice", 1, choices=tuple(range(1, MAX_OUT + 1))),  # output channel animated
    "x": Field("matrix", X_CHAPTER),
    "pixel": Field("int", 0, low=0, high=matrices.MAX_SIDE ** 2 - 1),  # of the 1x1 product
    **{name: Field("matrix", K_CHAPTER, max_side=9, fill=(-2, 2)) for name in KERNEL_NAMES},
}


def preset_config(name: str) -> dict:
    """A preset as page settings: the kernels spread over k1, k2, ... and co set."""
    case = PRESETS[name]
    kernels = {KERNEL_NAMES[d]: K for d, K in enumerate(case["k"])}
    return {"co": len(case["k"]), "show": 1, "x": case["x"], **kernels}


def kernels_of(config: dict) -> list:
    """The kernels of the output channels in use, k1 .. k{co}."""
    return [config[name] for name in KERNEL_NAMES[:config["co"]]]


def fit_kernels(config: dict) -> dict:
    """Kernels fitted to the input: every output channel's cropped or zero-padded.

    Each gets the input's channel count and kernel 1's size; the animated channel stays among
    those that exist.
    """
    c, (kh, kw) = len(config["x"]), (len(config["k1"][0]), len(config["k1"][0][0]))
    fitted = {name: matrices.resize_channels(config[name], c, kh, kw)
              for name in KERNEL_NAMES[:config["co"]]}
    return {**fitted, "show": min(config["show"], config["co"])}


def check_config(config: dict) -> list:
    """All output channels' results for a configuration (raises ValueError when it cannot run)."""
    if config["show"] > config["co"]:
        raise ValueError(f"Output channel {config['show']} does not exist; there are "
                         f"{config['co']}.")
    return multi_in_out(config["x"], kernels_of(config))


PAGE = PageSpec("chan", FIELDS, {name: preset_config(name) for name in PRESETS}, PRESET_LABELS,
                check_config)
