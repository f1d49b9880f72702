"""Looking inside LeNet: inputs prepared like the data, layer outputs, mistakes, payload size."""

import json

import numpy as np
import plotly.io
import pytest
import torch
import torch.nn.functional as F
from imagefiles import png_bytes, tiff_bytes
from torch.testing import assert_close

from cnnviz.imageio import load_image
from cnnviz.lenet import inspection
from cnnviz.lenet.model import VARIANTS, build_lenet, layer_summary
from cnnviz.lenet.shapes import make_shapes, shapes_split
from cnnviz.lenet.train import TrainConfig, as_batch, train_lenet
from cnnviz.viz import colors
from cnnviz.viz.lenet_figures import (
    curves_figure,
    feature_maps_figure,
    kernels_figure,
    quantize,
    tile,
)


@pytest.fixture(scope="module")
def model():
    return build_lenet(VARIANTS["modern"], seed=0).eval()


@pytest.fixture(scope="module")
def image():
    return make_shapes(1, seed=9)[0][0]


def test_feature_maps_follow_the_layer_summary_and_end_in_the_logits(model, image):
    outputs = inspection.feature_maps(model, image)
    rows = layer_summary(model)
    assert [(o.name, (1, *o.values.shape)) for o in outputs] == [(r.name, r.shape) for r in rows]
    assert_close(outputs[-1].values, model(as_batch(image[None]))[0])
    assert_close(outputs[0].values, F.conv2d(as_batch(image[None]), model.net[0].weight,
                                             model.net[0].bias, padding=2)[0])


def test_class_probabilities_are_the_softmax(model, image):
    probs = inspection.class_probabilities(model, image)
    assert_close(probs, torch.softmax(model(as_batch(image[None])), 1)[0])
    assert probs.sum().item() == pytest.approx(1.0)


