"""Step data of the animations: one step per output cell, last state equals torch, chapter text."""

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cnnviz.teach import frames

TORCH_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
             "circular": "circular"}
X3 = [[0.0, 1, 2], [3, 4, 5], [6, 7, 8]]
K2 = [[0.0, 1], [2, 3]]
X16 = torch.arange(16, dtype=torch.float32).reshape(4, 4)


def torch_conv(X, K, padding, stride, dilation, mode):
    """Reference: F.pad with the mode, then F.conv2d (X (c, H, W), K (c, kh, kw))."""
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    Xp = F.pad(X[None], (pw, pw, ph, ph), mode=TORCH_PAD[mode])
    return F.conv2d(Xp, K[None], stride=stride, dilation=dilation)[0]


def test_chapter_first_step_arithmetic_text():
    plan = frames.correlation_steps(X3, K2)
    lines = frames.plan_arithmetic(plan)
    assert lines[0] == "0×0 + 1×1 + 3×2 + 4×3 = 19"
    assert lines == ["0×0 + 1×1 + 3×2 + 4×3 = 19", "1×0 + 2×1 + 4×2 + 5×3 = 25",
                     "3×0 + 4×1 + 6×2 + 7×3 = 37", "4×0 + 5×1 + 7×2 + 8×3 = 43"]


def test_chapter_pooling_arithmetic_text():
    plan = frames.pooling_steps(X3, 2)
    assert frames.plan_arithmetic(plan) == ["max(0, 1, 3, 4) = 4", "max(1, 2, 4, 5) = 5",
                                            "max(3, 4, 6, 7) = 7", "max(4, 5, 7, 8) = 8"]
    assert frames.plan_arithmetic(frames.pooling_steps(X3, 2, "avg"))[0] == "mean(0, 1, 3, 4) = 2"


def test_chapter_padding_and_stride_steps():
    plan = frames.correlation_steps(X3, K2, padding=1)
    assert plan.output == [[[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]]]
    assert frames.step_arithmetic(plan.steps[0], plan.op, plan.kernel) == \
        "0×0 + 0×1 + 0×2 + 0×3 = 0"
    assert plan.steps[0].is_padding == (True, True, True, False)
    strided = frames.correlation_steps(X3, K2, padding=1, stride=(3, 2))
    assert strided.output == [[[0, 8], [6, 8]]]
    assert frames.plan_arithmetic(strided)[1:3] == ["0×0 + 0×1 + 1×2 + 2×3 = 8",
                                                    "0×0 + 6×1 + 0×2 + 0×3 = 6"]


def test_chapter_multi_input_channels_56():
    X = [X3, [[v + 1 for v in row] for row in X3]]
    K = [K2, [[v + 1 for v in row] for row in K2]]
    plan = frames.correlation_steps(X, K)
    assert plan.output == [[[56, 72], [104, 120]]]
    assert frames.plan_arithmetic(plan)[0] == \
        "(0×0 + 1×1 + 3×2 + 4×3) + (1×1 + 2×2 + 4×3 + 5×4) = 56"


def test_chapter_edge_detection_signs_and_flip():
    X = torch.ones(6, 8)
    X[:, 2:6] = 0
    plan = frames.correlation_steps(X, [[1.0, -1.0]])
    assert plan.output[0][0] == [0, 1, 0, 0, 0, -1, 0]
    assert frames.plan_arithmetic(plan)[1] == "1×1 + 0×(-1) = 1"
    flipped = frames.correlation_steps(X, [[1.0, -1.0]], flip=True)
    assert flipped.kernel == [[[-1.0, 1.0]]]
    assert flipped.flipped
    assert flipped.output[0][0] == [0, -1, 0, 0, 0, 1, 0]


@pytest.mark.parametrize(("size", "padding", "stride", "expected"), [
    (3, 0, 3, [[10.0]]), (3, 1, 2, [[5.0, 7], [13, 15]]), ((2, 3), (0, 1), (2, 3), [[5, 7],
                                                                                   [13, 15]]),
])
def test_chapter_pooling_presets(size, padding, stride, expected):
    plan = frames.pooling_steps(X16, size, padding=padding, stride=stride)
    assert plan.output == [expected]


