"""Still plotly figures (dicts) for the why-convolutions and channels pages: no animation frames.

Grids without negative values use the grey ramp, grids with some the blue-white-red map centred
at zero (the animations' maps, from ``cnnviz.viz.colors``); a figure with a signed grid says so
under the plot. Still figures keep heatmaps: the plotly problem with heatmaps concerns only
redraw-free animation frames.
"""

from __future__ import annotations

from plotly.subplots import make_subplots

from cnnviz.teach.frames import format_number
from cnnviz.teach.params import LayerCount, power_of_ten
from cnnviz.viz import colors
from cnnviz.viz.animation import WINDOW_COLOR
from cnnviz.viz.projector import animation_text

# Grids wider or taller than this show colours only, no numbers (projector: larger numbers).
TEXT_LIMIT = {False: 24, True: 12}
CELL_TEXT = {False: 14, True: 22}


def _colors(grids, signed: bool | None = None) -> dict:
    """Heatmap colour settings shared by ``grids``: diverging around 0 when any is negative."""
    return colors.heatmap_colors([v for g in grids for row in g for v in row], signed)


def _finish(fig, margin: dict, projector: bool) -> dict:
    """The figure as a dict, with the sign legend under the plot when a grid is signed."""
    signed = any(t.zmid is not None for t in fig.data if t.type == "heatmap")
    size = animation_text(projector).slider
    if signed:
        fig.add_annotation(**colors.sign_annotation(font={"size": size}))
    fig.update_layout(margin={**margin, "b": margin["b"] + (int(size * 1.4 + 12) if signed
                                                            else 0)})
    return fig.to_dict()


