"""The plotly animation: one frame per output cell, small frames, valid plotly, right colors."""

import base64
import io
import json

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from PIL import Image

from cnnviz.teach import frames
from cnnviz.viz import animation, colors, gridimage, projector

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
    play, step = ([b["label"] for b in menu["buttons"]] for menu in fig["layout"]["updatemenus"])
    assert play == ["▶ Slow", "▶ Play", "▶▶ Fast", "■ Pause"]
    assert step == ["◀ Step", "Step ▶"]  # a row of their own: they fit a phone's width
    methods = [b["method"] for b in fig["layout"]["updatemenus"][1]["buttons"]]
    assert methods == ["skip", "skip"]  # stepping is done by assets/keyboard_stepping.js


def test_projector_text_is_large_and_wrapped_to_fit():
    plan = frames.correlation_steps([[float(v) for v in range(6)]] * 5, [[1.25, -2.5, 3.75]] * 2,
                                    padding=1)
    fig = animation.window_figure(plan, projector=True)
    text = projector.PROJECTOR_TEXT
    sizes = [d["textfont"]["size"] for d in fig["data"] if d.get("textfont")]
    sizes += [a["font"]["size"] for a in fig["layout"]["annotations"]]
    sizes += [m["font"]["size"] for m in fig["layout"]["updatemenus"]]
    assert min(sizes) >= 20
    assert fig["layout"]["sliders"][0]["currentvalue"]["font"]["size"] >= 20
    lines = [d["text"][0] for f in fig["frames"] for d in f["data"] if "text" in d]
    widest = max(len(part) for line in lines for part in line.split("<br>"))
    assert widest * 0.55 * text.arithmetic <= text.narrow_px  # wrapped to the chart's width
    plain = animation.window_figure(plan)
    assert fig["layout"]["height"] > plain["layout"]["height"]


def test_first_frame_shows_the_chapter_arithmetic_and_is_valid_plotly():
    fig = animation.window_figure(frames.correlation_steps(X3, K2))
    texts = [t["text"][0] for f in fig["frames"] for t in f["data"] if "text" in t]
    assert texts[0] == "Y[0, 0] = 0×0 + 1×1 + 3×2 + 4×3 = 19"
    assert texts[3] == "Y[1, 1] = 4×0 + 5×1 + 7×2 + 8×3 = 43"
    go.Figure(fig)  # plotly's validator accepts every property
    # the initial state equals frame 0, so the page opens on step 1
    frame = fig["frames"][0]
    text_trace = next(i for i, d in zip(frame["traces"], frame["data"], strict=True) if "text" in d)
    assert fig["data"][text_trace]["text"] == [texts[0]]


def test_frames_only_touch_small_scatter_traces():
    fig = animation.window_figure(frames.correlation_steps(torch.rand(8, 8), torch.rand(3, 3)))
    for frame in fig["frames"]:
        for index in frame["traces"]:
            assert fig["data"][index]["type"] == "scatter"
        assert not any("z" in update or "source" in update for update in frame["data"])


@pytest.mark.parametrize("n", [8, 16, 32])
def test_payload_grows_linearly(n):
    X, K = torch.randint(0, 10, (n, n)).float(), torch.randint(-2, 3, (3, 3)).float()
    fig = animation.window_figure(frames.correlation_steps(X, K, padding=1))
    total = len(json.dumps(fig, separators=(",", ":")))
    per_frame = [len(json.dumps(f, separators=(",", ":"))) for f in fig["frames"]]
    slider_step = len(json.dumps(fig["layout"]["sliders"][0]["steps"][-1], separators=(",", ":")))
    assert max(per_frame) + slider_step <= 1024
    assert total <= 1024 * n * n + 60_000


