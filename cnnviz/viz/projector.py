"""Projector mode: plotly overrides for large type, thick lines and high contrast (no Streamlit).

Figure code applies them with ``apply_projector(fig, enabled)``; pages get it for free through
``ui.charts.plotly_chart``. The numbers are sized for a 1080p projector seen from a lecture hall.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import plotly.graph_objects as go


@dataclass(frozen=True)
class ProjectorStyle:
    """Sizes and colours of projector mode; the defaults carry their reasons."""

    font_size: int = 22  # plotly's default 12 px is unreadable from the back rows
    title_size: int = 28
    text_color: str = "#000000"  # pure black on white: washed-out projectors lose greys
    line_width: float = 4.0  # traces: plotly's default 2 px vanishes on a projector
    marker_size: int = 12
    axis_line_width: float = 3.0
    grid_width: float = 1.5
    grid_color: str = "#B4B4B4"  # darker than plotly's near-white grid, lighter than data


PROJECTOR = ProjectorStyle()


def layout_overrides(enabled: bool, style: ProjectorStyle = PROJECTOR) -> dict:
    """Arguments for ``fig.update_layout``: larger, darker type; empty when the mode is off."""
    if not enabled:
        return {}
    return {
        "font": {"size": style.font_size, "color": style.text_color},
        "title": {"font": {"size": style.title_size, "color": style.text_color}},
        "legend": {"font": {"size": style.font_size},
                   "title": {"font": {"size": style.font_size}}},
        "hoverlabel": {"font": {"size": style.font_size}},
    }


def axis_overrides(enabled: bool, style: ProjectorStyle = PROJECTOR) -> dict:
    """Arguments for ``fig.update_xaxes`` and ``fig.update_yaxes``: thick axes and grid."""
    if not enabled:
        return {}
    return {
        "linewidth": style.axis_line_width,
        "linecolor": style.text_color,
        "gridwidth": style.grid_width,
        "gridcolor": style.grid_color,
        "tickfont": {"size": style.font_size, "color": style.text_color},
        "title": {"font": {"size": style.font_size, "color": style.text_color}},
    }


def trace_overrides(trace_type: str, enabled: bool, style: ProjectorStyle = PROJECTOR) -> dict:
    """Per-trace arguments for new traces by plotly type: thick lines, big markers, big text."""
    if not enabled:
        return {}
    if trace_type == "scatter":
        return {"line": {"width": style.line_width},
                "marker": {"size": style.marker_size},
                "textfont": {"size": style.font_size}}
    if trace_type in ("heatmap", "table", "bar"):
        return {"textfont": {"size": style.font_size}}
    return {}


def _enlarge_axis(axis, style: ProjectorStyle) -> None:
    """Thicken what an axis shows; hidden parts stay hidden (figures drawn as grids of cells)."""
    if axis.visible is False:
        return
    overrides = axis_overrides(True, style)
    if not axis.showline:
        del overrides["linewidth"], overrides["linecolor"]
    if axis.showgrid is False:
        del overrides["gridwidth"], overrides["gridcolor"]
    if axis.showticklabels is False:
        del overrides["tickfont"]
    axis.update(overrides)


def _enlarge(trace, style: ProjectorStyle, partial: bool) -> None:
    """Thicken one trace without undoing the figure's own choices.

    Explicit values the figure set stay (a zero-width line stays invisible, a font fitted to
    a cell keeps its size); only line widths and marker sizes grow. Frame traces are partial
    updates (``partial``): they only get changes to what they already set, since anything
    added there would override the figure's base trace.
    """
    if trace.type == "bar":  # labels beside bars are fitted to nothing: they grow
        if not partial or trace.textfont.size is not None:
            trace.textfont.size = max(trace.textfont.size or 0, style.font_size)
        return
    if trace.type not in ("scatter", "heatmap", "table"):
        return
    if trace.type != "scatter":
        if not partial and trace.textfont.size is None:
            trace.textfont.size = style.font_size
        return
    mode = trace.mode or "lines+markers"
    width = trace.line.width
    if width:
        trace.line.width = max(width, style.line_width)
    elif width is None and not partial and "lines" in mode:
        trace.line.width = style.line_width
    size = trace.marker.size
    if isinstance(size, int | float) and size:
        trace.marker.size = max(size, style.marker_size)
    elif size is None and not partial and "markers" in mode:
        trace.marker.size = style.marker_size
    if not partial and "text" in mode and trace.textfont.size is None:
        trace.textfont.size = style.font_size


def apply_projector(fig: go.Figure, enabled: bool, style: ProjectorStyle = PROJECTOR) -> go.Figure:
    """Apply projector mode to a figure in place (traces, axes and animation frames); returns it."""
    if not enabled:
        return fig
    fig.update_layout(**layout_overrides(True, style))
    fig.for_each_xaxis(lambda axis: _enlarge_axis(axis, style))
    fig.for_each_yaxis(lambda axis: _enlarge_axis(axis, style))
    for note in fig.layout.annotations or ():  # subplot titles, legends written as notes
        note.font.size = max(note.font.size or 0, style.font_size)
    for trace in fig.data:
        _enlarge(trace, style, partial=False)
    for frame in fig.frames or ():
        for trace in frame.data or ():
            _enlarge(trace, style, partial=True)
    for slider in fig.layout.sliders or ():
        hidden = slider.font.color == "rgba(0, 0, 0, 0)"  # tick labels too crowded to show
        slider.update(font={"size": max(slider.font.size or 0, style.font_size),
                            "color": slider.font.color if hidden else style.text_color},
                      currentvalue={"font": {"size": max(slider.currentvalue.font.size or 0,
                                                         style.font_size)}},
                      bordercolor=style.text_color, borderwidth=2, bgcolor="#FFFFFF",
                      tickcolor=style.text_color, tickwidth=2, ticklen=0 if hidden else 10)
    for menu in fig.layout.updatemenus or ():  # play / pause buttons
        menu.update(font={"size": max(menu.font.size or 0, style.font_size),
                          "color": style.text_color},
                    bordercolor=style.text_color, borderwidth=2)
    return fig


@dataclass(frozen=True)
class AnimationText:
    """Type sizes (px) of a sliding-window animation; the figure is laid out around them.

    Plotly draws text at a fixed pixel size whatever the chart's width, so the figure is sized
    for a chart column of ``column_px``, and lines and titles are wrapped to fit ``narrow_px``
    (the narrowest column that shows it).
    """

    cell_max: int  # numbers in the cells: as large as the cell allows, up to this
    cell_min: int  # a number that would be smaller is not drawn (the colours still show it)
    title: int  # panel titles ("X", "kernel", "Y")
    arithmetic: int  # the line that writes out the current step
    buttons: int  # play and step buttons
    slider: int  # the slider's labels and its "Step k / n"
    window_line: float  # outline of the window and the current output cell
    border: float  # border of the play and step buttons
    column_px: int  # px of the chart column the cells are sized for
    narrow_px: int  # px of the narrowest chart column: text is wrapped to fit it
    # True for a measured (phone) column: the plot is as high as its square cells need there.
    # False: a column of about column_px, at least 300 px of grids with 15 % to spare.
    fit_grids: bool = False


# On a laptop: the chart column is ~760 px; on a 390 px phone it is ~360 px.
SCREEN_TEXT = AnimationText(cell_max=16, cell_min=8, title=16, arithmetic=16, buttons=15,
                            slider=12, window_line=4, border=1, column_px=760,
                            narrow_px=360)
# Projector mode: at least 20 px everywhere and not below 0.9 x the 24 px body text of
# assets/projector.css; the column is the chart column at 1280 x 720 (the smallest projector).
PROJECTOR_TEXT = AnimationText(cell_max=32, cell_min=22, title=24, arithmetic=24, buttons=24,
                               slider=PROJECTOR.font_size, window_line=7, border=3, column_px=680,
                               narrow_px=640)


# Plotly's plot area is the chart's width less the figure's side margins (10 px each).
SIDE_MARGINS_PX = 20


def animation_text(enabled: bool, chart_px: int | None = None) -> AnimationText:
    """The animation's type sizes with projector mode on or off.

    ``chart_px``: the chart's measured width on a narrow screen (None: the desktop column the
    sizes assume). The grids are then sized for that width, and their band is only as high as
    their square cells need, so no empty band opens between the grids and the arithmetic line.
    """
    text = PROJECTOR_TEXT if enabled else SCREEN_TEXT
    if chart_px is None:
        return text
    column = max(100, chart_px - SIDE_MARGINS_PX)
    return replace(text, column_px=column, narrow_px=min(text.narrow_px, column), fit_grids=True)
