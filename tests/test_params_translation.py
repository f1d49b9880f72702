"""Parameter counts (chapter: why convolutions) and translation equivariance, against torch."""

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from cnnviz import pageconfig as urlstate
from cnnviz.teach import params, translation


@pytest.mark.parametrize("delta", [1, 2, 5, 9])
def test_chapter_counts_for_a_megapixel_image(delta):
    fc, shared, local = params.parameter_counts(1000, 1000, delta)
    assert fc.chapter == 10**12
    assert shared.chapter == 4 * 10**6
    assert local.chapter == 4 * delta**2
    assert params.power_of_ten(fc.chapter) == "10¹²"
    assert params.power_of_ten(shared.chapter) == "4·10⁶"
    assert local.exact == (2 * delta + 1) ** 2


@pytest.mark.parametrize(("h", "w", "delta"), [(3, 4, 1), (5, 5, 2), (2, 7, 0)])
def test_exact_counts_equal_enumeration_and_torch_layers(h, w, delta):
    fc, shared, local = params.parameter_counts(h, w, delta)
    pixels = list(itertools.product(range(h), range(w)))
    offsets = {(k - i, m - j) for (i, j) in pixels for (k, m) in pixels}
    assert shared.exact == len(offsets)
    assert fc.exact == nn.Linear(h * w, h * w, bias=False).weight.numel()
    assert local.exact == nn.Conv2d(1, 1, 2 * delta + 1, bias=False).weight.numel()
    assert shared.chapter == 4 * h * w


@pytest.mark.parametrize(("args", "match"), [((0, 5, 1), "image height"),
                                             ((5, 5, -1), "Delta must be"),
                                             ((5, 5, 5), "reaches past"),
                                             ((5, 10**6, 1), "image width")])
def test_count_errors_are_human(args, match):
    with pytest.raises(ValueError, match=match):
        params.parameter_counts(*args)


def test_power_of_ten_falls_back_to_separators():
    assert params.power_of_ten(441) == "441"
    assert params.power_of_ten(3_996_001) == "3,996,001"
    assert params.power_of_ten(2 * 10**5) == "2·10⁵"


def torch_same_conv(X, K, mode):
    """Reference: F.pad (circular or zeros) by k // 2, then F.conv2d."""
    kh, kw = K.shape
    torch_mode = "circular" if mode == "circular" else "constant"
    Xp = F.pad(X[None, None], (kw // 2, kw // 2, kh // 2, kh // 2), mode=torch_mode)
    return F.conv2d(Xp, K[None, None])[0, 0]


@pytest.mark.parametrize(("shape", "kshape", "dy", "dx"), [((6, 8), (3, 3), 2, 3),
                                                          ((5, 5), (1, 3), -1, 4),
                                                          ((7, 4), (5, 3), 3, -2)])
def test_circular_padding_makes_convolution_exactly_equivariant(shape, kshape, dy, dx):
    gen = torch.Generator().manual_seed(0)
    X = torch.randint(0, 10, shape, generator=gen).float()
    K = torch.randint(-2, 3, kshape, generator=gen).float()
    demo = translation.shift_demo(X, K, dy, dx, "circular")
    assert demo.max_error == 0
    assert demo.broken_cells == []
    reference = torch_same_conv(torch.roll(X, (dy, dx), (0, 1)), K, "circular")
    assert_close(torch.tensor(demo.output_of_shifted), reference)
    assert_close(torch.roll(torch_same_conv(X, K, "circular"), (dy, dx), (0, 1)), reference)


def test_zero_padding_breaks_only_where_content_crosses_the_border():
    sq, lap = translation.SQUARE, translation.LAPLACE
    inside = translation.shift_demo(sq, lap, 1, 1, "zeros")
    assert inside.max_error == 0
    border = translation.shift_demo(sq, lap, 2, 3, "zeros")
    assert border.broken_cells == [(4, 0), (5, 0), (6, 0)]  # the response that wrapped around
    X = torch.roll(torch.tensor(sq), (2, 3), (0, 1))
    assert_close(torch.tensor(border.output_of_shifted), torch_same_conv(X, torch.tensor(lap),
                                                                         "zeros"))


@pytest.mark.parametrize("name", list(translation.PRESETS))
def test_presets_do_what_their_labels_say(name):
    demo = translation.demo_for({**translation.PRESETS[name]})
    exact = "(exact)" in translation.PRESET_LABELS[name]
    assert (demo.max_error == 0) == exact


def test_shift_demo_errors():
    with pytest.raises(ValueError, match="odd kernel size"):
        translation.shift_demo([[1.0, 2], [3, 4]], [[1.0, -1]], 0, 1)
    with pytest.raises(ValueError, match="one channel"):
        translation.demo_for({"x": [[[1.0]], [[2.0]]], "k": [[[1.0]]], "dy": 0, "dx": 0,
                              "mode": "zeros"})
    with pytest.raises(ValueError, match="circular or zeros"):
        translation.shift_demo([[1.0]], [[1.0]], 0, 0, "reflect")


def test_page_check_counts_weights_and_runs_the_demo():
    config = translation.PAGE.defaults()
    assert translation.check_config(config).max_error == 0
    with pytest.raises(ValueError, match="reaches past"):
        translation.check_config({**config, "h": 3, "w": 3, "delta": 5})


def test_link_round_trip_of_the_page_settings():
    config = {"preset": "edge-zeros", "h": 28, "w": 28, "delta": 2, "dy": -1, "dx": 2,
              "mode": "zeros", "x": [translation.EDGE], "k": [translation.CENTRAL_DIFFERENCE]}
    params_ = urlstate.encode(config, translation.FIELDS)
    decoded, messages = urlstate.decode(params_, translation.FIELDS)
    assert messages == []
    assert decoded == config
