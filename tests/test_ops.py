"""The teaching operations against torch.nn.functional and against the chapter's printed numbers."""

import itertools
import zlib

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cnnviz import ops

TORCH_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
             "circular": "circular"}


def torch_corr2d(X, K, padding=0, stride=1, dilation=1, padding_mode="zeros"):
    """Reference: F.pad with the mode, then F.conv2d without padding."""
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    Xp = F.pad(X[None, None], (pw, pw, ph, ph), mode=TORCH_PAD[padding_mode])
    return F.conv2d(Xp, K[None, None], stride=stride, dilation=dilation)[0, 0]


# --- the chapter's numbers -------------------------------------------------------------------

X3 = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
K2 = torch.tensor([[0.0, 1.0], [2.0, 3.0]])


def test_chapter_cross_correlation_19_25_37_43():
    assert_close(ops.corr2d(X3, K2), torch.tensor([[19.0, 25.0], [37.0, 43.0]]))


def edge_image():
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X


def test_chapter_edge_detection_and_transpose():
    X, K = edge_image(), torch.tensor([[1.0, -1.0]])
    row = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0])
    assert_close(ops.corr2d(X, K), row.repeat(6, 1))
    assert_close(ops.corr2d(X.t(), K), torch.zeros((8, 5)))


def test_chapter_padding_figure_and_stride_figure():
    padded = torch.tensor([[0.0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]])
    assert_close(ops.corr2d(X3, K2, padding=1), padded)
    assert_close(ops.corr2d(X3, K2, padding=1, stride=(3, 2)), torch.tensor([[0.0, 8], [6, 8]]))


def test_chapter_convolution_flips_the_kernel():
    assert_close(ops.convolve2d(X3, torch.flip(K2, (0, 1))), ops.corr2d(X3, K2))


def multi_in_example():
    X = torch.stack([X3, X3 + 1])
    K = torch.stack([K2, K2 + 1])
    return X, K


def test_chapter_multi_in_56_72_104_120():
    X, K = multi_in_example()
    assert_close(ops.corr2d_multi_in(X, K), torch.tensor([[56.0, 72.0], [104.0, 120.0]]))


def test_chapter_multi_in_out_three_channels():
    X, K = multi_in_example()
    K3 = torch.stack((K, K + 1, K + 2), 0)
    assert K3.shape == (3, 2, 2, 2)
    expected = torch.tensor([[[56.0, 72], [104, 120]], [[76, 100], [148, 172]],
                             [[96, 128], [192, 224]]])
    assert_close(ops.corr2d_multi_in_out(X, K3), expected)


def test_chapter_1x1_equals_general_multi_in_out():
    gen = torch.Generator().manual_seed(0)
    X = torch.normal(0, 1, (3, 3, 3), generator=gen)
    K = torch.normal(0, 1, (2, 3, 1, 1), generator=gen)
    Y1, Y2 = ops.corr2d_multi_in_out_1x1(X, K), ops.corr2d_multi_in_out(X, K)
    assert float((Y1 - Y2).abs().sum()) < 1e-6
    assert_close(Y1, F.conv2d(X[None], K)[0])


def test_chapter_pooling_max_and_avg():
    assert_close(ops.pool2d(X3, (2, 2)), torch.tensor([[4.0, 5.0], [7.0, 8.0]]))
    assert_close(ops.pool2d(X3, (2, 2), "avg"), torch.tensor([[2.0, 3.0], [5.0, 6.0]]))


X16 = torch.arange(16, dtype=torch.float32).reshape(4, 4)


def test_chapter_maxpool3_defaults_to_stride_3():
    assert_close(ops.pool2d(X16, 3, stride=3), torch.tensor([[10.0]]))
    assert_close(torch.nn.MaxPool2d(3)(X16[None, None])[0, 0], torch.tensor([[10.0]]))


def test_chapter_pooling_5_7_13_15():
    expected = torch.tensor([[5.0, 7.0], [13.0, 15.0]])
    assert_close(ops.pool2d(X16, 3, padding=1, stride=2), expected)
    assert_close(ops.pool2d(X16, (2, 3), stride=(2, 3), padding=(0, 1)), expected)


def test_chapter_two_channel_pooling():
    X = torch.stack([X16, X16 + 1])
    expected = torch.tensor([[[5.0, 7], [13, 15]], [[6, 8], [14, 16]]])
    assert_close(ops.pool2d(X, 3, padding=1, stride=2), expected)


@pytest.mark.parametrize(("kernel", "padding", "stride", "shape"), [
    (3, 1, 1, (8, 8)), ((5, 3), (2, 1), 1, (8, 8)), (3, 1, 2, (4, 4)),
    ((3, 5), (0, 1), (3, 4), (2, 2)),
])
def test_chapter_output_shapes(kernel, padding, stride, shape):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    assert (ops.output_size(8, kh, ph, sh), ops.output_size(8, kw, pw, sw)) == shape
    Y = ops.corr2d(torch.rand(8, 8), torch.rand(kh, kw), padding=padding, stride=stride)
    assert tuple(Y.shape) == shape


