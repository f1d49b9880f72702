"""The 1x1 convolution on a spectrum image: mean spectrum with the weights, and the maps (grey)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.viz.colors import heatmap_colors

LINE_COLOURS = ("#0B5CAD", "#B8560B", "#2E8B57")  # the line colours of the other figures


def mixing_figure(channels: np.ndarray, units: str, mean_spectrum: np.ndarray,
                  weights: np.ndarray, maps: np.ndarray, names: list[str]) -> go.Figure:
    """Row 1: the mean spectrum and each output channel's weights; row 2: the output maps."""
    n = len(maps)
    fig = make_subplots(rows=2, cols=max(n, 1), specs=[[{"colspan": max(n, 1)}] + [None] * (n - 1),
                                                       [{} for _ in range(max(n, 1))]],
                        row_heights=[0.4, 0.6], vertical_spacing=0.2,
                        # "map 3<br>8.05 +- 0.15 keV": one line ran off a phone's screen
                        subplot_titles=["", *(name.replace(": ", "<br>") for name in names)])
    fig.add_trace(go.Scatter(x=channels, y=mean_spectrum, name="mean spectrum",
                             line={"color": "#555555"}), row=1, col=1)
    top = float(mean_spectrum.max()) if mean_spectrum.size else 1.0
    for o in range(n):
        colour = LINE_COLOURS[o % len(LINE_COLOURS)]
        fig.add_trace(go.Scatter(x=channels, y=weights[o] * top, name=f"W[{o}, :] (scaled)",
                                 line={"color": colour, "shape": "hv"}, fill="tozeroy",
                                 opacity=0.5), row=1, col=1)
        fig.add_trace(go.Heatmap(z=maps[o], showscale=False,
                                 **heatmap_colors(maps[o], signed=False)),
                      row=2, col=o + 1)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{o + 2}", row=2, col=o + 1)
        fig.update_xaxes(showticklabels=False, row=2, col=o + 1)
        fig.update_yaxes(showticklabels=False, row=2, col=o + 1)
    fig.update_xaxes(title_text=units, row=1, col=1)
    fig.update_layout(height=520, margin={"t": 40, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "y": 1.1, "title": {"text": "Mean spectrum "
                                                                     "and weights:"}})
    return fig