def _grid(fig, z, row: int, col: int, colors: dict, projector: bool) -> None:
    """One heatmap with numbers in the cells (when small enough), row 0 on top, square cells."""
    text = max(len(z), len(z[0])) <= TEXT_LIMIT[projector]
    gap = 3 if projector else 1  # thick white lines between the cells on a projector
    fig.add_heatmap(z=z, row=row, col=col, showscale=False, xgap=gap, ygap=gap, **colors,
                    text=[[format_number(v) for v in r] for r in z] if text else None,
                    texttemplate="%{text}" if text else None,
                    textfont={"size": CELL_TEXT[projector]},
                    hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>")
    n = len(fig.data)
    fig.update_xaxes(row=row, col=col, showticklabels=False, showgrid=False, zeroline=False,
                     constrain="domain", fixedrange=True)
    fig.update_yaxes(row=row, col=col, autorange="reversed", showticklabels=False,
                     showgrid=False, zeroline=False, fixedrange=True,
                     scaleanchor=fig.data[n - 1].xaxis, constrain="domain")


def parameter_figure(counts: list[LayerCount], projector: bool = False) -> dict:
    """Log-scale bars: each layer's weight count, the chapter's rounding beside the exact one.

    Horizontal bars, so that counts such as 3,996,001 are written at full size beside them
    (plotly shrinks text that is wider than a vertical bar).
    """
    size = animation_text(projector).title
    fig = make_subplots()
    names = [c.layer for c in counts]
    for label, values, color in (("chapter's count", [c.chapter for c in counts], "#0072B2"),
                                 ("exact count", [c.exact for c in counts], "#E69F00")):
        fig.add_bar(y=names, x=[max(v, 1) for v in values], name=label, marker_color=color,
                    orientation="h", text=[power_of_ten(v) for v in values],
                    textposition="outside", cliponaxis=False, textfont={"size": size})
    fig.update_xaxes(type="log", title="weights (log scale)", exponentformat="power")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(barmode="group", height=480 if projector else 380,
                      margin={"t": 10 + 2 * size, "b": 10, "l": 10, "r": 7 * size},
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom"},
                      font={"size": size})
    return fig.to_dict()


def shift_figure(X, demo, projector: bool = False) -> dict:
    """Input, shifted input; then convolve-then-shift, shift-then-convolve and their difference."""
    titles = ("input X", "shifted input", "conv(X), then shifted", "conv(shifted X)",
              "difference")
    fig = make_subplots(rows=2, cols=3, subplot_titles=titles, horizontal_spacing=0.04,
                        vertical_spacing=0.1, specs=[[{}, {}, None], [{}, {}, {}]])
    inputs = _colors([X, demo.shifted_input])
    outputs = _colors([demo.output, demo.output_of_shifted])
    _grid(fig, X, 1, 1, inputs, projector)
    _grid(fig, demo.shifted_input, 1, 2, inputs, projector)
    _grid(fig, demo.shifted_output, 2, 1, outputs, projector)
    _grid(fig, demo.output_of_shifted, 2, 2, outputs, projector)
    # at least +-1: a rounding error of 1e-7 stays white instead of filling the colour range
    _grid(fig, demo.difference, 2, 3, colors.heatmap_colors(demo.difference, signed=True,
                                                            limit=max(demo.max_error, 1)),
          projector)
    fig.update_layout(height=820 if projector else 620)
    fig.update_annotations(font_size=animation_text(projector).title)
    return _finish(fig, {"t": 40, "b": 10, "l": 10, "r": 10}, projector)


def outputs_figure(outputs: list, projector: bool = False) -> dict:
    """All output channels side by side (the stacked result of corr2d_multi_in_out)."""
    fig = make_subplots(rows=1, cols=len(outputs), horizontal_spacing=0.05,
                        subplot_titles=[f"Y, output channel {d + 1}" for d in range(len(outputs))])
    colors = _colors(outputs)
    for d, Y in enumerate(outputs):
        _grid(fig, Y, 1, d + 1, colors, projector)
    fig.update_layout(height=340 if projector else 260)
    fig.update_annotations(font_size=animation_text(projector).title)
    return _finish(fig, {"t": 50 if projector else 40, "b": 10, "l": 10, "r": 10}, projector)


def _column_box(fig, col: int, p: int, rows: int) -> None:
    """Outline column p of the grid in subplot column ``col``."""
    fig.add_scatter(x=[p - 0.5, p + 0.5, p + 0.5, p - 0.5, p - 0.5],
                    y=[-0.5, -0.5, rows - 0.5, rows - 0.5, -0.5], mode="lines", row=1, col=col,
                    line={"color": WINDOW_COLOR, "width": 4}, hoverinfo="skip", showlegend=False)


def matrix_product_figure(mp, p: int, projector: bool = False) -> dict:
    """Weights (c_o x c_i) @ flattened input (c_i x hw) = output (c_o x hw), pixel p outlined."""
    c_o, c_i, hw = len(mp.weights), len(mp.flat_input), len(mp.flat_input[0])
    fig = make_subplots(rows=1, cols=3, column_widths=[max(c_i, 2), max(hw, 3), max(hw, 3)],
                        horizontal_spacing=0.06,
                        subplot_titles=(f"weights ({c_o}×{c_i})", f"flattened input ({c_i}×{hw})",
                                        f"output ({c_o}×{hw})"))
    fig.update_annotations(font_size=animation_text(projector).title)  # the subplot titles
    _grid(fig, mp.weights, 1, 1, _colors([mp.weights]), projector)
    _grid(fig, mp.flat_input, 1, 2, _colors([mp.flat_input]), projector)
    _grid(fig, mp.product, 1, 3, _colors([mp.product]), projector)
    _column_box(fig, 2, p, c_i)
    _column_box(fig, 3, p, c_o)
    for x, symbol in ((0.5 * (fig.layout.xaxis.domain[1] + fig.layout.xaxis2.domain[0]), "×"),
                      (0.5 * (fig.layout.xaxis2.domain[1] + fig.layout.xaxis3.domain[0]), "=")):
        fig.add_annotation(x=x, y=0.5, xref="paper", yref="paper", text=symbol,
                           showarrow=False, font={"size": 28})
    fig.update_layout(height=(160 + 60 * max(c_o, c_i)) if projector else
                      120 + 45 * max(c_o, c_i))
    return _finish(fig, {"t": 40, "b": 10, "l": 10, "r": 10}, projector)