def test_confusion_matrix_counts_pairs():
    labels = torch.tensor([0, 0, 1, 2, 2, 2])
    predicted = torch.tensor([0, 1, 1, 2, 0, 2])
    expected = torch.tensor([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert torch.equal(inspection.confusion_matrix(labels, predicted, 3), expected)


def test_confident_mistakes_are_wrong_and_sorted():
    labels = torch.tensor([0, 1, 2, 0])
    probs = torch.tensor([[0.9, 0.1, 0.0], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.5, 0.3]])
    assert inspection.confident_mistakes(labels, probs, k=5) == [
        (1, 1, 0, pytest.approx(0.7)), (3, 0, 1, pytest.approx(0.5))]


def test_predict_matches_the_model_on_a_split(model):
    split = shapes_split(False, n=30)
    probs = inspection.predict(model, split, chunk=7)
    assert_close(probs, torch.softmax(model(split.float_images()), 1))


def canvas_drawing(dark_background: bool) -> np.ndarray:
    """An RGBA 'drawing' of a thick off-centre stroke, as the canvas returns it."""
    rgba = np.zeros((224, 224, 4), np.uint8)
    if not dark_background:
        rgba[...] = 255
    rgba[30:120, 20:50, :3] = 255 if dark_background else 0
    rgba[30:120, 20:50, 3] = 255
    return rgba


@pytest.mark.parametrize("dark", [True, False])
def test_drawing_is_prepared_like_mnist(dark):
    x = inspection.prepare_drawing(canvas_drawing(dark), "mnist")
    assert x.shape == (28, 28)
    assert x.dtype == torch.uint8
    assert x[0].max() == 0
    assert x[:, 0].max() == 0
    assert x.max() > 200
    mass = x.float() / x.float().sum()
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    assert (mass * yy).sum().item() == pytest.approx(13.5, abs=1.0)  # centred by mass
    assert (mass * xx).sum().item() == pytest.approx(13.5, abs=1.0)
    rows = (x > 0).any(1).nonzero()
    assert rows.max() - rows.min() + 1 <= 21  # fits MNIST's 20-pixel box (plus blur)


def test_empty_drawing_gets_a_clear_message():
    with pytest.raises(ValueError, match="empty"):
        inspection.prepare_drawing(np.zeros((50, 50, 4), np.uint8), "fashion")


def test_patch_is_cropped_square_shrunk_and_made_bright_on_dark():
    patch = np.full((60, 90), 200, np.float32)  # bright background, dark blob
    patch[20:40, 35:55] = 10
    x = inspection.prepare_patch(patch)
    assert x.shape == (28, 28)
    assert x.dtype == torch.uint8
    assert x[0, 0] == 0
    assert x[14, 14] == 255
    assert inspection.prepare_patch(patch, invert=False)[0, 0] == 255


def test_patch_shrinks_by_box_averaging_before_stretching():
    square = np.zeros((56, 56), np.float32)
    square[::2, :28] = 0.5  # every other row: each 2x2 box averages to 0.25
    square[:, 42:] = 1.0
    x = inspection.prepare_patch(square, invert=False)
    assert x[:, :14].unique().tolist() == [64]  # 0.25 of the range, rounded
    assert x[:, 14:21].unique().tolist() == [0]
    assert x[:, 21:].unique().tolist() == [255]


def test_sixteen_bit_patch_keeps_its_contrast():
    """Values 60000..60255 in a 16-bit TIFF: a narrow range above 8 bits, stretched to 0..255."""
    ramp = (60000 + np.arange(256, dtype=np.uint16))[None, :].repeat(256, 0)
    loaded = load_image(tiff_bytes(ramp), "ramp.tif")
    x = inspection.prepare_patch(loaded.array, invert=False)
    assert x[0, 0] < 10
    assert x[0, -1] > 245
    assert (x[:, 1:].int() - x[:, :-1].int() >= 0).all()  # still a ramp, left to right
    eight_bit = inspection.prepare_patch((ramp - 60000).astype(np.float32), invert=False)
    assert torch.equal(x, eight_bit)  # the offset makes no difference


def test_colour_patch_uses_the_loaders_luma():
    """Red and green halves are equal on an RGB average but not by luma (0.299 R vs 0.587 G)."""
    rgb = np.zeros((28, 28, 3), np.uint8)
    rgb[:, :14, 0] = 255
    rgb[:, 14:, 1] = 255
    x = inspection.prepare_patch(load_image(png_bytes(rgb), "halves.png").array, invert=False)
    assert x[:, :14].unique().tolist() == [0]
    assert x[:, 14:].unique().tolist() == [255]


def test_central_crop_and_gray_of_a_drawing():
    a = np.arange(5 * 8).reshape(5, 8)
    assert inspection.central_crop(a, 3, 4).tolist() == a[1:4, 2:6].tolist()
    assert inspection.central_crop(a, 9, 9).shape == (5, 8)
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (255, 255, 255, 255)
    rgba[1, 1] = (255, 255, 255, 128)
    assert_close(inspection.to_gray(rgba), torch.tensor([[1.0, 0], [0, 128 / 255]]).numpy())
    with pytest.raises(ValueError, match="2-D image"):
        inspection.to_gray(np.zeros((2, 2, 3)))


def test_first_layer_responses_at_full_resolution(model):
    micrograph = inspection.synthetic_micrograph(96, seed=1)
    assert micrograph.shape == (96, 96)
    assert micrograph.min() >= 0
    assert micrograph.max() <= 1
    responses = inspection.first_layer_responses(model, micrograph, activate=False)
    X = torch.from_numpy(inspection.to_gray(micrograph))[None, None]
    assert_close(responses, F.conv2d(X, model.net[0].weight, model.net[0].bias, padding=2)[0])
    assert inspection.first_layer_responses(model, micrograph).min() >= 0  # after ReLU


def test_tiles_and_quantization():
    maps = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
    grid = tile(maps, columns=2)
    assert grid.shape == (3, 7)
    assert np.isnan(grid[:, 3]).all()
    levels = quantize(grid, colors.value_range(grid))
    assert levels[0, 0] == 0
    assert levels[2, 6] == 254
    assert (levels[:, 3] == 255).all()
    signed = quantize(grid - 8, colors.value_range(grid - 8))  # -8..9 shown over -9..9
    assert (signed[0, 0], signed[2, 6]) == (14, 254)
    assert signed[grid == 8].tolist() == [127]  # zero: the middle level, white


def test_feature_maps_reach_the_browser_in_under_100_kb(model, image):
    fig = feature_maps_figure(inspection.feature_maps(model, image))
    size = len(plotly.io.to_json(fig, validate=False).encode())
    assert size < 100_000
    spec = json.loads(plotly.io.to_json(fig, validate=False))
    assert len(spec["data"]) == len(layer_summary(model))


def test_kernel_and_curve_figures_hold_the_data(model):
    spec = json.loads(plotly.io.to_json(kernels_figure(model.net[3].weight), validate=False))
    assert spec["layout"]["height"] > 0
    assert len(spec["data"]) == 1
    history = list(train_lenet(build_lenet(), shapes_split(True, n=64), shapes_split(False, n=20),
                               TrainConfig(batch_size=16, steps=8, device="cpu",
                                           report_every_s=0, test_every=4)))
    fig = curves_figure([("a", history), ("b", history[:3])])
    names = [t.name for t in fig.data]
    assert names[:3] == ["train loss (a)", "train acc (a)", "test acc (a)"]
    assert len(fig.data[2].x) == 2  # a test point every 4 steps
    assert fig.data[1].yaxis == fig.data[2].yaxis == "y2"  # accuracies on their own axis
    assert fig.data[3].line.dash == "dash"  # the older run is dashed
