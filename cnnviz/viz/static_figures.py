"""Still plotly figures (dicts) for the why-convolutions and channels pages: no animation frames.

Inputs use the colorblind-safe sequential map, signed values a diverging map centered at zero
(the same maps as the animations, from ``cnnviz.viz.gridimage``). Still figures keep heatmaps: the
plotly problem with heatmaps concerns only redraw-free animation frames.
"""

from __future__ import annotations

import math

from plotly.subplots import make_subplots

from cnnviz.teach.frames import format_number
from cnnviz.teach.params import LayerCount, power_of_ten
from cnnviz.viz.animation import WINDOW_COLOR
from cnnviz.viz.gridimage import DIVERGING as SIGNED_SCALE
from cnnviz.viz.gridimage import SEQUENTIAL as INPUT_SCALE

TEXT_LIMIT = 24  # grids wider or taller than this show colors only, no numbers


def _colors(grids) -> dict:
    """Heatmap color settings: diverging around 0 when any value is negative."""
    values = [v for g in grids for row in g for v in row if math.isfinite(v)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if lo < 0:
        bound = max(-lo, hi, 1e-9)
        return {"colorscale": SIGNED_SCALE, "zmin": -bound, "zmax": bound, "zmid": 0}
    return {"colorscale": INPUT_SCALE, "zmin": lo, "zmax": hi if hi > lo else lo + 1}


def _grid(fig, z, row: int, col: int, colors: dict) -> None:
    """One heatmap with numbers in the cells (when small enough), row 0 on top, square cells."""
    text = max(len(z), len(z[0])) <= TEXT_LIMIT
    fig.add_heatmap(z=z, row=row, col=col, showscale=False, xgap=1, ygap=1, **colors,
                    text=[[format_number(v) for v in r] for r in z] if text else None,
                    texttemplate="%{text}" if text else None, textfont={"size": 14},
                    hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>")
    n = len(fig.data)
    fig.update_xaxes(row=row, col=col, showticklabels=False, showgrid=False, zeroline=False,
                     constrain="domain", fixedrange=True)
    fig.update_yaxes(row=row, col=col, autorange="reversed", showticklabels=False,
                     showgrid=False, zeroline=False, fixedrange=True,
                     scaleanchor=fig.data[n - 1].xaxis, constrain="domain")


def parameter_figure(counts: list[LayerCount]) -> dict:
    """Log-scale bars: each layer's weight count, the chapter's rounding beside the exact one."""
    fig = make_subplots()
    names = [c.layer for c in counts]
    for label, values, color in (("chapter's count", [c.chapter for c in counts], "#0072B2"),
                                 ("exact count", [c.exact for c in counts], "#E69F00")):
        fig.add_bar(x=names, y=[max(v, 1) for v in values], name=label, marker_color=color,
                    text=[power_of_ten(v) for v in values], textposition="outside",
                    textfont={"size": 15})
    fig.update_yaxes(type="log", title="weights (log scale)", exponentformat="power")
    fig.update_layout(barmode="group", height=380, margin={"t": 30, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "y": 1.1}, font={"size": 15})
    return fig.to_dict()


def shift_figure(X, demo) -> dict:
    """Input, shifted input; then convolve-then-shift, shift-then-convolve and their difference."""
    titles = ("input X", "shifted input", "", "conv(X), then shifted", "conv(shifted X)",
              "difference")
    fig = make_subplots(rows=2, cols=3, subplot_titles=titles, horizontal_spacing=0.04,
                        vertical_spacing=0.1)
    inputs = _colors([X, demo.shifted_input])
    outputs = _colors([demo.output, demo.output_of_shifted])
    _grid(fig, X, 1, 1, inputs)
    _grid(fig, demo.shifted_input, 1, 2, inputs)
    _grid(fig, demo.shifted_output, 2, 1, outputs)
    _grid(fig, demo.output_of_shifted, 2, 2, outputs)
    _grid(fig, demo.difference, 2, 3, {"colorscale": SIGNED_SCALE, "zmid": 0,
                                       "zmin": -max(demo.max_error, 1), "zmax":
                                       max(demo.max_error, 1)})
    fig.update_xaxes(visible=False, row=1, col=3)
    fig.update_yaxes(visible=False, row=1, col=3)
    fig.update_layout(height=620, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    fig.update_annotations(font_size=16)
    return fig.to_dict()


def outputs_figure(outputs: list) -> dict:
    """All output channels side by side (the stacked result of corr2d_multi_in_out)."""
    fig = make_subplots(rows=1, cols=len(outputs), horizontal_spacing=0.05,
                        subplot_titles=[f"Y, output channel {d + 1}" for d in range(len(outputs))])
    colors = _colors(outputs)
    for d, Y in enumerate(outputs):
        _grid(fig, Y, 1, d + 1, colors)
    fig.update_layout(height=260, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    fig.update_annotations(font_size=16)
    return fig.to_dict()


def _column_box(fig, col: int, p: int, rows: int) -> None:
    """Outline column p of the grid in subplot column ``col``."""
    fig.add_scatter(x=[p - 0.5, p + 0.5, p + 0.5, p - 0.5, p - 0.5],
                    y=[-0.5, -0.5, rows - 0.5, rows - 0.5, -0.5], mode="lines", row=1, col=col,
                    line={"color": WINDOW_COLOR, "width": 4}, hoverinfo="skip", showlegend=False)


def matrix_product_figure(mp, p: int) -> dict:
    """Weights (c_o x c_i) @ flattened input (c_i x hw) = output (c_o x hw), pixel p outlined."""
    c_o, c_i, hw = len(mp.weights), len(mp.flat_input), len(mp.flat_input[0])
    fig = make_subplots(rows=1, cols=3, column_widths=[max(c_i, 2), max(hw, 3), max(hw, 3)],
                        horizontal_spacing=0.06,
                        subplot_titles=(f"weights ({c_o}×{c_i})", f"flattened input ({c_i}×{hw})",
                                        f"output ({c_o}×{hw})"))
    _grid(fig, mp.weights, 1, 1, _colors([mp.weights]))
    _grid(fig, mp.flat_input, 1, 2, _colors([mp.flat_input]))
    _grid(fig, mp.product, 1, 3, _colors([mp.product]))
    _column_box(fig, 2, p, c_i)
    _column_box(fig, 3, p, c_o)
    for x, symbol in ((0.5 * (fig.layout.xaxis.domain[1] + fig.layout.xaxis2.domain[0]), "×"),
                      (0.5 * (fig.layout.xaxis2.domain[1] + fig.layout.xaxis3.domain[0]), "=")):
        fig.add_annotation(x=x, y=0.5, xref="paper", yref="paper", text=symbol,
                           showarrow=False, font={"size": 28})
    fig.update_layout(height=120 + 45 * max(c_o, c_i), margin={"t": 40, "b": 10, "l": 10,
                                                               "r": 10})
    return fig.to_dict()
