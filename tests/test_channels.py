"""Multiple input and output channels and the 1x1 convolution, against torch and the chapter."""

import contextlib
import io

import plotly.graph_objects as go
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cnnviz import pageconfig as urlstate
from cnnviz.teach import channels, matrices, snippet
from cnnviz.viz import static_figures

CHAPTER_OUT = [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]


def test_chapter_multi_input_and_multi_output_numbers():
    assert channels.multi_in_out(channels.X_CHAPTER, [channels.K_CHAPTER]) == CHAPTER_OUT[:1]
    assert channels.multi_in_out(*channels.PRESETS["multi-out"].values()) == CHAPTER_OUT


@pytest.mark.parametrize("name", list(channels.PRESETS))
def test_presets_equal_torch_conv2d(name):
    case = channels.PRESETS[name]
    X, K = torch.tensor(case["x"]), torch.tensor(case["k"])
    assert_close(torch.tensor(channels.multi_in_out(case["x"], case["k"])),
                 F.conv2d(X[None], K)[0])


@pytest.mark.parametrize(("c_i", "c_o", "h", "w"), [(3, 2, 3, 3), (1, 4, 2, 5), (4, 1, 6, 1)])
def test_1x1_matrix_product_equals_corr2d_multi_in_out_and_torch(c_i, c_o, h, w):
    gen = torch.Generator().manual_seed(c_i * 10 + c_o)
    X, K = torch.randn(c_i, h, w, generator=gen), torch.randn(c_o, c_i, 1, 1, generator=gen)
    mp = channels.matrix_product(X.tolist(), K.tolist())
    assert mp.max_difference < 1e-6  # the chapter's check
    Y = torch.tensor(mp.product).reshape(c_o, h, w)
    assert_close(Y, F.conv2d(X[None], K)[0])
    assert torch.tensor(mp.weights).shape == (c_o, c_i)
    assert torch.tensor(mp.flat_input).shape == (c_i, h * w)


def test_1x1_preset_arithmetic_per_pixel():
    mp = channels.matrix_product(channels.X_1X1, channels.K_1X1)
    assert mp.max_difference == 0
    assert mp.pixel(4) == (1, 1)
    assert mp.arithmetic(0) == ["Y[0, 0] = 1×1 + 2×2 + (-1)×0 = 5",
                                "Y[1, 0] = 0×1 + 1×2 + 3×0 = 2"]


@pytest.mark.parametrize(("X", "kernels", "match"), [
    (channels.X_CHAPTER, [[[[1.0]]]], "input has 2 channels but the kernel for output channel 1"),
    (channels.X_CHAPTER, [channels.K_CHAPTER, [[[1.0]], [[1.0]]]],
     "output channel 2 is 1x1 but output channel 1's is 2x2"),
    (channels.X_CHAPTER, [], "at least one output channel"),
])
def test_shape_mistakes_are_human(X, kernels, match):
    with pytest.raises(ValueError, match=match):
        channels.multi_in_out(X, kernels)


def test_matrix_product_needs_1x1_and_kernel_larger_than_input_is_caught():
    with pytest.raises(ValueError, match="Only a 1x1 kernel"):
        channels.matrix_product(channels.X_CHAPTER, [channels.K_CHAPTER])
    with pytest.raises(ValueError, match="window spans"):
        channels.multi_in_out([[[1.0]]], [[[[1.0, 2.0]]]])


def test_page_config_kernels_follow_the_input_and_link():
    config = urlstate.apply_preset(channels.PAGE, "multi-out")
    assert channels.check_config(config) == CHAPTER_OUT
    three = {**config, "x": matrices.resize_channels(config["x"], 3, 3, 3), "co": 4, "show": 4}
    fitted = {**three, **channels.fit_kernels(three)}
    assert [len(fitted[n]) for n in channels.KERNEL_NAMES] == [3, 3, 3, 3]  # channels follow X
    assert fitted["k2"][2] == [[0, 0], [0, 0]]  # the new slice is zeros
    assert fitted["show"] == 4
    assert channels.fit_kernels({**three, "co": 2})["show"] == 2
    assert channels.check_config({**fitted, "k4": fitted["k1"]}) is not None
    config = channels.preset_config("multi-out")
    link = urlstate.encode(config, channels.FIELDS)
    assert link["k2"] == "1,2;3,4|2,3;4,5"
    decoded, messages = urlstate.decode(link, channels.FIELDS)
    assert messages == []
    assert {name: decoded[name] for name in config} == config
    with pytest.raises(ValueError, match="Output channel 3 does not exist"):
        channels.check_config({**channels.preset_config("multi-in"), "show": 3})


@pytest.mark.parametrize("name", list(channels.PRESETS))
def test_snippet_runs_and_prints_the_result(name):
    case = channels.PRESETS[name]
    code = snippet.multi_channel_snippet(case["x"], case["k"])
    assert f"nn.Conv2d({len(case['x'])}, {len(case['k'])}," in code
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {})  # noqa: S102 - our own generated code
    expected = F.conv2d(torch.tensor(case["x"])[None], torch.tensor(case["k"]))[0]
    assert str(expected.tolist()[0][0][0]).rstrip("0").rstrip(".") in out.getvalue()
    if name == "1x1":
        assert out.getvalue().strip().endswith("True")


def test_static_figures_are_valid_plotly():
    mp = channels.matrix_product(channels.X_1X1, channels.K_1X1)
    fig = static_figures.matrix_product_figure(mp, 4)
    go.Figure(fig)
    boxes = [t for t in fig["data"] if t["type"] == "scatter"]
    assert [b["x"][0] for b in boxes] == [3.5, 3.5]  # column 4 outlined in input and output
    outputs = static_figures.outputs_figure(CHAPTER_OUT)
    heatmaps = [t for t in outputs["data"] if t["type"] == "heatmap"]
    assert [h["text"][0][0] for h in heatmaps] == ["56", "76", "96"]
    go.Figure(outputs)
