"""Plotly figures for the LeNet page: data flow, training curves, feature maps, kernels."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from cnnviz.lenet.inspection import LayerOutput
from cnnviz.lenet.model import LayerRow
from cnnviz.lenet.train import Metrics
from cnnviz.viz import colors

GAP = 255  # the white separator between tiles; data uses levels 0..254
BLOCK_COLOURS = {"Conv2d": "#0B5CAD", "AvgPool2d": "#2E8B57", "MaxPool2d": "#2E8B57",
                 "Flatten": "#888888", "Linear": "#B8560B"}


def architecture_figure(rows: Sequence[LayerRow]) -> go.Figure:
    """Data flow left to right: one box per layer, height growing with the values it holds."""
    # Shapes and annotations go in as one layout (validated once): fig.add_shape and
    # fig.add_annotation re-validate the whole list on every call, ~90 ms for LeNet's layers.
    biggest = max(math.prod(r.shape[1:]) for r in rows)
    shapes, annotations = [], []
    x = 0.0
    for row in rows:
        size = math.prod(row.shape[1:])
        height = 0.25 + 0.75 * math.log1p(size) / math.log1p(biggest)
        colour = BLOCK_COLOURS.get(row.name, "#7A7A7A")  # activations in gray
        width = 0.8 if row.name in BLOCK_COLOURS else 0.45
        shapes.append(dict(type="rect", x0=x, x1=x + width, y0=-height, y1=height,
                           fillcolor=colour, opacity=0.85, line_width=0))
        annotations.append(dict(x=x + width / 2, y=height + 0.08, text=row.name,
                                showarrow=False, textangle=-60, yanchor="bottom",
                                font_size=13))
        annotations.append(dict(x=x + width / 2, y=-height - 0.08,
                                text=row.shape_text.split("x", 1)[1], showarrow=False,
                                textangle=-60, yanchor="top", font_size=12))
        x += width + 0.25
    annotations.append(dict(x=-0.3, y=0, text="input<br>1x28x28", showarrow=False,
                            xanchor="right"))
    return go.Figure(layout=dict(
        shapes=shapes, annotations=annotations, height=330,
        margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white",
        xaxis=dict(visible=False, range=[-1.6, x + 0.2]),
        yaxis=dict(visible=False, range=[-2.1, 2.1])))


def curves_figure(runs: Sequence[tuple[str, Sequence[Metrics]]]) -> go.Figure:
    """Training loss, training accuracy and test accuracy against epochs, one dash per run."""
    fig = go.Figure()
    colours = {"train loss": "#0B5CAD", "train acc": "#B8560B", "test acc": "#2E8B57"}
    for n, (label, history) in enumerate(runs):
        if not history:
            continue
        per_epoch = history[0].steps_per_epoch
        x = [h.step / per_epoch for h in history]
        dash = "solid" if n == 0 else "dash"
        for name, values in (("train loss", [h.train_loss for h in history]),
                             ("train acc", [h.train_acc for h in history])):
            fig.add_scatter(x=x, y=values, mode="lines", name=f"{name} ({label})",
                            line=dict(color=colours[name], dash=dash, width=2.5))
        ends = [h for h in history if h.test_acc is not None]
        fig.add_scatter(x=[h.step / per_epoch for h in ends], y=[h.test_acc for h in ends],
                        mode="lines+markers", name=f"test acc ({label})",
                        line=dict(color=colours["test acc"], dash=dash, width=2.5))
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="epoch",
                      yaxis_title="loss / accuracy", legend=dict(orientation="h", y=-0.25),
                      plot_bgcolor="white")
    fig.update_xaxes(gridcolor="#dddddd", rangemode="tozero")
    fig.update_yaxes(gridcolor="#dddddd", rangemode="tozero")
    return fig


def tile(maps: np.ndarray, columns: int) -> np.ndarray:
    """Arrange (C, H, W) maps in a grid with one gap pixel between tiles."""
    c, h, w = maps.shape
    rows = -(-c // columns)
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan, np.float32)
    for i in range(c):
        r, q = divmod(i, columns)
        out[r * (h + 1):r * (h + 1) + h, q * (w + 1):q * (w + 1) + w] = maps[i]
    return out


def tile_scale(signed: bool) -> list[list]:
    """The app's map (diverging if ``signed``) over levels 0..254, then white for the gaps."""
    scale = [[position * 254 / 255, colour] for position, colour in colors.colorscale(signed)]
    return [*scale, [254.5 / 255, "rgb(255,255,255)"], [1.0, "rgb(255,255,255)"]]


