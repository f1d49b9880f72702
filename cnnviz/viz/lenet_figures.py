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
from cnnviz.lenet.receptive import Region
from cnnviz.lenet.train import Metrics
from cnnviz.viz import colors

GAP = 255  # the white separator between tiles; data uses levels 0..254
LABEL_PX = 16  # architecture labels: readable on a laptop; projector mode enlarges tick labels
ROW_PX = 34  # one architecture row; room for projector mode's 22 px labels
BLOCK_COLOURS = {"Conv2d": "#0B5CAD", "AvgPool2d": "#2E8B57", "MaxPool2d": "#2E8B57",
                 "Flatten": "#888888", "Linear": "#B8560B"}


def architecture_figure(rows: Sequence[LayerRow]) -> go.Figure:
    """Data flow top to bottom: one bar per layer, its length growing with the values it holds."""
    biggest = max(math.prod(r.shape[1:]) for r in rows)
    labels = ["input  1x28x28", *(f"{r.index} {r.name}  {r.shape_text.split('x', 1)[1]}"
                                  for r in rows)]
    sizes = [28 * 28, *(math.prod(r.shape[1:]) for r in rows)]
    colours = ["#444444", *(BLOCK_COLOURS.get(r.name, "#9A9A9A") for r in rows)]  # activations gray
    fig = go.Figure(go.Bar(
        x=[0.1 + math.log1p(size) / math.log1p(biggest) for size in sizes], y=labels,
        orientation="h", marker_color=colours,
        hovertemplate=[f"{size:,} values<extra></extra>" for size in sizes]))
    fig.update_xaxes(visible=False, range=[0, 1.15])
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=LABEL_PX, color="#111111"),
                     automargin=True, ticksuffix="  ")
    fig.update_layout(height=ROW_PX * len(labels) + 30, margin=dict(l=10, r=10, t=10, b=10),
                      plot_bgcolor="white", bargap=0.25)
    return fig


def curves_figure(runs: Sequence[tuple[str, Sequence[Metrics]]]) -> go.Figure:
    """Training loss (left axis) and accuracies (right axis) against epochs, one dash per run."""
    colours = {"train loss": "#0B5CAD", "train acc": "#B8560B", "test acc": "#2E8B57"}
    data = []
    for n, (label, history) in enumerate(runs):
        if not history:
            continue
        dash = "solid" if n == 0 else "dash"
        x = [h.epochs for h in history]
        tested = [h for h in history if h.test_acc is not None]
        for name, xs, ys, extra in (
                ("train loss", x, [h.train_loss for h in history], {"mode": "lines"}),
                ("train acc", x, [h.train_acc for h in history], {"mode": "lines", "yaxis": "y2"}),
                ("test acc", [h.epochs for h in tested], [h.test_acc for h in tested],
                 {"mode": "lines+markers", "yaxis": "y2"})):
            data.append({"type": "scatter", "x": xs, "y": ys, "name": f"{name} ({label})",
                         "line": {"color": colours[name], "dash": dash, "width": 2.5}, **extra})
    layout = {
        "height": 400, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": -0.3},
        "xaxis": {"title": {"text": "epochs (passes over the training images)"},
                  "gridcolor": "#dddddd", "rangemode": "tozero"},
        "yaxis": {"title": {"text": "loss", "font": {"color": colours["train loss"]}},
                  "gridcolor": "#dddddd", "rangemode": "tozero"},
        "yaxis2": {"title": {"text": "accuracy", "font": {"color": colours["test acc"]}},
                   "overlaying": "y", "side": "right", "range": [0, 1.02], "tickformat": ".0%",
                   "showgrid": False}}
    return _unvalidated(data, layout)