# --- equality with torch on every valid input ------------------------------------------------

SHAPES = [(1, 1, 1, 1), (3, 3, 2, 2), (5, 7, 3, 2), (6, 8, 1, 2), (7, 6, 3, 3), (4, 9, 2, 5)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("padding", [0, 1, (2, 0), (0, 3)])
@pytest.mark.parametrize("stride", [1, 2, (3, 1)])
@pytest.mark.parametrize("dilation", [1, 2, (1, 3)])
@pytest.mark.parametrize("mode", ops.PADDING_MODES)
def test_corr2d_equals_torch(shape, padding, stride, dilation, mode):
    n_h, n_w, k_h, k_w = shape
    gen = torch.Generator().manual_seed(zlib.crc32(repr((shape, padding)).encode()))
    X = torch.randn(n_h, n_w, generator=gen, dtype=torch.float64)
    K = torch.randn(k_h, k_w, generator=gen, dtype=torch.float64)
    try:
        ref = torch_corr2d(X, K, padding, stride, dilation, mode)
    except RuntimeError:
        with pytest.raises(ValueError, match="."):  # torch rejects it; so must we
            ops.corr2d(X, K, padding=padding, stride=stride, dilation=dilation, padding_mode=mode)
        return
    got = ops.corr2d(X, K, padding=padding, stride=stride, dilation=dilation, padding_mode=mode)
    assert_close(got, ref)


@pytest.mark.parametrize("mode", ops.PADDING_MODES)
@pytest.mark.parametrize("padding", [0, 1, 2, (1, 3)])
def test_pad2d_equals_torch(mode, padding):
    X = torch.arange(20, dtype=torch.float32).reshape(4, 5)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    assert_close(ops.pad2d(X, padding, mode), F.pad(X[None], (pw, pw, ph, ph), TORCH_PAD[mode])[0])


@pytest.mark.parametrize(("padding", "stride"), [(0, 1), (1, 2), ((0, 2), (2, 1))])
def test_convolve2d_equals_torch_with_flipped_kernel(padding, stride):
    X, K = torch.randn(6, 7), torch.randn(3, 3)
    ref = torch_corr2d(X, torch.flip(K, (0, 1)), padding, stride)
    assert_close(ops.convolve2d(X, K, padding=padding, stride=stride), ref)


@pytest.mark.parametrize(("c_i", "c_o", "k"), [(1, 1, 1), (2, 3, 2), (3, 2, 3), (4, 5, 1)])
@pytest.mark.parametrize(("padding", "stride"), [(0, 1), (1, 2)])
def test_multi_channel_equals_torch(c_i, c_o, k, padding, stride):
    X, K = torch.randn(c_i, 6, 5, dtype=torch.float64), torch.randn(c_o, c_i, k, k,
                                                                    dtype=torch.float64)
    ref = F.conv2d(X[None], K, padding=padding, stride=stride)[0]
    assert_close(ops.corr2d_multi_in_out(X, K, padding=padding, stride=stride), ref)
    assert_close(ops.corr2d_multi_in(X, K[0], padding=padding, stride=stride), ref[0])
    if k == 1 and padding == 0 and stride == 1:
        assert_close(ops.corr2d_multi_in_out_1x1(X, K), ref)


POOL_CASES = [
    # (shape, pool_size, padding, stride, dilation)
    ((4, 4), 2, 0, 1, 1), ((4, 4), 3, 1, 2, 1), ((4, 4), (2, 3), (0, 1), (2, 3), 1),
    ((5, 7), 3, 1, 1, 1), ((6, 6), 2, 1, 2, 1), ((7, 5), (3, 2), (1, 1), (2, 1), 1),
    ((7, 7), 3, 1, 1, 2), ((8, 9), 2, 0, 3, (2, 3)), ((1, 1), 1, 0, 1, 1),
]


@pytest.mark.parametrize(("shape", "size", "padding", "stride", "dilation"), POOL_CASES)
def test_max_pool_equals_torch(shape, size, padding, stride, dilation):
    X = torch.randn(2, *shape, dtype=torch.float64)
    ref = F.max_pool2d(X[None], size, stride=stride, padding=padding, dilation=dilation)[0]
    got = ops.pool2d(X, size, "max", padding=padding, stride=stride, dilation=dilation)
    assert_close(got, ref)


@pytest.mark.parametrize(("shape", "size", "padding", "stride", "dilation"),
                         [c for c in POOL_CASES if c[4] == 1])
def test_avg_pool_equals_torch(shape, size, padding, stride, dilation):
    X = torch.randn(2, *shape, dtype=torch.float64)
    ref = F.avg_pool2d(X[None], size, stride=stride, padding=padding)[0]
    assert_close(ops.pool2d(X, size, "avg", padding=padding, stride=stride), ref)


@pytest.mark.parametrize(("pool_mode", "padding_mode"),
                         list(itertools.product(ops.POOL_MODES, ops.PADDING_MODES)))
def test_pool_with_padding_mode_equals_pad_then_pool(pool_mode, padding_mode):
    X = torch.randn(5, 6, dtype=torch.float64)
    Xp = F.pad(X[None], (1, 1, 1, 1), TORCH_PAD[padding_mode])
    pool = F.max_pool2d if pool_mode == "max" else F.avg_pool2d
    ref = pool(Xp[None], 3, stride=2)[0, 0]
    got = ops.pool2d(X, 3, pool_mode, padding=1, stride=2, padding_mode=padding_mode)
    assert_close(got, ref)


def test_pool2d_default_stride_is_one_like_the_chapter():
    assert ops.pool2d(torch.rand(5, 5), 2).shape == (4, 4)


@pytest.mark.parametrize(("n", "k", "p", "s", "d"), [
    (n, k, p, s, d) for n, k, p, s, d in itertools.product(
        [1, 3, 8, 28], [1, 2, 3, 5], [0, 1, 2], [1, 2, 3], [1, 2]) if d * (k - 1) + 1 <= n + 2 * p
])
def test_output_size_matches_torch(n, k, p, s, d):
    Y = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), padding=p, stride=s, dilation=d)
    assert ops.output_size(n, k, p, s, d) == Y.shape[-1]


