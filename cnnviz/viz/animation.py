"""Plotly animation of a sliding window from a ``frames.Plan`` (playback runs in the browser).

The grids (padded input, kernel, full output) are sent once, as layout images with a text trace
of their numbers. Each frame updates only a few small scatter traces: the window outline, a cover
over the output cells not yet written, the current output cell and the arithmetic line, so the
payload grows linearly with the steps. (Heatmap traces would vanish: plotly drops them while it
animates scatter traces without a full redraw.)
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from cnnviz.teach.frames import Plan, Step, format_number, step_arithmetic
from cnnviz.viz import colors, gridimage, playback
from cnnviz.viz.projector import AnimationText, animation_text

WINDOW_COLOR = "#D81B60"  # magenta: stands out on the grey ramp and on white, blue and red
STEP_BACK, STEP_NEXT = playback.STEP_BACK, playback.STEP_NEXT


def _ref(kind: str, n: int) -> str:
    """Plotly's name for axis n: 'x', 'x2', ... (and 'xaxis', 'xaxis2', ... in the layout)."""
    return kind if n == 1 else f"{kind}{n}"


def _rect(r0: float, c0: float, r1: float, c1: float) -> tuple[list, list]:
    """Closed outline around cells rows r0..r1, cols c0..c1 (x is the column)."""
    x = [c0 - 0.5, c1 + 0.5, c1 + 0.5, c0 - 0.5, c0 - 0.5]
    y = [r0 - 0.5, r0 - 0.5, r1 + 0.5, r1 + 0.5, r0 - 0.5]
    return x, y


def _window_outline(step: Step, dilated: bool) -> dict:
    """One rectangle around the window, or one per cell when dilation spreads it out."""
    if not dilated:
        (r0, c0), (r1, c1) = step.cells[0], step.cells[-1]
        x, y = _rect(r0, c0, r1, c1)
        return {"x": x, "y": y}
    xs, ys = [], []
    for r, c in step.cells:
        x, y = _rect(r, c, r, c)
        xs += [*x, None]
        ys += [*y, None]
    return {"x": xs, "y": ys}


def _cover(i: int, j: int, h: int, w: int) -> dict:
    """Polygon over the output cells after (i, j) in row-major order (not yet written)."""
    x = [j + 0.5, w - 0.5, w - 0.5, -0.5, -0.5, j + 0.5, j + 0.5]
    y = [i - 0.5, i - 0.5, h - 0.5, h - 0.5, i + 0.5, i + 0.5, i - 0.5]
    return {"x": x, "y": y}


def _chars(px: float, font: int) -> int:
    """How many characters of a ``font`` px sans-serif line fit in ``px`` (0.55 em a glyph)."""
    return max(8, int(px / (0.55 * font)))


def _wrap(text: str, width: int, sep: str = " + ") -> str:
    """Break a long line at ``sep`` (the arithmetic at ' + ', titles at spaces) to fit."""
    lines, line = [], ""
    for part in text.split(sep):
        candidate = f"{line}{sep}{part}" if line else part
        if len(candidate) + len(sep.strip()) > width and line:  # room for the trailing "+"
            lines.append(line + sep.rstrip())
            line = part
        else:
            line = candidate
    return "<br>".join([*lines, line])


def _font_size(h: int, w: int, x_dom, y_dom, plot_px: int, text: AnimationText) -> int:
    """Font size that fits a number in a cell of an h x w grid; 0 when cells are too small."""
    cell = min(plot_px * (y_dom[1] - y_dom[0]) / h, text.column_px * (x_dom[1] - x_dom[0]) / w)
    size = int(min(text.cell_max, cell * 0.45))
    return size if size >= text.cell_min else 0


def _grid(layout: dict, data: list, kept: list, axis: int, grid, scale: dict, font: int,
          padding=None) -> None:
    """Draw a grid as a layout image plus (when small enough) a text trace of its numbers.

    ``padding`` is a same-shaped grid of values shown on hatched cells (where ``grid`` is None).
    """
    h, w = len(grid), len(grid[0])
    rgb = gridimage.cell_colors(grid, scale)
    png = gridimage.grid_png(rgb, gridimage.cell_pixels(h, w), gridimage.missing(grid))
    layout["images"].append({"source": png,
                             "xref": _ref("x", axis), "yref": _ref("y", axis), "x": -0.5,
                             "y": -0.5, "sizex": w, "sizey": h, "sizing": "stretch",
                             "xanchor": "left", "yanchor": "top", "layer": "below"})
    if not font:
        return
    colors = gridimage.text_colors(rgb)
    xs, ys, labels, fonts = [], [], [], []
    for r in range(h):
        for c in range(w):
            value = grid[r][c] if grid[r][c] is not None else (padding or grid)[r][c]
            if value is None:
                continue
            xs.append(c)
            ys.append(r)
            labels.append(format_number(value))
            fonts.append("#555555" if grid[r][c] is None else colors[r][c])
    kept.append(len(data))  # plotly keeps static traces through an animation only if listed
    data.append({"type": "scatter", "mode": "text", "x": xs, "y": ys, "text": labels,
                 "xaxis": _ref("x", axis), "yaxis": _ref("y", axis), "hoverinfo": "skip",
                 "textfont": {"size": font, "color": fonts}})