def png_pixels(uri):
    """Decode a data-URI PNG into an (h, w, 3) array."""
    raw = base64.b64decode(uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


def test_colors_sequential_input_diverging_signed_output():
    X = torch.ones(6, 8)
    X[:, 2:6] = 0
    fig = animation.window_figure(frames.correlation_steps(X, [[1.0, -1.0]]))
    images = fig["layout"]["images"]
    assert len(images) == 3  # input, kernel, output
    cell = gridimage.cell_pixels(6, 7)
    output = png_pixels(images[2]["source"])
    assert tuple(output[cell // 2, cell // 2]) == (247, 247, 247)  # 0: RdBu's white middle
    assert tuple(output[cell // 2, cell + cell // 2]) == (103, 0, 31)  # +1: darkest red
    assert tuple(output[cell // 2, 5 * cell + cell // 2]) == (5, 48, 97)  # -1: darkest blue
    source = png_pixels(images[0]["source"])
    cell = gridimage.cell_pixels(6, 8)
    assert tuple(source[cell // 2, cell // 2]) == (255, 255, 255)  # 1, the largest: white
    assert tuple(source[cell // 2, 2 * cell + cell // 2]) == (0, 0, 0)  # 0, the smallest
    legends = [a["text"].replace("<br>", " ") for a in fig["layout"]["annotations"]]  # wrapped
    assert colors.SIGN_LEGEND in legends  # the output is signed: the figure says how to read it


def test_padding_cells_drawn_apart_and_pooling_channels():
    X16 = torch.arange(16.0).reshape(4, 4)
    plan = frames.pooling_steps(torch.stack([X16, X16 + 1]), 3, padding=1, stride=2)
    fig = animation.window_figure(plan)
    assert len(fig["frames"]) == 8
    numbers = fig["data"][0]
    assert numbers["mode"] == "text"
    assert numbers["text"][0] == "-∞"  # max pooling pads with -inf, shown on a grey cell
    assert numbers["textfont"]["color"][0] == "#555555"
    pixels = png_pixels(fig["layout"]["images"][0]["source"])
    cell = gridimage.cell_pixels(6, 6)
    padding = {tuple(p) for p in pixels[1:cell, 1:cell].reshape(-1, 3)}  # a corner cell
    assert padding == {gridimage.PADDING_RGB, gridimage.HATCH_RGB}  # hatched, no value's grey
    legends = [a["text"] for a in fig["layout"]["annotations"]]
    assert colors.SIGN_LEGEND not in legends  # nothing negative here
    texts = [t["text"][0] for f in fig["frames"] for t in f["data"] if "text" in t]
    assert texts[4].startswith("channel 2, Y[0, 0] = max(")
    # plotly keeps an outline whose update is an empty list; hidden ones must be [None]
    updates = [d for f in fig["frames"] for d in f["data"]]
    assert not any(d.get("x") == [] for d in updates)
    assert {"x": [None], "y": [None]} in updates
    json.dumps(fig, allow_nan=False)  # -inf padding never reaches the JSON as a number


def test_dilated_window_outlines_each_cell():
    plan = frames.correlation_steps(torch.rand(7, 7), torch.rand(3, 3), dilation=2)
    fig = animation.window_figure(plan)
    window = fig["frames"][0]["data"][0]
    assert window["x"].count(None) == 9


def test_animation_bench_suite_is_registered_and_reports_sizes():
    from cnnviz.bench import SUITES
    from cnnviz.bench import animation as suite

    assert "animation" in SUITES
    results = suite.run(quick=True)
    names = [r.name for r in results]
    for n in (8, 16, 32):
        assert f"{n}x{n} k3 p1 figure JSON" in names
        assert f"{n}x{n} k3 p1 build time" in names
    sizes = [r for r in results if r.unit in ("B", "kB") and r.ok is not None]
    assert len(sizes) == 7
    assert all(r.ok for r in sizes)  # bytes do not depend on the machine; times are not asserted


def test_a_single_step_has_no_play_controls():
    X = [[float(4 * r + c) for c in range(4)] for r in range(4)]
    single = animation.window_figure(frames.pooling_steps([X], (3, 3), "max", 0, (3, 3)))
    assert len(single["frames"]) == 1
    assert "updatemenus" not in single["layout"]
    assert "sliders" not in single["layout"]
    several = animation.window_figure(frames.pooling_steps([X], (3, 3), "max", 0, (1, 1)))
    assert len(several["layout"]["sliders"][0]["steps"]) == len(several["frames"]) == 4


def _grid_slack(fig: dict, chart_px: int) -> list[float]:
    """Per grid: px of its band its square cells leave empty; whether they fill its width."""
    layout = fig["layout"]
    plot_h = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    plot_w = chart_px - layout["margin"]["l"] - layout["margin"]["r"]
    out = []
    for name, xaxis in layout.items():
        if not name.startswith("xaxis") or "range" not in xaxis or xaxis.get("visible") is False:
            continue
        yaxis = layout["y" + name[1:]]
        w, h = xaxis["range"][1] - xaxis["range"][0], yaxis["range"][0] - yaxis["range"][1]
        room_w = plot_w * (xaxis["domain"][1] - xaxis["domain"][0])
        room_h = plot_h * (yaxis["domain"][1] - yaxis["domain"][0])
        cell = min(room_w / w, room_h / h)
        out.append((room_h - h * cell, cell >= room_w / w - 1e-6))
    return out


@pytest.mark.parametrize("plan", [
    frames.correlation_steps(X3, K2),
    frames.correlation_steps(torch.rand(2, 5, 5), torch.rand(2, 3, 3)),  # stacked channels
    frames.pooling_steps([torch.rand(6, 6).tolist()], (2, 2), "max", 0, (2, 2))])
def test_a_phone_width_fits_the_height_to_the_grids(plan):
    desktop = animation.window_figure(plan)
    phone = animation.window_figure(plan, chart_px=360)
    assert phone["layout"]["height"] < desktop["layout"]["height"]
    empty, fills = min(_grid_slack(phone, 360))  # the tallest grids: they set the height
    assert fills  # square cells as wide as their column
    assert empty < 40  # and little white under them
    layout = phone["layout"]
    plot_h = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    stacked = 0
    for note in layout["annotations"]:  # a stacked grid's title fits between it and the one above
        n = note["yref"].split()[0][1:]  # "y2 domain" -> "2"
        x_dom, y_dom = layout["xaxis" + n]["domain"], layout["yaxis" + n]["domain"]
        above = [layout["y" + k[1:]]["domain"][0] for k in layout if k.startswith("xaxis")
                 and layout[k]["domain"] == x_dom and layout["y" + k[1:]]["domain"][0] > y_dom[1]]
        if above:
            stacked += 1
            room = (min(above) - y_dom[1]) * plot_h
            assert room >= (note["text"].count("<br>") + 1) * projector.SCREEN_TEXT.title * 1.35
    assert stacked == (2 if len(plan.padded) == 2 else 0)  # the channel-2 input and kernel
    sizes = [lambda f: f["data"][-1]["textfont"]["size"], lambda f: f["layout"]["font"]["size"]]
    assert [size(phone) for size in sizes] == [size(desktop) for size in sizes]  # same type
