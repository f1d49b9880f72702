"""The chapter's numeric examples as page presets, with the outputs the chapter prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnviz.ops import PADDING_MODES, POOL_MODES, output_size, pad2d
from cnnviz.pageconfig import Field, PageSpec
from cnnviz.teach.matrices import random_matrix

X3 = [[0.0, 1, 2], [3, 4, 5], [6, 7, 8]]  # chapter: cross-correlation figure
K2 = [[0.0, 1], [2, 3]]
EDGES = [[1.0, 1, 0, 0, 0, 0, 1, 1] for _ in range(6)]  # 6x8, columns 2..5 black (0)
X16 = [[float(4 * r + c) for c in range(4)] for r in range(4)]  # arange(16) as 4x4
X8 = random_matrix(8, 8, 0, 9, seed=8)  # the chapter uses torch.rand; only shapes matter there


@dataclass(frozen=True)
class Preset:
    """A named configuration and what the chapter says it gives."""

    label: str
    settings: dict = field(default_factory=dict)
    expected: list | None = None  # the chapter's output, (channels, rows, cols)
    note: str = ""  # the output shape the chapter prints, where it shows only the shape


def _transpose(M):
    """Rows become columns."""
    return [list(col) for col in zip(*M, strict=True)]


CORRELATION = {
    "chapter": Preset("Chapter: 3x3 input, 2x2 kernel", {"X": [X3], "K": [K2], "flip": False},
                      [[[19, 25], [37, 43]]]),
    "edges": Preset("Edge detection: 6x8 image, kernel [1, -1]",
                    {"X": [EDGES], "K": [[[1.0, -1.0]]], "flip": False},
                    [[[0, 1, 0, 0, 0, -1, 0]] * 6]),
    "edges_t": Preset("Edges of the transposed image",
                      {"X": [_transpose(EDGES)], "K": [[[1.0, -1.0]]], "flip": False},
                      [[[0] * 5] * 8]),
    "convolution": Preset("True convolution (kernel flipped)",
                          {"X": [X3], "K": [K2], "flip": True}, [[[5, 11], [23, 29]]]),
}

_PS = {"padding": (0, 0), "stride": (1, 1), "dilation": (1, 1), "mode": "zeros"}
PADDING = {
    "padded": Preset("Chapter: 3x3 input padded by 1, 2x2 kernel",
                     {**_PS, "X": [X3], "K": [K2], "padding": (1, 1)},
                     [[[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]]]),
    "stride": Preset("Chapter: stride 3 down, 2 across",
                     {**_PS, "X": [X3], "K": [K2], "padding": (1, 1), "stride": (3, 2)},
                     [[[0, 8], [6, 8]]]),
    "same_3x3": Preset("8x8 input, 3x3 kernel, padding 1 -> 8x8",
                       {**_PS, "X": [X8], "K": [random_matrix(3, 3, -1, 1, seed=3)],
                        "padding": (1, 1)}, note="8x8"),
    "same_5x3": Preset("8x8 input, 5x3 kernel, padding (2, 1) -> 8x8",
                       {**_PS, "X": [X8], "K": [random_matrix(5, 3, -1, 1, seed=5)],
                        "padding": (2, 1)}, note="8x8"),
    "stride_2": Preset("8x8 input, 3x3 kernel, padding 1, stride 2 -> 4x4",
                       {**_PS, "X": [X8], "K": [random_matrix(3, 3, -1, 1, seed=3)],
                        "padding": (1, 1), "stride": (2, 2)}, note="4x4"),
    "stride_34": Preset("3x5 kernel, pad (0, 1), stride (3, 4)",
                        {**_PS, "X": [X8], "K": [random_matrix(3, 5, -1, 1, seed=35)],
                         "padding": (0, 1), "stride": (3, 4)}, note="2x2"),
}

_PO = {"padding": (0, 0), "dilation": (1, 1), "mode": "max"}
POOLING = {
    "max": Preset("Chapter: 2x2 max pooling, stride 1",
                  {**_PO, "X": [X3], "window": (2, 2), "stride": (1, 1)}, [[[4, 5], [7, 8]]]),
    "avg": Preset("Chapter: 2x2 average pooling, stride 1",
                  {**_PO, "X": [X3], "window": (2, 2), "stride": (1, 1), "mode": "avg"},
                  [[[2, 3], [5, 6]]]),
    "maxpool3": Preset("nn.MaxPool2d(3): stride defaults to the window",
                       {**_PO, "X": [X16], "window": (3, 3), "stride": (3, 3)}, [[[10]]]),
    "pad_stride": Preset("nn.MaxPool2d(3, padding=1, stride=2)",
                         {**_PO, "X": [X16], "window": (3, 3), "stride": (2, 2),
                          "padding": (1, 1)}, [[[5, 7], [13, 15]]]),
    "rect": Preset("nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))",
                   {**_PO, "X": [X16], "window": (2, 3), "stride": (2, 3), "padding": (0, 1)},
                   [[[5, 7], [13, 15]]]),
    "channels": Preset("Two channels, X and X + 1: each pooled separately",
                       {**_PO, "X": [X16, [[v + 1 for v in row] for row in X16]],
                        "window": (3, 3), "stride": (2, 2), "padding": (1, 1)},
                       [[[5, 7], [13, 15]], [[6, 8], [14, 16]]]),
}


# What each page keeps in its link (see cnnviz.pageconfig); defaults are the first preset.
KERNEL_SIDE = 9  # kernels and windows up to 9x9 keep the arithmetic line readable
CORRELATION_FIELDS = {
    "preset": Field("choice", "chapter", choices=(*CORRELATION, "custom")),
    "X": Field("matrix", [X3], max_channels=1),
    "K": Field("matrix", [K2], max_side=KERNEL_SIDE, max_channels=1, fill=(-2, 2)),
    "flip": Field("bool", False),
}
PADDING_FIELDS = {
    "preset": Field("choice", "padded", choices=(*PADDING, "custom")),
    "X": Field("matrix", [X3], max_channels=1),
    "K": Field("matrix", [K2], max_side=KERNEL_SIDE, max_channels=1, fill=(-2, 2)),
    "padding": Field("pair", (1, 1), low=0, high=8),
    "stride": Field("pair", (1, 1), low=1, high=8),
    "dilation": Field("pair", (1, 1), low=1, high=8),
    "mode": Field("choice", "zeros", choices=PADDING_MODES),
}
POOLING_FIELDS = {
    "preset": Field("choice", "max", choices=(*POOLING, "custom")),
    "X": Field("matrix", [X3]),
    "window": Field("pair", (2, 2), low=1, high=KERNEL_SIDE),
    "padding": Field("pair", (0, 0), low=0, high=4),
    "stride": Field("pair", (1, 1), low=1, high=8),
    "dilation": Field("pair", (1, 1), low=1, high=8),
    "mode": Field("choice", "max", choices=POOL_MODES),
}


def check_window(config: dict) -> None:
    """The window fits the padded input and the padding mode can pad this much.

    Raises ValueError that says how to fix it.
    """
    X, window = config["X"], config.get("window") or (len(config["K"][0]),
                                                      len(config["K"][0][0]))
    for axis, n in enumerate((len(X[0]), len(X[0][0]))):
        output_size(n, window[axis], *(config.get(name, (d, d))[axis] for name, d in
                                       (("padding", 0), ("stride", 1), ("dilation", 1))))
    if "K" in config and "mode" in config:
        pad2d(X[0], config["padding"], config["mode"])


def _page(prefix: str, fields: dict, presets: dict) -> PageSpec:
    return PageSpec(prefix, fields, {n: p.settings for n, p in presets.items()},
                    {n: p.label for n, p in presets.items()}, check_window)


CORRELATION_PAGE = _page("xc", CORRELATION_FIELDS, CORRELATION)
PADDING_PAGE = _page("ps", PADDING_FIELDS, PADDING)
POOLING_PAGE = _page("po", POOLING_FIELDS, POOLING)