def quantize(values: np.ndarray, scale: dict) -> np.ndarray:
    """Values to levels 0..254 over ``scale`` (``colors.value_range``), NaN gaps to 255."""
    unit = np.clip((values - scale["zmin"]) / (scale["zmax"] - scale["zmin"]), 0, 1)
    levels = np.where(np.isnan(values), GAP, np.round(np.nan_to_num(unit) * 254))
    return levels.astype(np.uint8)


def layer_image(output: LayerOutput) -> np.ndarray:
    """A layer's values as one 2-D mosaic: channel tiles, or a vector wrapped at 20 per row."""
    v = output.values.float().numpy()
    if v.ndim == 3:
        return tile(v, columns=3 if v.shape[0] <= 6 else 4 if v.shape[0] <= 16 else 8)
    width = min(20, v.size)
    padded = np.full(-(-v.size // width) * width, np.nan, np.float32)
    padded[:v.size] = v
    return padded.reshape(-1, width)


def feature_maps_figure(outputs: Sequence[LayerOutput], columns: int = 3) -> go.Figure:
    """Every layer's output as a small uint8 heatmap (compact: ~30 KB of JSON for LeNet).

    Layers without negative values use the grey ramp over their range, layers with some the
    diverging map over +-max|value|; a line under the plot then names the sign colours.
    """
    rows = -(-len(outputs) // columns)
    titles, images, scales = [], [], []
    for out in outputs:
        image = layer_image(out)
        scales.append(colors.value_range(image))
        images.append(quantize(image, scales[-1]))
        shape = "x".join(str(s) for s in out.values.shape)
        lo, hi = float(np.nanmin(image)), float(np.nanmax(image))
        titles.append(f"{out.index} {out.name} {shape}<br>[{lo:.2g}, {hi:.2g}]")
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles,
                        vertical_spacing=0.3 / rows, horizontal_spacing=0.04)
    for i, (levels, scale) in enumerate(zip(images, scales, strict=True)):
        fig.add_trace(go.Heatmap(z=levels, colorscale=tile_scale(scale["signed"]), zmin=0,
                                 zmax=255, showscale=False, hoverinfo="skip"),
                      row=i // columns + 1, col=i % columns + 1)
    signed = any(scale["signed"] for scale in scales)
    if signed:
        fig.add_annotation(**colors.sign_annotation())
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=None)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=230 * rows + (28 if signed else 0),
                      margin=dict(l=5, r=5, t=50, b=33 if signed else 5))
    return fig


def kernels_figure(weight: torch.Tensor, max_inputs: int = 6) -> go.Figure:
    """Learned kernels (C_out, C_in, k, k): one column per output channel, one row per input."""
    w = weight.detach().cpu().float()[:, :max_inputs].numpy().transpose(1, 0, 2, 3)
    rows, cols, k, _ = w.shape
    grid = np.full((rows * (k + 1) - 1, cols * (k + 1) - 1), np.nan, np.float32)
    for r in range(rows):
        for c in range(cols):
            grid[r * (k + 1):r * (k + 1) + k, c * (k + 1):c * (k + 1) + k] = w[r, c]
    shading = colors.heatmap_colors(grid, signed=True)
    fig = go.Figure(go.Heatmap(z=grid.round(3), **shading, hovertemplate="%{z}<extra></extra>",
                               colorbar=colors.sign_colorbar(shading["zmax"], thickness=12,
                                                             len=0.9)))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    fig.update_layout(height=max(140, 9 * grid.shape[0]), margin=dict(l=5, r=5, t=5, b=5),
                      plot_bgcolor="white")  # the gaps between kernels (NaN) stay white
    return fig


def probabilities_figure(probs: torch.Tensor, classes: Sequence[str]) -> go.Figure:
    """Horizontal bars: the network's probability for every class."""
    p = probs.tolist()
    best = int(np.argmax(p))
    colours = ["#0B5CAD" if i == best else "#9DB8D6" for i in range(len(p))]
    fig = go.Figure(go.Bar(x=p, y=list(classes), orientation="h", marker_color=colours,
                           text=[f"{v:.0%}" for v in p], textposition="outside"))
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=340, margin=dict(l=5, r=5, t=5, b=5), plot_bgcolor="white")
    return fig


def confusion_figure(counts: torch.Tensor, classes: Sequence[str]) -> go.Figure:
    """Confusion matrix: rows true class, columns predicted class, counts written in."""
    z = counts.numpy()
    fig = go.Figure(go.Heatmap(z=z, x=list(classes), y=list(classes), colorscale=colors.SEQUENTIAL,
                               text=z, texttemplate="%{text}", showscale=False,
                               hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    fig.update_xaxes(title="predicted", side="top")
    fig.update_yaxes(title="true", autorange="reversed", automargin=True)
    fig.update_layout(height=480, margin=dict(l=110, r=5, t=70, b=5))
    return fig
