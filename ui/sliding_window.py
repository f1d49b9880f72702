"""Streamlit parts shared by the sliding-window pages: the page's start and the animation.

The configuration (widgets, link, page switches) is ui.config_ui's; this module adds the layout
the sliding-window pages share and their cached animations.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

import streamlit as st

from cnnviz.pageconfig import PageSpec
from cnnviz.teach import frames
from cnnviz.viz import animation
from ui import charts, config_ui


def page_start(spec: PageSpec):
    """State (link, page switch, set from outside), the example picker, (controls, stage)."""
    page = config_ui.start(spec)
    config_ui.preset_picker(page)
    return page, st.columns([2, 5])


def input_and_kernel(page: config_ui.Page):
    """The editors of input X and kernel K that the convolution pages share."""
    return (config_ui.matrix(page, "X", "Input X"), config_ui.matrix(page, "K", "Kernel K"))


class View(NamedTuple):
    """A cached animation: the settings text that identifies it, its figure and its output."""

    settings: str
    figure: dict
    output: list


# Reruns are cheap only if they skip work on unchanged settings: hashing the nested input lists
# value by value costs ~0.3 ms a rerun, so the views are keyed by the settings' exact text (repr
# of plain lists, tuples, numbers and strings; literal_eval reads it back). cache_resource, not
# cache_data: a cache_data hit unpickles the whole figure dict (6% of the server's CPU with 100
# sessions); the shared View is only read (plotly_chart serializes the dict, never changes it).
@st.cache_resource(max_entries=64, show_spinner=False)
def _correlation_view(settings: str, projector: bool, chart_px: int | None) -> View:
    """Animation of a cross-correlation for ``repr((X, K, padding, ...))`` (cached)."""
    plan = frames.correlation_steps(*ast.literal_eval(settings))
    figure = animation.window_figure(plan, projector=projector, chart_px=chart_px)
    return View(f"{settings}\n{chart_px}", figure, plan.output)


@st.cache_resource(max_entries=64, show_spinner=False)
def _pooling_view(settings: str, projector: bool, chart_px: int | None) -> View:
    """Animation of a pooling layer for ``repr((X, window, mode, ...))`` (cached)."""
    plan = frames.pooling_steps(*ast.literal_eval(settings))
    figure = animation.window_figure(plan, projector=projector, chart_px=chart_px)
    return View(f"{settings}\n{chart_px}", figure, plan.output)


def correlation_view(X, K, padding, stride, dilation, mode, flip) -> View:
    """Animation figure and output of a cross-correlation (cached per settings)."""
    return _correlation_view(repr((X, K, padding, stride, dilation, mode, flip)),
                             charts.projector_on(), charts.known_chart_px())


def pooling_view(X, window, mode, padding, stride, dilation) -> View:
    """Animation figure and output of a pooling layer (cached per settings)."""
    return _pooling_view(repr((X, window, mode, padding, stride, dilation)),
                         charts.projector_on(), charts.known_chart_px())


def show_result(prefix: str, compute, shown: config_ui.Shown) -> bool:
    """Show the animation of ``compute()``; on bad settings, the message and the last good one.

    ``compute`` returns (View, code) for ``shown.config``. Returns True when the animation
    shows exactly the settings typed.
    """
    charts.narrow_chart_px()  # measured first: compute() sizes the figure for a phone's column
    last, error = config_ui.key(prefix, "last_result"), shown.error
    if error is None:
        try:
            st.session_state[last] = compute()
        except ValueError as err:
            error = str(err)
    if error is not None:
        st.error(error, icon=":material/error:")
        if last not in st.session_state:
            return False
    if not shown.ok or error is not None:
        st.caption(shown.caption() or "The figure still shows the last settings that worked.")
    view, code = st.session_state[last]
    chart_key = config_ui.key(prefix, "chart")

    def draw() -> None:  # recorded once per settings; a rerun replays it without serializing
        # Built for this mode already (projector or not): no second pass of apply_projector.
        charts.plotly_chart(animation.PrebuiltFigure(view.figure), projector=False,
                            key=chart_key, config={"displayModeBar": False})
        if len(view.figure["frames"]) > 1:
            st.caption(charts.PLAY_HELP)
        with st.expander("PyTorch code for these settings", expanded=False):
            st.code(code, language="python")

    charts.cached_elements(f"{chart_key}\n{view.settings}\n{code}", draw)
    return error is None and shown.ok
