"""Generated PyTorch code reproduces the page's numbers for values that are not whole numbers.

Each snippet is run as a student would run it (exec, printing captured) and its output is
compared with the plan the page animates (cnnviz.teach.frames) at float32 precision.
"""

import pytest
import torch

from cnnviz.teach import channels, frames, snippet

X = [[[0.5, 1.25, 4.125, 2.0], [3.3333, 0.1234, 7.75, 1.0], [2.2, 9.99, 0.001, 5.5],
      [1.0 / 3.0, 6.02e-3, 8.125, 4.4]]]
K = [[[0.1234, 3.3333], [-1.5, 0.7]]]


def printed(code: str) -> torch.Tensor:
    """Run generated code; the tensor it prints (what a student sees in a notebook)."""
    shown: list = []
    exec(code, {"print": lambda *args: shown.append(args[0])})  # noqa: S102 - our own code
    return shown[0].detach()


def test_values_are_written_losslessly():
    code = snippet.conv_snippet(X, K)
    for value in ("0.1234", "3.3333", "4.125", "0.3333333333333333", "0.00602", "2."):
        assert value in code


@pytest.mark.parametrize(("padding", "stride", "dilation", "mode", "flip"), [
    ((0, 0), (1, 1), (1, 1), "zeros", False), ((1, 1), (2, 1), (1, 1), "reflect", False),
    ((1, 2), (1, 2), (2, 1), "circular", False), ((0, 0), (1, 1), (1, 1), "zeros", True),
])
def test_conv_snippet_prints_the_page_output(padding, stride, dilation, mode, flip):
    plan = frames.correlation_steps(X, K, padding, stride, dilation, mode, flip)
    code = snippet.conv_snippet(X, K, padding, stride, dilation, mode, flip)
    torch.testing.assert_close(printed(code)[0], torch.tensor(plan.output))


@pytest.mark.parametrize(("window", "mode", "padding", "stride"), [
    ((2, 2), "max", (0, 0), (1, 1)), ((3, 3), "avg", (1, 1), (2, 2)), ((2, 3), "avg", (0, 1),
                                                                        (1, 2)),
])
def test_pool_snippet_prints_the_page_output(window, mode, padding, stride):
    plan = frames.pooling_steps(X, window, mode, padding, stride, (1, 1))
    code = snippet.pool_snippet(X, window, mode, padding, stride, (1, 1))
    torch.testing.assert_close(printed(code)[0], torch.tensor(plan.output))


def test_multi_channel_snippet_prints_the_page_output():
    x = [X[0], [[v * -0.37 for v in row] for row in X[0]]]
    kernels = [[K[0], [[0.25, -0.125], [1.0 / 7.0, 2.5]]], [[[0.3, 0.6], [0.9, 1.2]], K[0]]]
    code = snippet.multi_channel_snippet(x, kernels)
    torch.testing.assert_close(printed(code), torch.tensor(channels.multi_in_out(x, kernels)))