def test_output_size_chapter_formula_without_dilation():
    # floor((n_h - k_h + p_h + s_h) / s_h) with p_h the total padding of both sides
    for n, k, p, s in itertools.product(range(1, 10), range(1, 5), range(0, 3), range(1, 4)):
        if k <= n + 2 * p:
            assert ops.output_size(n, k, p, s) == (n - k + 2 * p + s) // s


# --- invalid arguments: ValueError with a message a student understands ----------------------

@pytest.mark.parametrize(("call", "words"), [
    (lambda: ops.corr2d(torch.ones(2, 2), torch.ones(3, 3)), "padded input has only 2"),
    (lambda: ops.corr2d(torch.ones(4, 4), torch.ones(2, 2), stride=0), "stride must be at least 1"),
    (lambda: ops.corr2d(torch.ones(4, 4), torch.ones(2, 2), dilation=0), "dilation must be"),
    (lambda: ops.corr2d(torch.ones(4, 4), torch.ones(2, 2), dilation=4), "dilation 4"),
    (lambda: ops.corr2d(torch.ones(4, 4), torch.ones(2, 2), padding=-1), "padding must be 0 or"),
    (lambda: ops.corr2d(torch.ones(4, 4), torch.ones(2, 2), padding=(1, 2, 3)), "pair"),
    (lambda: ops.corr2d(torch.ones(4, 4), torch.ones(2, 2), stride=1.5), "whole number"),
    (lambda: ops.corr2d(torch.ones(4, 4), torch.ones(2, 2), padding_mode="mirror"), "mirror"),
    (lambda: ops.corr2d(torch.ones(3, 3), torch.ones(2, 2), padding=3, padding_mode="reflect"),
     "Reflect padding"),
    (lambda: ops.corr2d(torch.ones(3), torch.ones(2, 2)), "2 dimensions"),
    (lambda: ops.corr2d(torch.ones(0, 3), torch.ones(1, 1)), "empty"),
    (lambda: ops.corr2d_multi_in(torch.ones(2, 3, 3), torch.ones(3, 2, 2)), "2 channels"),
    (lambda: ops.corr2d_multi_in_out(torch.ones(2, 3, 3), torch.ones(1, 3, 2, 2)), "must match"),
    (lambda: ops.corr2d_multi_in_out_1x1(torch.ones(2, 3, 3), torch.ones(1, 2, 2, 2)), "1x1"),
    (lambda: ops.pool2d(torch.ones(4, 4), 2, "min"), "max' or 'avg"),
    (lambda: ops.pool2d(torch.ones(4, 4), 2, padding=2), "at most half"),
    (lambda: ops.pool2d(torch.ones(4, 4), 2, "avg", dilation=2), "no dilation"),
    (lambda: ops.pool2d(torch.ones(2, 2), 3), "padded input"),
    (lambda: ops.output_size(5, 0), "kernel size must be at least 1"),
])
def test_invalid_arguments_raise_value_error(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_accepts_nested_lists():
    assert_close(ops.corr2d([[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[0, 1], [2, 3]]),
                 torch.tensor([[19.0, 25.0], [37.0, 43.0]]))