def _axes(layout: dict, n: int, x_dom, y_dom, h: int, w: int, title: str,
          text: AnimationText) -> None:
    """Axis pair n for an h x w grid: square cells, row 0 on top, no ticks."""
    common = {"showgrid": False, "zeroline": False, "showticklabels": False, "ticks": ""}
    layout[_ref("xaxis", n)] = {**common, "domain": x_dom, "range": [-0.5, w - 0.5],
                                "anchor": _ref("y", n), "constrain": "domain",
                                "constraintoward": "center", "fixedrange": True}
    layout[_ref("yaxis", n)] = {**common, "domain": y_dom, "range": [h - 0.5, -0.5],
                                "anchor": _ref("x", n), "scaleanchor": _ref("x", n),
                                "constrain": "domain", "constraintoward": "top",
                                "fixedrange": True}
    layout["annotations"].append({"text": f"<b>{title}</b>", "showarrow": False,
                                  "xref": _ref("x", n) + " domain",
                                  "yref": _ref("y", n) + " domain", "x": 0.5, "y": 1.0,
                                  "yanchor": "bottom", "font": {"size": text.title}})


def _columns(widths: list[int], gap: float = 0.05) -> list[list[float]]:
    """Horizontal domains proportional to the grid widths (with a floor for tiny grids)."""
    floor = max(3.0, 0.2 * max(widths))  # a 2x2 kernel stays readable beside a 34x34 input
    widths = [max(w, floor) for w in widths]
    free = 1.0 - gap * (len(widths) - 1)
    doms, x = [], 0.0
    for w in widths:
        doms.append([x, min(1.0, x + free * w / sum(widths))])
        x = doms[-1][1] + gap
    return doms


def _vertical_layout(panels, text_lines: int, title_lines: int,
                     text: AnimationText) -> tuple[int, float, float, float]:
    """Plot height (px) and the plot fractions (text strip top, grid top, stacked grids' gap).

    ``panels`` holds (h, w, x_domain, n_stacked) per column; the grids get the height at which
    their square cells fill the column width, the arithmetic strip one line per text line.
    """
    needed = max(h * n * (text.column_px * (x[1] - x[0]) / w) for h, w, x, n in panels)
    text_px = int(text.arithmetic * 1.35 * text_lines + 16)
    title_px = int(text.title * 1.35 * title_lines + 12)
    if text.fit_grids:  # exactly the grids, and a title's height between stacked ones
        stacked = max(n for *_, n in panels)
        plot_px = math.ceil((needed + 4 + text_px + title_px * stacked) / (1 - GRID_BOTTOM))
        gap = title_px / plot_px
    else:
        plot_px = min(900, max(300, needed * 1.15)) + text_px + title_px
        gap = ROW_GAP
    return int(plot_px), text_px / plot_px, 1 - title_px / plot_px, gap


GRID_BOTTOM, ROW_GAP = 0.03, 0.06  # plot fractions: above the arithmetic, between stacked grids


def _rows(n: int, bottom: float, top: float, gap: float = ROW_GAP) -> list[list[float]]:
    """Vertical domains for n stacked panels, top first."""
    height = (top - bottom - gap * (n - 1)) / n
    return [[top - (k + 1) * height - k * gap, top - k * height - k * gap] for k in range(n)]


def _outline_trace(axis: int, fill: str | None, width: float) -> dict:
    """An (initially empty) scatter outline the frames move around."""
    trace = {"type": "scatter", "mode": "lines", "xaxis": _ref("x", axis),
             "yaxis": _ref("y", axis), "hoverinfo": "skip",
             "line": {"color": WINDOW_COLOR, "width": width}}
    if fill:
        trace.update(fill="toself", fillcolor=fill)
    return trace


def _cell_targets(axis: int, plan: Plan, channel: int, cell_px: float) -> dict:
    """Invisible squares over one output channel's cells; customdata: the frame writing each."""
    steps = [s for s in plan.steps if s.channel == channel]
    return {"type": "scatter", "mode": "markers", "x": [s.out[1] for s in steps],
            "y": [s.out[0] for s in steps], "customdata": [s.index for s in steps],
            "xaxis": _ref("x", axis), "yaxis": _ref("y", axis), "hoverinfo": "none",
            "marker": {"symbol": "square", "size": max(8, int(cell_px * 0.9)), "opacity": 0}}


