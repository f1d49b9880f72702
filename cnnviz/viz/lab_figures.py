"""Plotly figures for the kernel lab: frequency response, histogram, kernel grid, loss curve."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.viz import colors

_LAYOUT = {"margin": {"l": 50, "r": 10, "t": 40, "b": 40}, "height": 360}


def frequency_figure(response: np.ndarray, freqs: np.ndarray) -> go.Figure:
    """|FFT2| of the kernel over (row, column) frequency in cycles per pixel, zero at centre."""
    fig = go.Figure(go.Heatmap(z=response, x=freqs, y=freqs, colorscale=colors.SEQUENTIAL,
                               colorbar={"title": "|H|"},
                               hovertemplate="f_col %{x:.3f}, f_row %{y:.3f}: %{z:.3g}"
                               "<extra></extra>"))
    # Short titles: the figure sits in a third of the page, 300 px at 1280 x 720, where the
    # longer ones ran off its edges in projector mode.
    fig.update_layout(title="|FFT2(kernel)|", **_LAYOUT)
    fig.update_xaxes(title="column freq. (1/px)")
    fig.update_yaxes(title="row freq. (1/px)", scaleanchor="x", autorange="reversed")
    return fig


def histogram_figure(counts: np.ndarray, edges: np.ndarray, lo: float, hi: float) -> go.Figure:
    """Pixel-value histogram with the contrast limits marked."""
    centers = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(x=centers, y=counts, width=np.diff(edges), marker_color="#555"))
    for x in (lo, hi):
        fig.add_vline(x=x, line_color="#0B5CAD", line_dash="dash")
    fig.update_layout(title="Histogram (dashed: contrast limits)", bargap=0, **_LAYOUT)
    fig.update_xaxes(title="pixel value")
    fig.update_yaxes(title="pixels", type="log")
    return fig


def kernel_figure(K: np.ndarray, title: str = "Kernel") -> go.Figure:
    """Kernel values as a signed heatmap with the numbers written in the cells.

    The colour bar beside it names the sign colours.
    """
    K = np.asarray(K, dtype=np.float32)
    shading = colors.heatmap_colors(K, signed=True)
    text = [[f"{v:.4f}" for v in row] for row in K.tolist()]
    fig = go.Figure(go.Heatmap(z=K, **shading, text=text, texttemplate="%{text}",
                               textfont={"size": 15},
                               colorbar=colors.sign_colorbar(shading["zmax"], thickness=14)))
    fig.update_layout(title=title, **{**_LAYOUT, "height": 120 + 60 * K.shape[0]})
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain", dtick=1)
    fig.update_xaxes(constrain="domain", dtick=1)
    return fig


def loss_figure(steps: list[int], losses: list[float]) -> go.Figure:
    """Training loss per step on a log scale."""
    fig = go.Figure(go.Scatter(x=steps, y=losses, mode="lines+markers"))
    fig.update_layout(title="Loss", **_LAYOUT)
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="squared error", type="log")
    return fig


def with_raw_hover(figure: dict, raw: np.ndarray, scale: float) -> dict:
    """Hovering a number of the animation's input grid shows its raw value.

    The input grid's numbers are the figure's first text trace; ``scale`` is what they were
    divided by.
    """
    for trace in figure["data"]:
        if trace.get("mode") == "text" and trace.get("xaxis") == "x":
            trace["hovertext"] = [f"raw value {raw[r][c]:.6g}" + (
                f" (shown as {raw[r][c] / scale:.3g})" if scale != 1 else "")
                for r, c in zip(trace["y"], trace["x"], strict=True)]
            trace["hoverinfo"] = "text"
            break
    return figure
