"""LeNet page, inspection side: choose an input, show activations, kernels and mistakes."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from cnnviz.lenet import inspection
from cnnviz.lenet.data import ImageSet
from cnnviz.lenet.model import LeNet
from cnnviz.lenet.receptive import receptive_field
from cnnviz.lenet.train import fingerprint
from cnnviz.viz import colors
from cnnviz.viz.lenet_figures import (
    confusion_figure,
    feature_maps_figure,
    kernels_figure,
    pickable_map_figure,
    probabilities_figure,
    region_figure,
)
from ui import charts, config_ui
from ui.uploads import UPLOAD_KINDS, uploaded_image

MAX_MICROGRAPH_SIDE = 2048  # larger uploads are cropped to their centre to bound memory
GALLERY_PX = 96  # every thumbnail the same size, whatever the column width


@st.cache_data(max_entries=64, show_spinner=False)
def _shared_predictions(weights: str, split: str, _model: LeNet, _test_set: ImageSet
                        ) -> torch.Tensor:
    """Probabilities of the model with these weights on this split, once per server process.

    The sessions of one shared computation end with equal weights at the same moment: 30 of
    them each predicting 1,770 images at once took ~800 MB of transient activations.
    """
    return inspection.predict(_model, _test_set)


def predictions(model: LeNet, test_set: ImageSet) -> torch.Tensor:
    """Test-set probabilities, computed once per model and kept in the session."""
    cached = st.session_state.get("lenet_predictions")
    if cached is None or cached[0] is not model or cached[1] is not test_set:
        split = repr((test_set.name, test_set.split, test_set.source, len(test_set)))
        weights = fingerprint(model.config, *model.state_dict().values())
        cached = (model, test_set, _shared_predictions(weights, split, model, test_set))
        st.session_state["lenet_predictions"] = cached
    return cached[2]


def big(image: torch.Tensor | np.ndarray, scale: int = 4) -> np.ndarray:
    """A 28x28 image enlarged with sharp pixels (browsers blur small images)."""
    a = np.asarray(image, dtype=np.uint8)
    return np.kron(a, np.ones((scale, scale), np.uint8))


def gallery(page: config_ui.Page, test_set: ImageSet, probs: torch.Tensor, count: int = 12) -> int:
    """Test images with true and predicted labels; returns the index chosen to inspect."""
    names = test_set.classes
    cols = st.columns(count // 2)
    for i in range(min(count, len(test_set))):
        truth, guess = names[int(test_set.labels[i])], names[int(probs[i].argmax())]
        mark = "✓" if truth == guess else "✗"
        cols[i % len(cols)].image(big(test_set.images[i]), width=GALLERY_PX,
                                  caption=f"#{i} {truth} → {guess} {mark}")
    index = config_ui.widget(page, "test_index", "Test image to inspect (#)")
    if index >= len(test_set):
        st.error(f"The test set has images #0 to #{len(test_set) - 1}; showing #0.")
        return 0
    return int(index)


def drawn_input(style: str) -> torch.Tensor | None:
    """A canvas to draw on; the drawing prepared like the data set (28x28, centred)."""
    from streamlit_drawable_canvas import st_canvas  # needs the Streamlit runtime

    st.caption("Draw one digit or garment in white; it is cropped, shrunk to 28x28 and "
               "centred the way the data set's images are.")
    result = st_canvas(stroke_width=16, stroke_color="#FFFFFF", background_color="#000000",
                       height=224, width=224, drawing_mode="freedraw", return_image_data=True,
                       key="lenet_canvas")
    drawing = result.image_data if result is not None else None
    if drawing is None or np.asarray(drawing)[..., :3].max() == 0:
        st.info("Draw something on the black canvas.")
        return None
    return inspection.prepare_drawing(np.asarray(drawing), style)


def uploaded_input(page: config_ui.Page) -> torch.Tensor | None:
    """An uploaded picture or micrograph patch, prepared as a 28x28 bright-on-dark image."""
    picture = uploaded_image(f"Image or micrograph patch ({UPLOAD_KINDS})",
                             key="lenet_patch_upload")
    polarity = config_ui.widget(page, "polarity", "Polarity", style="radio", horizontal=True,
                                help="The data sets show bright objects on a dark background.")
    if picture is None:
        return None
    invert = {"auto": None, "keep": False, "invert": True}[polarity]
    return inspection.prepare_patch(picture.array, invert)


def activations(model: LeNet, image: torch.Tensor, classes, truth: str | None) -> None:
    """Input, class probabilities, every layer's output and the learned kernels."""
    c1, c2 = st.columns([1, 2])
    c1.image(big(image, 6), caption="what the network sees (28x28)"
             + (f", true class: {truth}" if truth else ""))
    probabilities = inspection.class_probabilities(model, image)
    charts.plotly_chart(probabilities_figure(probabilities, classes), where=c2, key="lenet_probs")
    st.markdown("**Output of every layer**, with its range under each title. Grey layers have "
                "no negative values: dark is the layer's smallest value, bright its largest. "
                "Coloured layers have some: blue is negative, white zero, red positive.")
    charts.plotly_chart(feature_maps_figure(inspection.feature_maps(model, image), classes),
                        key="lenet_feature_maps", theme=None)
    st.markdown("**Learned first-layer kernels**, one per output channel "
                "(red positive, blue negative)")
    charts.plotly_chart(kernels_figure(model.net[0].weight), key="lenet_kernels1", theme=None)
    st.markdown("**Learned second-layer kernels**: one column per output channel, one row "
                "per input channel (at most six shown)")
    charts.plotly_chart(kernels_figure(model.net[3].weight), key="lenet_kernels2", theme=None)


