"""The plotly animation: one frame per output cell, small frames, valid plotly, right colors."""

import json

import plotly.graph_objects as go
import pytest
import torch

from cnnviz import animation, frames

X3 = [[0.0, 1, 2], [3, 4, 5], [6, 7, 8]]
K2 = [[0.0, 1], [2, 3]]


def test_one_frame_per_output_cell_and_step_counter():
    fig = animation.window_figure(frames.correlation_steps(X3, K2, padding=1))
    assert len(fig["frames"]) == 16
    slider = fig["layout"]["sliders"][0]
    assert len(slider["steps"]) == 16
    assert slider["currentvalue"]["prefix"] == "Step "
    assert slider["currentvalue"]["suffix"] == " / 16"
    assert slider["steps"][2]["label"] == "3"  # reads "Step 3 / 16"
    labels = [b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"]]
    assert len([label for label in labels if "▶" in label]) == 3
    assert "⏸ Pause" in labels


def test_first_frame_shows_the_chapter_arithmetic_and_is_valid_plotly():
    fig = animation.window_figure(frames.correlation_steps(X3, K2))
    texts = [t["text"][0] for f in fig["frames"] for t in f["data"] if "text" in t]
    assert texts[0] == "Y[0, 0] = 0×0 + 1×1 + 3×2 + 4×3 = 19"
    assert texts[3] == "Y[1, 1] = 4×0 + 5×1 + 7×2 + 8×3 = 43"
    go.Figure(fig)  # plotly's validator accepts every property
    # the initial state equals frame 0, so the page opens on step 1
    text_trace = fig["frames"][0]["traces"][-1]
    assert fig["data"][text_trace]["text"] == [texts[0]]


def test_frames_only_touch_small_scatter_traces():
    fig = animation.window_figure(frames.correlation_steps(torch.rand(8, 8), torch.rand(3, 3)))
    for frame in fig["frames"]:
        for index in frame["traces"]:
            assert fig["data"][index]["type"] == "scatter"
        assert not any("z" in update for update in frame["data"])


@pytest.mark.parametrize("n", [8, 16, 32])
def test_payload_grows_linearly(n):
    X, K = torch.randint(0, 10, (n, n)).float(), torch.randint(-2, 3, (3, 3)).float()
    fig = animation.window_figure(frames.correlation_steps(X, K, padding=1))
    total = len(json.dumps(fig, separators=(",", ":")))
    per_frame = [len(json.dumps(f, separators=(",", ":"))) for f in fig["frames"]]
    slider_step = len(json.dumps(fig["layout"]["sliders"][0]["steps"][-1], separators=(",", ":")))
    assert max(per_frame) + slider_step <= 1024
    assert total <= 1024 * n * n + 60_000


def test_colors_sequential_input_diverging_signed_output():
    X = torch.ones(6, 8)
    X[:, 2:6] = 0
    fig = animation.window_figure(frames.correlation_steps(X, [[1.0, -1.0]]))
    heatmaps = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert heatmaps[0]["colorscale"] == animation.INPUT_SCALE
    kernel, output = heatmaps[1], heatmaps[-1]
    assert kernel["zmid"] == 0
    assert output["zmid"] == 0
    assert output["colorscale"] == animation.SIGNED_SCALE


def test_padding_cells_drawn_apart_and_pooling_channels():
    X16 = torch.arange(16.0).reshape(4, 4)
    plan = frames.pooling_steps(torch.stack([X16, X16 + 1]), 3, padding=1, stride=2)
    fig = animation.window_figure(plan)
    assert len(fig["frames"]) == 8
    pad_layers = [t for t in fig["data"] if t["type"] == "heatmap"
                  and isinstance(t["colorscale"], list)]
    assert len(pad_layers) == 2
    assert pad_layers[0]["text"][0][0] == "-∞"
    texts = [f["data"][-1]["text"][0] for f in fig["frames"]]
    assert texts[4].startswith("channel 2, Y[0, 0] = max(")
    json.dumps(fig, allow_nan=False)  # -inf padding never reaches the JSON as a number


def test_dilated_window_outlines_each_cell():
    plan = frames.correlation_steps(torch.rand(7, 7), torch.rand(3, 3), dilation=2)
    fig = animation.window_figure(plan)
    window = fig["frames"][0]["data"][0]
    assert window["x"].count(None) == 9