def _unvalidated(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain, known-good parts, without plotly's validation of every property.

    The live training figures are redrawn several times a second for each student watching a
    run; validating them cost 5-10 ms each, building them this way well under 1 ms.
    """
    return go.Figure({"data": data, "layout": layout}, _validate=False)


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


def feature_maps_figure(outputs: Sequence[LayerOutput], classes: Sequence[str] = (),
                        columns: int = 3) -> go.Figure:
    """Every layer's output as a small uint8 heatmap with square pixels (~30 KB of JSON).

    Layers without negative values use the grey ramp over their range, layers with some the
    diverging map over +-max|value|; a line under the plot then names the sign colours. The
    last layer's scores are labeled with ``classes`` when their counts match.
    """
    rows = -(-len(outputs) // columns)
    fig = make_subplots(rows=rows, cols=columns, vertical_spacing=0.3 / rows,
                        horizontal_spacing=0.04,
                        subplot_titles=[_map_title(out) for out in outputs])
    signed = False
    for i, out in enumerate(outputs):
        labeled = out.values.ndim == 1 and len(classes) == out.values.numel() > 0
        image = out.values.float().numpy()[None] if labeled else layer_image(out)
        scale = colors.value_range(image)
        signed = signed or scale["signed"]
        fig.add_trace(_levels_heatmap(image, scale, list(classes) if labeled else None),
                      row=i // columns + 1, col=i % columns + 1)
        suffix = str(i + 1) if i else ""
        fig.layout[f"xaxis{suffix}"].update(visible=labeled, constrain="domain", tickangle=-50,
                                            tickfont_size=LABEL_PX - 2)
        fig.layout[f"yaxis{suffix}"].update(visible=False, autorange="reversed",
                                            scaleanchor=f"x{suffix}", constrain="domain")
    fig.update_annotations(font_size=LABEL_PX - 2)
    if signed:
        fig.add_annotation(**colors.sign_annotation())
    fig.update_layout(height=240 * rows + (28 if signed else 0),
                      margin=dict(l=5, r=5, t=50, b=33 if signed else 5))
    return fig


def _levels_trace(values: np.ndarray, scale: dict) -> dict:
    """Values as levels 0..254 over ``scale`` (colors.value_range), NaN as white gaps.

    Plain data, for :func:`_unvalidated`; :func:`_levels_heatmap` is the same as a trace.
    """
    return {"type": "heatmap", "z": quantize(values, scale), "zmin": 0, "zmax": 255,
            "colorscale": tile_scale(scale["signed"]), "showscale": False, "hoverinfo": "skip"}


def _levels_heatmap(values: np.ndarray, scale: dict, x: list[str] | None = None
                    ) -> go.Heatmap:
    """:func:`_levels_trace` as a plotly trace, with category names ``x`` if given."""
    trace = _levels_trace(values, scale)
    del trace["type"]
    return go.Heatmap(**trace, x=x)


# Hide the axes of a one-image figure and make every pixel square (layout parts).
SQUARE_PIXELS = {"xaxis": {"visible": False, "constrain": "domain"},
                 "yaxis": {"visible": False, "autorange": "reversed", "scaleanchor": "x",
                           "constrain": "domain"}}


def _square_pixels(fig: go.Figure) -> go.Figure:
    """SQUARE_PIXELS applied to ``fig``; returns ``fig``."""
    return fig.update_layout(SQUARE_PIXELS)


def _map_title(output: LayerOutput) -> str:
    """'3 Conv2d 16x10x10' and the value range shown from black to white."""
    values = output.values.float()
    shape = "x".join(str(s) for s in output.values.shape)
    return f"{output.index} {output.name} {shape}<br>[{values.min():.2g}, {values.max():.2g}]"


def layer_figure(output: LayerOutput, height: int = 260) -> go.Figure:
    """One layer's channels tiled in a single heatmap with square pixels (cheap to redraw live)."""
    image = layer_image(output)
    return _unvalidated([_levels_trace(image, colors.value_range(image))], {
        **SQUARE_PIXELS, "height": height, "margin": {"l": 5, "r": 5, "t": 40, "b": 5},
        "title": {"text": _map_title(output), "font": {"size": LABEL_PX - 2}}})


def kernels_figure(weight: torch.Tensor, max_inputs: int = 6) -> go.Figure:
    """Learned kernels (C_out, C_in, k, k): one column per output channel, one row per input."""
    w = weight.detach().cpu().float()[:, :max_inputs].numpy().transpose(1, 0, 2, 3)
    rows, cols, k, _ = w.shape
    grid = np.full((rows * (k + 1) - 1, cols * (k + 1) - 1), np.nan, np.float32)
    for r in range(rows):
        for c in range(cols):
            grid[r * (k + 1):r * (k + 1) + k, c * (k + 1):c * (k + 1) + k] = w[r, c]
    shading = colors.heatmap_colors(grid, signed=True)
    trace = {"type": "heatmap", "z": grid.round(3), **shading,
             "hovertemplate": "%{z}<extra></extra>",
             "colorbar": colors.sign_colorbar(shading["zmax"], thickness=12, len=0.9)}
    return _unvalidated([trace], {  # the gaps between kernels (NaN) stay white
        **SQUARE_PIXELS, "height": max(140, 9 * grid.shape[0]),
        "margin": {"l": 5, "r": 5, "t": 5, "b": 5}, "plot_bgcolor": "white"})


def probabilities_figure(probs: torch.Tensor, classes: Sequence[str]) -> go.Figure:
    """Horizontal bars: the network's probability for every class, axis fitted to the largest."""
    p = probs.tolist()
    best = int(np.argmax(p))
    bars = {"type": "bar", "x": p, "y": list(classes), "orientation": "h",
            "marker": {"color": ["#0B5CAD" if i == best else "#9DB8D6" for i in range(len(p))]},
            "text": [f"{v:.0%}" for v in p], "textposition": "outside",
            "textfont": {"size": LABEL_PX}, "cliponaxis": False,
            "constraintext": "none"}  # plotly would shrink them to the bar
    return _unvalidated([bars], {
        # Room for the label right of the longest bar; never past 100 %.
        "xaxis": {"range": [0, min(1.0, max(p) * 1.25) or 1.0], "tickformat": ".0%",
                  "title": {"text": "probability"}},
        "yaxis": {"autorange": "reversed", "tickfont": {"size": LABEL_PX}, "automargin": True},
        "height": 340, "margin": {"l": 5, "r": 40, "t": 5, "b": 5}, "plot_bgcolor": "white"})


def confusion_figure(counts: torch.Tensor, classes: Sequence[str]) -> go.Figure:
    """Confusion matrix: rows true class, columns predicted class, counts written in."""
    z = counts.numpy()
    fig = go.Figure(go.Heatmap(z=z, x=list(classes), y=list(classes), colorscale=colors.SEQUENTIAL,
                               text=z, texttemplate="%{text}", showscale=False,
                               hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    # Upright names ran off the right edge at projector size ("ankle boot"); vertical ones
    # stay over their column, and the top margin grows to hold them.
    fig.update_xaxes(title="predicted", side="top", tickangle=-90, automargin=True)
    fig.update_yaxes(title="true", autorange="reversed", automargin=True)
    fig.update_layout(height=480, margin=dict(l=110, r=5, t=70, b=5))
    return fig


def pickable_map_figure(values: np.ndarray, title: str, picked: tuple[int, int] | None
                        ) -> go.Figure:
    """One feature map (H, W) whose pixels can be clicked; the picked one is outlined.

    Streamlit reports clicks on scatter points, so an invisible marker sits on every pixel.
    """
    h, w = values.shape
    rows, cols = np.mgrid[0:h, 0:w]
    fig = _square_pixels(go.Figure(_levels_heatmap(values, colors.value_range(values))))
    fig.add_scatter(x=cols.ravel(), y=rows.ravel(), mode="markers", opacity=0,
                    marker=dict(size=max(4, 220 // max(h, w)), symbol="square"),
                    hovertemplate="row %{y}, column %{x}<extra></extra>", showlegend=False)
    if picked is not None:
        fig.add_shape(type="rect", x0=picked[1] - 0.5, x1=picked[1] + 0.5, y0=picked[0] - 0.5,
                      y1=picked[0] + 0.5, line=dict(color=colors.POSITIVE, width=3))
    fig.update_layout(height=300, margin=dict(l=5, r=5, t=40, b=5), clickmode="event+select",
                      title=dict(text=title, font_size=LABEL_PX - 2), dragmode=False)
    return fig


def region_figure(image: np.ndarray, region: Region) -> go.Figure:
    """The 28x28 input with the rectangle of input pixels one feature-map pixel sees."""
    fig = _square_pixels(go.Figure(_levels_heatmap(image.astype(np.float32),
                                                   colors.value_range(image))))
    fig.add_shape(type="rect", x0=region.left - 0.5, x1=region.right + 0.5,
                  y0=region.top - 0.5, y1=region.bottom + 0.5,
                  line=dict(color=colors.POSITIVE, width=3))
    height, width = region.size
    fig.update_layout(height=300, margin=dict(l=5, r=5, t=40, b=5),
                      title=dict(text=f"the input: {height}x{width} pixels seen",
                                 font_size=LABEL_PX - 2))
    return fig