def test_chapter_two_channel_pooling_goes_channel_by_channel():
    plan = frames.pooling_steps(torch.stack([X16, X16 + 1]), 3, padding=1, stride=2)
    assert plan.output == [[[5, 7], [13, 15]], [[6, 8], [14, 16]]]
    assert [s.channel for s in plan.steps] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert frames.plan_arithmetic(plan)[0] == "max(-∞, -∞, -∞, -∞, 0, 1, -∞, 4, 5) = 5"


CASES = [
    # (c_i, H, W, kh, kw, padding, stride, dilation)
    (1, 3, 3, 2, 2, 0, 1, 1), (1, 5, 7, 3, 2, 1, 2, 1), (2, 6, 5, 3, 3, (1, 2), (2, 1), 1),
    (3, 7, 7, 2, 3, 2, 3, 2), (1, 8, 8, 3, 3, 1, 1, (2, 1)), (2, 4, 9, 1, 1, 0, (1, 3), 1),
]


@pytest.mark.parametrize(("c_i", "h", "w", "kh", "kw", "padding", "stride", "dilation"), CASES)
@pytest.mark.parametrize("mode", list(TORCH_PAD))
@pytest.mark.parametrize("flip", [False, True])
def test_correlation_steps_equal_torch(c_i, h, w, kh, kw, padding, stride, dilation, mode, flip):
    gen = torch.Generator().manual_seed(c_i * 100 + h * 10 + w)
    X, K = torch.randn(c_i, h, w, generator=gen), torch.randn(c_i, kh, kw, generator=gen)
    if mode == "reflect" and max((padding,) if isinstance(padding, int) else padding) >= h:
        pytest.skip("reflect padding needs a larger input")
    plan = frames.correlation_steps(X, K, padding, stride, dilation, mode, flip)
    ref = torch_conv(X, torch.flip(K, (1, 2)) if flip else K, padding, stride, dilation, mode)
    assert len(plan.steps) == ref.numel()
    assert_close(torch.tensor(plan.output), ref)
    step_values = torch.tensor([s.result for s in plan.steps]).reshape(ref.shape)
    assert_close(step_values, ref)
    for s in plan.steps[:5]:
        for (r, c), pad, v in zip(s.cells, s.is_padding, s.values[0], strict=True):
            assert plan.padded[0][r][c] == pytest.approx(v)
            assert plan.is_padding[r][c] == pad


POOL_CASES = [
    ((1, 4, 4), 2, 0, 1, 1), ((2, 4, 4), 3, 1, 2, 1), ((1, 4, 4), (2, 3), (0, 1), (2, 3), 1),
    ((3, 5, 7), 3, 1, 1, 1), ((1, 7, 7), 3, 1, 1, 2), ((2, 8, 9), 2, 0, 3, (2, 3)),
]


@pytest.mark.parametrize(("shape", "size", "padding", "stride", "dilation", "mode"),
                         [(*case, mode) for case in POOL_CASES for mode in ("max", "avg")
                          if mode == "max" or case[4] == 1])  # average pooling has no dilation
def test_pooling_steps_equal_torch(shape, size, padding, stride, dilation, mode):
    X = torch.randn(*shape)
    plan = frames.pooling_steps(X, size, mode, padding, stride, dilation)
    if mode == "max":
        ref = F.max_pool2d(X[None], size, stride=stride, padding=padding, dilation=dilation)[0]
    else:
        ref = F.avg_pool2d(X[None], size, stride=stride, padding=padding)[0]
    assert len(plan.steps) == ref.numel()
    assert_close(torch.tensor(plan.output), ref)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"stride": 0}, "stride"), ({"dilation": 5}, "window spans"),
    ({"padding_mode": "mirror"}, "padding mode"),
])
def test_bad_settings_raise_readable_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        frames.correlation_steps(X3, K2, **kwargs)
    with pytest.raises(ValueError, match="channels"):
        frames.correlation_steps([X3, X3], K2)
    with pytest.raises(ValueError, match="window spans"):
        frames.correlation_steps(X3, [[1.0] * 4] * 4)


def test_format_number():
    assert [frames.format_number(v) for v in (19.0, -1.0, -0.0, 1 / 3, float("-inf"))] == \
        ["19", "-1", "0", "0.333", "-∞"]