def _titles(plan: Plan, input_name: str, output_name: str) -> tuple[list, list, list]:
    """Panel titles: per input channel, per kernel slice (none for pooling), per output."""
    c_in, c_out = len(plan.padded), plan.out_shape[0]
    has_pad = any(any(row) for row in plan.is_padding)
    inputs = [f"{input_name}, channel {ch + 1}" if c_in > 1 else input_name
              for ch in range(c_in)]
    inputs = [f"{name} (padded; hatched = padding)" if has_pad else name for name in inputs]
    title = "kernel (flipped)" if plan.flipped else "kernel"
    kernels = [] if plan.kernel is None else [
        f"{title}, channel {ch + 1}" if c_in > 1 else title for ch in range(c_in)]
    outputs = [f"{output_name}, channel {ch + 1}" if c_out > 1 else output_name
               for ch in range(c_out)]
    return inputs, kernels, outputs


def window_figure(plan: Plan, input_name: str = "X", output_name: str = "Y",
                  projector: bool = False, chart_px: int | None = None) -> dict:
    """A plotly figure (as a dict) animating ``plan``: one frame per step, played in the browser.

    ``projector``: type sized for a lecture hall (cnnviz.viz.projector.PROJECTOR_TEXT).
    ``chart_px``: the chart's width on a narrow screen (None: the desktop column), see
    cnnviz.viz.projector.animation_text.
    """
    text = animation_text(projector, chart_px)
    c_in, (hp, wp) = len(plan.padded), (len(plan.padded[0]), len(plan.padded[0][0]))
    c_out, oh, ow = plan.out_shape
    pooling = plan.kernel is None
    kh, kw = plan.window
    cols = _columns([wp, ow] if pooling else [wp, kw, ow])
    titles = _titles(plan, input_name, output_name)
    titles = [[_wrap(t, _chars(text.narrow_px * (dom[1] - dom[0]), text.title), " ") for t in ts]
              for ts, dom in zip(titles, [cols[0], cols[1], cols[-1]], strict=True)]
    where = (lambda step: f"channel {step.channel + 1}, ") if c_out > 1 else (lambda step: "")
    lines = [_wrap(f"{where(s)}{output_name}[{s.out[0]}, {s.out[1]}] = "
                   f"{step_arithmetic(s, plan.op, plan.kernel)}",
                   _chars(text.narrow_px, text.arithmetic)) for s in plan.steps]
    animated = len(plan.steps) > 1  # one step has nothing to play (e.g. nn.MaxPool2d(3), 3x3)
    real = [[[None if plan.is_padding[r][c] else v for c, v in enumerate(row)]
             for r, row in enumerate(ch)] for ch in plan.padded]
    # One rule for every grid: the diverging map as soon as it holds a negative value.
    in_scale = colors.value_range(v for ch in real for row in ch for v in row)
    k_scale = {"signed": False}  # pooling has no kernel
    if not pooling:
        k_scale = colors.value_range(v for ch in plan.kernel for row in ch for v in row)
    out_scale = colors.value_range(v for ch in plan.output for row in ch for v in row)
    legend = ""  # the sign legend: a line of its own between the buttons and the grid titles
    if any(scale["signed"] for scale in (in_scale, out_scale, k_scale)):
        legend = _wrap(colors.SIGN_LEGEND, _chars(text.narrow_px, text.slider), " ")
    legend_px = int((legend.count("<br>") + 1) * text.slider * 1.35 + playback.GAP_PX
                    ) if legend else 0
    margin = {"l": 10, "r": 10, "b": playback.bottom_margin(text) if animated else 12,
              "t": (playback.top_margin(text) if animated else 12) + legend_px}
    plot_px, text_top, grid_top, row_gap = _vertical_layout(
        [(hp, wp, cols[0], c_in), (oh, ow, cols[-1], c_out)],
        max(line.count("<br>") + 1 for line in lines),
        max(t.count("<br>") + 1 for ts in titles for t in ts), text)
    rows_in = _rows(c_in, text_top + GRID_BOTTOM, grid_top, row_gap)
    rows_out = _rows(c_out, text_top + GRID_BOTTOM, grid_top, row_gap)
    layout = {"annotations": [], "images": [], "showlegend": False, "template": {},
              "margin": margin, "height": plot_px + margin["t"] + margin["b"],
              "plot_bgcolor": "white", "paper_bgcolor": "white",
              "font": {"size": text.slider, "color": playback.INK}}  # dark as the numbers
    data, dynamic_windows, axis = [], [], 0
    kept: list[int] = []  # the static text traces, listed (unchanged) in every frame
    for ch in range(c_in):
        axis += 1
        _axes(layout, axis, cols[0], rows_in[ch], hp, wp, titles[0][ch], text)
        _grid(layout, data, kept, axis, real[ch], in_scale,
              _font_size(hp, wp, cols[0], rows_in[ch], plot_px, text), padding=plan.padded[ch])
        dynamic_windows.append(len(data))
        data.append(_outline_trace(axis, "rgba(216, 27, 96, 0.18)", text.window_line))
    if not pooling:
        for ch in range(c_in):
            axis += 1
            _axes(layout, axis, cols[1], rows_in[ch], kh, kw, titles[1][ch], text)
            _grid(layout, data, kept, axis, plan.kernel[ch], k_scale,
                  _font_size(kh, kw, cols[1], rows_in[ch], plot_px, text))
    covers, currents = [], []
    for ch in range(c_out):
        axis += 1
        _axes(layout, axis, cols[-1], rows_out[ch], oh, ow, titles[2][ch], text)
        _grid(layout, data, kept, axis, plan.output[ch], out_scale,
              _font_size(oh, ow, cols[-1], rows_out[ch], plot_px, text))
        covers.append(len(data))
        # hatched like padding (no value yet), never white like a zero
        data.append({**_outline_trace(axis, gridimage.HATCH_FILL["fillcolor"], 0),
                     **gridimage.HATCH_FILL, "line": {"width": 0}})
        currents.append(len(data))
        data.append(_outline_trace(axis, None, text.window_line))
        if animated:  # pointing at an output cell shows its step (assets/keyboard_stepping.js)
            kept.append(len(data))
            data.append(_cell_targets(axis, plan, ch,
                                      text.column_px * (cols[-1][1] - cols[-1][0]) / ow))
    if legend:
        layout["annotations"].append(colors.sign_annotation(
            text=legend, x=0, xanchor="left", y=1, yanchor="bottom", yshift=playback.GAP_PX,
            align="left", font={"size": text.slider, "color": playback.INK}))
    axis += 1  # a strip under the grids for the arithmetic line
    layout[_ref("xaxis", axis)] = {"domain": [0, 1], "range": [0, 1], "visible": False,
                                   "anchor": _ref("y", axis), "fixedrange": True}
    layout[_ref("yaxis", axis)] = {"domain": [0, text_top], "range": [0, 1], "visible": False,
                                   "anchor": _ref("x", axis), "fixedrange": True}
    text_trace = len(data)
    data.append({"type": "scatter", "mode": "text", "x": [0.5], "y": [0.5],
                 "xaxis": _ref("x", axis), "yaxis": _ref("y", axis), "hoverinfo": "skip",
                 "textfont": {"size": text.arithmetic, "color": "#111111"}})
    dilated = plan.dilation != (1, 1)
    traces = [*dynamic_windows, *covers, *currents, text_trace, *kept]
    empty = {"x": [None], "y": [None]}  # [] would leave the old outline in place
    fx, fy = _rect(0, 0, oh - 1, ow - 1)
    full = {"x": fx, "y": fy}
    frames = []
    for step in plan.steps:
        i, j = step.out
        window = _window_outline(step, dilated)
        if pooling:  # only the pooled channel shows a window
            wins = [window if ch == step.channel else empty for ch in range(c_in)]
        else:
            wins = [window] * c_in
        cov = [_cover(i, j, oh, ow) if ch == step.channel else
               (empty if ch < step.channel else full)
               for ch in range(c_out)]
        x, y = _rect(i, j, i, j)
        cur = [{"x": x, "y": y} if ch == step.channel else empty for ch in range(c_out)]
        frames.append({"name": str(step.index),
                       "data": [*wins, *cov, *cur, {"text": [lines[step.index]]},
                                *[{}] * len(kept)],
                       "traces": traces})
    for trace, update in zip(traces, frames[0]["data"], strict=True):
        data[trace].update(update)
    if animated:
        layout["updatemenus"] = playback.buttons(text, legend_px)
        layout["sliders"] = [playback.slider(len(frames), text)]
    return {"data": data, "layout": layout, "frames": frames}


class PrebuiltFigure(go.Figure):
    """A go.Figure that hands over an already valid figure dict as is.

    Chart elements call ``to_dict()`` on figure objects; the default copies and re-validates
    every frame (about 0.4 s for 1024 frames), this one returns the dict unchanged.
    """

    def __init__(self, figure: dict):
        super().__init__()
        self._prebuilt = figure

    def to_dict(self) -> dict:
        """The prebuilt figure itself (not a copy)."""
        return self._prebuilt
