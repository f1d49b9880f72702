"""One sign convention everywhere: every signed figure and image draws -1 blue, +1 red.

Each figure is built with one negative and one positive value and its colours are read back
the way the browser would get them: pixels of the PNG and JPEG-bound images, and for plotly
heatmaps the colour that the trace's own colorscale gives at that value.
"""

import base64
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.lab import display, kernels
from cnnviz.lenet.inspection import LayerOutput
from cnnviz.teach import channels, frames, translation
from cnnviz.viz import animation, colors, gridimage, lab_figures, lenet_figures, static_figures

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 6  # per channel, between the same value drawn by two figures (rounding, levels)


def png_pixels(uri: str) -> np.ndarray:
    """Decode a data-URI PNG into an (h, w, 3) array."""
    raw = base64.b64decode(uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


def parse_rgb(text: str) -> np.ndarray:
    """'rgb(r,g,b)' or '#rrggbb' as a float array."""
    if text.startswith("#"):
        return np.array([int(text[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return np.array([float(v) for v in text[text.index("(") + 1:-1].split(",")[:3]])


def heatmap_rgb(trace, value: float) -> np.ndarray:
    """The colour plotly gives ``value`` in a heatmap trace (its colorscale, zmin, zmax)."""
    trace = trace if isinstance(trace, dict) else trace.to_plotly_json()
    scale = [(float(p), parse_rgb(c)) for p, c in trace["colorscale"]]
    if trace.get("reversescale"):
        scale = [(1 - p, c) for p, c in reversed(scale)]
    t = np.clip((value - trace["zmin"]) / (trace["zmax"] - trace["zmin"]), 0, 1)
    positions = [p for p, _ in scale]
    return np.array([np.interp(t, positions, [c[k] for _, c in scale]) for k in range(3)])


def cell_centre(pixels: np.ndarray, h: int, w: int, r: int, c: int) -> np.ndarray:
    """The colour at the centre of cell (r, c) of an h x w grid image."""
    ch, cw = pixels.shape[0] / h, pixels.shape[1] / w
    return pixels[int((r + 0.5) * ch), int((c + 0.5) * cw)].astype(float)


def window_kernel_and_output():
    """Sliding-window animation (and the kernel lab's step-by-step patch): kernel [-1, 1]."""
    fig = animation.window_figure(frames.correlation_steps(torch.tensor([[1.0, 0.0, 1.0]]),
                                                           [[-1.0, 1.0]]))
    kernel, output = (png_pixels(i["source"]) for i in fig["layout"]["images"][1:])
    assert colors.SIGN_LEGEND in [a["text"].replace("<br>", " ")  # wrapped to the chart
                                  for a in fig["layout"]["annotations"]]
    # output [-1, 1]; kernel [-1, 1]
    return {"animation kernel": (cell_centre(kernel, 1, 2, 0, 0), cell_centre(kernel, 1, 2, 0, 1)),
            "animation output": (cell_centre(output, 1, 2, 0, 0),
                                 cell_centre(output, 1, 2, 0, 1))}


def grid_image():
    """The grid PNG on its own, as any page draws it."""
    scale = colors.value_range([-1.0, 1.0])
    pixels = png_pixels(gridimage.grid_png(gridimage.cell_colors([[-1.0, 1.0]], scale), 20))
    return {"grid image": (cell_centre(pixels, 1, 2, 0, 0), cell_centre(pixels, 1, 2, 0, 1))}


def has_sign_legend(fig) -> bool:
    """The figure states the convention: an annotation, or a colour bar naming both ends."""
    fig = fig if isinstance(fig, dict) else fig.to_plotly_json()
    texts = [a.get("text") for a in fig["layout"].get("annotations", [])]
    ticks = [" ".join(t["colorbar"].get("ticktext", [])) for t in fig["data"]
             if "colorbar" in t]
    return colors.SIGN_LEGEND in texts or any("negative" in t and "positive" in t
                                              for t in ticks)


def static_heatmaps():
    """The why-convolutions and channels pages' still figures."""
    found = {}
    outputs = static_figures.outputs_figure([[[-1.0, 1.0]]])
    product = static_figures.matrix_product_figure(  # weights [-1, 1], plain input
        channels.matrix_product([[[1.0, 2.0]], [[3.0, 4.0]]], [[[[-1.0]], [[1.0]]]]), 0)
    X = [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    shift = static_figures.shift_figure(X, translation.shift_demo(X, [[-1.0, 0.0, 1.0]], 0, 1,
                                                                  "circular"))
    for name, fig, trace in (("outputs figure", outputs, 0), ("matrix product weights", product, 0),
                             ("shift figure output", shift, 2)):
        assert has_sign_legend(fig), name
        heat = fig["data"][trace]
        found[name] = (heatmap_rgb(heat, -1.0), heatmap_rgb(heat, 1.0))
    return found


def lab_images_and_figures():
    """The kernel lab's result image and its (learned) kernel heatmap."""
    result = np.zeros((8, 8), np.float32)
    result[:, :4], result[:, 4:] = -1.0, 1.0
    view = display.render_pair(np.ones((8, 8), np.float32), result)
    assert view["signed_limit"] == 1.0
    fig = lab_figures.kernel_figure(np.array([[-1.0, 1.0]]))
    assert has_sign_legend(fig)
    return {"kernel lab result": (view["result"][0, 0].astype(float),
                                  view["result"][0, 7].astype(float)),
            "kernel lab kernel": (heatmap_rgb(fig.data[0], -1.0), heatmap_rgb(fig.data[0], 1.0))}


def lenet_figures_():
    """LeNet's learned kernels, a signed feature map, and the micrograph responses."""
    weight = torch.tensor([[[[-1.0, 1.0], [0.0, 0.0]]]])
    kern = lenet_figures.kernels_figure(weight)
    assert has_sign_legend(kern)
    maps = lenet_figures.feature_maps_figure(
        [LayerOutput(0, "Conv2d", torch.tensor([[[-1.0, 1.0]]])),
         LayerOutput(1, "ReLU", torch.tensor([[[0.0, 1.0]]]))])
    assert has_sign_legend(maps)
    tiles = maps.data[0]
    levels = np.asarray(tiles.z)
    responses = colors.image_rgb(np.array([[-1.0, 1.0]]))  # ui/lenet_inspect's micrograph view
    return {"lenet kernels": (heatmap_rgb(kern.data[0], -1.0), heatmap_rgb(kern.data[0], 1.0)),
            "lenet feature map": (heatmap_rgb(tiles, float(levels[0, 0])),
                                  heatmap_rgb(tiles, float(levels[0, 1]))),
            "lenet responses": (responses[0, 0].astype(float), responses[0, 1].astype(float))}


def paint_brushes():
    """The kernel painter's brushes: the + brush adds, the - brush subtracts."""
    return {"paint brushes": (parse_rgb(kernels.PAINT_NEGATIVE),
                              parse_rgb(kernels.PAINT_POSITIVE))}


def every_signed_drawing() -> dict:
    """name -> (colour of -1, colour of +1) for every kind of signed figure or image."""
    found = {}
    for source in (window_kernel_and_output, grid_image, static_heatmaps,
                   lab_images_and_figures, lenet_figures_):
        found.update(source())
    return found


def test_every_signed_figure_draws_negative_blue_and_positive_red_alike():
    drawings = every_signed_drawing()
    assert len(drawings) == 11
    reference_neg = colors.to_rgb(-1.0, True, -1.0, 1.0).astype(float)
    reference_pos = colors.to_rgb(1.0, True, -1.0, 1.0).astype(float)
    for name, (negative, positive) in drawings.items():
        assert negative[2] > negative[0] + 40, f"{name}: -1 is not blue: {negative}"
        assert positive[0] > positive[2] + 40, f"{name}: +1 is not red: {positive}"
        np.testing.assert_allclose(negative, reference_neg, atol=TOLERANCE, err_msg=name)
        np.testing.assert_allclose(positive, reference_pos, atol=TOLERANCE, err_msg=name)


def test_brushes_use_the_sign_colours():
    negative, positive = paint_brushes()["paint brushes"]
    assert negative[2] > negative[0] + 40
    assert positive[0] > positive[2] + 40
    np.testing.assert_array_equal(negative, colors.to_rgb(-0.8, True, -1, 1))  # RdBu class 2
    np.testing.assert_array_equal(positive, colors.to_rgb(0.8, True, -1, 1))


def test_zero_is_white_and_halfway_keeps_its_hue():
    for value, channel in ((-0.5, 2), (0.5, 0)):
        rgb = colors.to_rgb(value, True, -1, 1).astype(int)
        assert rgb[channel] == rgb.max()
        assert rgb.max() - rgb.min() > 40
    assert tuple(colors.to_rgb(0.0, True, -3, 3)) == tuple(parse_rgb(colors.ZERO).astype(int))


def lightness(rgb) -> np.ndarray:
    """CIE L* (0 black .. 100 white) of sRGB colours (..., 3) in 0..255."""
    c = np.asarray(rgb, dtype=float) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    y = linear @ np.array([0.2126, 0.7152, 0.0722])
    return np.where(y > 216 / 24389, 116 * np.cbrt(y) - 16, y * 24389 / 27)


def test_sequential_map_gets_lighter_with_the_value_everywhere():
    samples = colors.to_rgb(np.linspace(0, 1, 256), False, 0.0, 1.0)
    assert np.all(np.diff(lightness(samples)) > 0)
    stops = [parse_rgb(c) for _, c in colors.SEQUENTIAL]
    assert np.all(np.diff(lightness(stops)) > 0)
    np.testing.assert_array_equal(samples[:, 0], colors.gray_levels(np.linspace(0, 1, 256), 0, 1))


def test_diverging_map_is_lightest_at_zero_and_darkens_towards_both_ends():
    values = np.linspace(-1, 1, 257)
    light = lightness(colors.to_rgb(values, True, -1.0, 1.0))
    assert np.argmax(light) == 128
    assert np.all(np.diff(light[:129]) >= 0)
    assert np.all(np.diff(light[128:]) <= 0)


def test_limits_are_symmetric_and_never_zero():
    assert colors.value_range([-1.0, 3.0]) == {"signed": True, "zmin": -3.0, "zmax": 3.0}
    assert colors.value_range([0.0, 2.0]) == {"signed": False, "zmin": 0.0, "zmax": 2.0}
    assert colors.value_range([[1.0, None]], signed=True)["zmax"] == 1.0
    assert colors.heatmap_colors([-2.0, 1.0])["zmid"] == 0.0
    assert colors.symmetric_limit(np.zeros(5)) == 1.0
    assert colors.symmetric_limit([-4.0, float("nan")]) == 4.0
    hot = np.zeros(1000)
    hot[0] = 1000.0  # one hot pixel does not set a percentile limit
    assert colors.symmetric_limit(hot, pct=99.5) == 1000.0  # ...unless nothing else is non-zero
    hot[1:] = 1.0
    assert colors.symmetric_limit(hot, pct=99.5) == 1.0


@pytest.mark.parametrize("values", [[[-1.0, 0.5]], [[0.0, 2.0]]])
def test_plotly_scales_and_images_agree(values):
    shading = colors.heatmap_colors(values)
    image = colors.image_rgb(np.array(values))
    for c, value in enumerate(values[0]):
        trace = {**shading, "type": "heatmap"}
        np.testing.assert_allclose(heatmap_rgb(trace, value), image[0, c], atol=1)


def test_kernel_lab_says_how_to_read_its_result():
    at = AppTest.from_file(str(ROOT / "pages" / "6_kernel_lab.py"), default_timeout=60).run()
    assert not at.exception
    assert any(colors.SIGN_LEGEND in c for image in at.image for c in image.captions)