def picked_pixel(selection: dict | None, shape: tuple[int, int]) -> tuple[int, int]:
    """The pixel last clicked on the receptive-field map (its centre before any click)."""
    points = ((selection or {}).get("selection") or {}).get("points") or []
    h, w = shape
    if not points:
        return h // 2, w // 2
    row, col = round(points[0].get("y", 0)), round(points[0].get("x", 0))
    return min(max(row, 0), h - 1), min(max(col, 0), w - 1)


def receptive_fields(model: LeNet, image: torch.Tensor) -> None:
    """Click a feature-map pixel: the input pixels it sees are outlined (deeper sees more)."""
    maps = {o.index: o for o in inspection.feature_maps(model, image) if o.values.ndim == 3}
    c1, c2 = st.columns(2)
    index = c1.selectbox("Layer", list(maps), key="lenet_rf_layer",
                         format_func=lambda i: f"{i} {maps[i].name} "
                                               f"{'x'.join(map(str, maps[i].values.shape))}")
    channel = int(c2.number_input("Channel", 0, maps[index].values.shape[0] - 1, 0,
                                  key="lenet_rf_channel"))
    values = maps[index].values[channel].numpy()
    row, col = picked_pixel(st.session_state.get("lenet_rf_map"), values.shape)
    region = receptive_field(model.net, index, row, col)
    left, right = st.columns(2)
    title = f"layer {index}, channel {channel}: click a pixel"
    charts.plotly_chart(pickable_map_figure(values, title, (row, col)), where=left,
                        key="lenet_rf_map", on_select="rerun", selection_mode="points",
                        theme=None)
    charts.plotly_chart(region_figure(image.numpy(), region), where=right, key="lenet_rf_input",
                        theme=None)
    height, width = region.size
    st.caption(f"Pixel (row {row}, column {col}) of layer {index} depends on rows "
               f"{region.top}-{region.bottom} and columns {region.left}-{region.right} of the "
               f"input: {height}x{width} of its 28x28 pixels. Each convolution and pooling "
               "widens the region, so deeper layers see larger parts of the image.")


def mistakes(test_set: ImageSet, probs: torch.Tensor) -> None:
    """Confusion matrix and the most confident wrong answers on the test set."""
    names = test_set.classes
    predicted = probs.argmax(1)
    counts = inspection.confusion_matrix(test_set.labels, predicted, len(names))
    accuracy = float((predicted == test_set.labels).float().mean())
    st.markdown(f"**Test accuracy {accuracy:.1%}** on {len(test_set):,} images")
    charts.plotly_chart(confusion_figure(counts, names), key="lenet_confusion",
                    theme=None)
    wrong = inspection.confident_mistakes(test_set.labels, probs, k=8)
    if wrong:
        st.markdown("**The most confident mistakes**")
        cols = st.columns(len(wrong))
        for col, (i, truth, guess, p) in zip(cols, wrong, strict=True):
            col.image(big(test_set.images[i]), width=GALLERY_PX,
                      caption=f"#{i} {names[truth]}, said {names[guess]} ({p:.0%})")
    else:
        st.success("No wrong answers on this test set.")


def micrograph(model: LeNet) -> None:
    """The first-layer kernels slid over a whole micrograph at full resolution."""
    loaded = uploaded_image(f"Micrograph ({UPLOAD_KINDS}; else a generated one)",
                            key="lenet_micrograph_upload")
    picture = inspection.synthetic_micrograph(512) if loaded is None else loaded.array
    if max(picture.shape) > MAX_MICROGRAPH_SIDE:
        picture = inspection.central_crop(picture, MAX_MICROGRAPH_SIDE, MAX_MICROGRAPH_SIDE)
        st.caption(f"Using the central {MAX_MICROGRAPH_SIDE}x{MAX_MICROGRAPH_SIDE} pixels.")
    responses = inspection.first_layer_responses(model, picture)
    gray = (inspection.to_gray(picture) * 255).astype(np.uint8)
    cols = st.columns(4)
    cols[0].image(gray, caption=f"micrograph {gray.shape[1]}x{gray.shape[0]}")
    for c in range(responses.shape[0]):
        cols[(c + 1) % 4].image(colors.image_rgb(responses[c].numpy()),
                                caption=f"after kernel {c + 1} and activation")
    if colors.is_signed(responses.numpy()):  # tanh: the responses have a sign
        st.caption(colors.SIGN_LEGEND)
