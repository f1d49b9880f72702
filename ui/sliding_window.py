"""Streamlit parts shared by the sliding-window pages: link state, matrix editors, the animation.

Widget values live in st.session_state under page-prefixed keys and are copied to
``<prefix>_widgets`` after every run, so they survive a page switch; the first visit reads the
configuration from the link (st.query_params) and every valid configuration is written back.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

import streamlit as st

from cnnviz import pageconfig as urlstate
from cnnviz.teach import frames, matrices
from cnnviz.teach.presets import KERNEL_SIDE, Preset
from cnnviz.viz import animation
from ui import charts

key = urlstate.widget_key  # pages name their widgets through this


def init_state(prefix: str, fields, presets: dict[str, Preset]) -> None:
    """First visit: configuration from the link; later visits: restore widgets after a switch."""
    store = key(prefix, "widgets")
    if store in st.session_state:
        for k, v in st.session_state[store].items():
            if k not in st.session_state:
                st.session_state[k] = v
        return
    config, messages = urlstate.config_from_link(st.query_params.to_dict(), fields, presets)
    st.session_state.update(urlstate.widget_values(prefix, fields, config))
    st.session_state[key(prefix, "link_messages")] = messages


def load_preset(prefix: str, fields, presets: dict[str, Preset]) -> None:
    """Selectbox callback: put the chosen example into every widget."""
    name = st.session_state[key(prefix, "preset")]
    if name in presets:
        config = urlstate.preset_config(fields, presets, name)
        st.session_state.update(urlstate.widget_values(prefix, fields, config))


def page_start(prefix: str, fields, presets: dict[str, Preset]):
    """State from the link (or a page switch), the example picker, and (controls, stage) columns."""
    init_state(prefix, fields, presets)
    labels = {**{n: p.label for n, p in presets.items()}, "custom": "Your own settings"}
    st.selectbox("Example", list(labels), format_func=labels.get, key=key(prefix, "preset"),
                 on_change=load_preset, args=(prefix, fields, presets))
    for message in st.session_state.pop(key(prefix, "link_messages"), []):
        st.warning(message)
    return st.columns([2, 5])


def mark_custom(prefix: str) -> None:
    """Widget callback: the settings no longer match the chosen example."""
    st.session_state[key(prefix, "preset")] = "custom"


def _random_fill(prefix: str, name: str, low: int, high: int) -> None:
    """Fill a matrix editor with random whole numbers of the chosen size."""
    c, r, k = (st.session_state[key(prefix, name, p)] for p in ("_c", "_r", "_k"))
    st.session_state[key(prefix, name)] = matrices.format_channels(
        [matrices.random_matrix(r, k, low, high) for _ in range(c)])
    st.session_state[key(prefix, "preset")] = "custom"


def input_and_kernel(prefix: str):
    """The editors of input X and kernel K that the convolution pages share."""
    return (matrix_editor(prefix, "X", "Input X"),
            matrix_editor(prefix, "K", "Kernel K", max_side=KERNEL_SIDE, low=-2, high=2))


def matrix_editor(prefix: str, name: str, label: str, max_side: int = matrices.MAX_SIDE,
                  max_channels: int = 1, low: int = 0, high: int = 9):
    """Text editor for a matrix (channels split by a blank line), size controls, random fill.

    Returns the parsed channels, or None after showing what is wrong.
    """
    text = st.text_area(label, key=key(prefix, name), height=110, on_change=mark_custom,
                        args=(prefix,),
                        help="One row per line, numbers separated by spaces or commas."
                        + (" Separate channels with an empty line." if max_channels > 1 else ""))
    try:
        value = matrices.parse_channels(text, label, max_side, max_channels)
    except matrices.MatrixError as err:
        st.error(str(err))
        value = None
    else:  # the size controls follow what was typed
        for part, size in (("_c", len(value)), ("_r", len(value[0])), ("_k", len(value[0][0]))):
            st.session_state[key(prefix, name, part)] = size
    sizes = [("_r", "rows", max_side), ("_k", "cols", max_side)]
    if max_channels > 1:
        sizes.insert(0, ("_c", "chan.", max_channels))
    # One flex row, not st.columns: a rerun then sends 1 layout block instead of 4.
    with st.container(horizontal=True, vertical_alignment="bottom", wrap=False):
        for part, what, top in sizes:
            st.number_input(what, 1, top, key=key(prefix, name, part), on_change=_random_fill,
                            args=(prefix, name, low, high),
                            help="Changing a size refills randomly.")
        st.button("", key=key(prefix, name, "_random"), on_click=_random_fill,
                  args=(prefix, name, low, high), icon=":material/casino:",
                  help="Random fill: new whole numbers of the chosen size.")
    return value


def pair_input(prefix: str, name: str, label: str, low: int, high: int) -> tuple[int, int]:
    """Two whole numbers (height, width) side by side."""
    with st.container(horizontal=True, wrap=False):  # one layout block a rerun (st.columns sends 3)
        return (int(st.number_input(f"{label} ↕", low, high, key=key(prefix, name, "_h"),
                                    help=f"{label} along the height (rows)",
                                    on_change=mark_custom, args=(prefix,))),
                int(st.number_input(f"{label} ↔", low, high, key=key(prefix, name, "_w"),
                                    help=f"{label} along the width (columns)",
                                    on_change=mark_custom, args=(prefix,))))


def remember(prefix: str, fields) -> None:
    """Copy the widget states aside so a page switch does not lose them."""
    st.session_state[key(prefix, "widgets")] = {
        k: st.session_state[k] for k in urlstate.widget_keys(prefix, fields)
        if k in st.session_state}


def share_link(config: dict, fields) -> None:
    """Write a valid configuration into the address bar (a link that reopens it)."""
    params = urlstate.encode(config, fields)
    if {k: st.query_params.get(k) for k in params} != params or len(st.query_params) != len(
            params):
        st.query_params.from_dict(params)


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
def _correlation_view(settings: str) -> View:
    """Animation of a cross-correlation for ``repr((X, K, padding, ...))`` (cached)."""
    plan = frames.correlation_steps(*ast.literal_eval(settings))
    return View(settings, animation.window_figure(plan), plan.output)


@st.cache_resource(max_entries=64, show_spinner=False)
def _pooling_view(settings: str) -> View:
    """Animation of a pooling layer for ``repr((X, window, mode, ...))`` (cached)."""
    plan = frames.pooling_steps(*ast.literal_eval(settings))
    return View(settings, animation.window_figure(plan), plan.output)


def correlation_view(X, K, padding, stride, dilation, mode, flip) -> View:
    """Animation figure and output of a cross-correlation (cached per settings)."""
    return _correlation_view(repr((X, K, padding, stride, dilation, mode, flip)))


def pooling_view(X, window, mode, padding, stride, dilation) -> View:
    """Animation figure and output of a pooling layer (cached per settings)."""
    return _pooling_view(repr((X, window, mode, padding, stride, dilation)))


def show_result(prefix: str, compute, error: str | None = None) -> bool:
    """Show the animation of ``compute()``; on bad settings, the message and the last good one.

    ``compute`` returns (View, code). Returns True when the current settings are valid.
    """
    last = key(prefix, "last_result")
    if error is None:
        try:
            st.session_state[last] = compute()
        except ValueError as err:
            error = str(err)
    if error is not None:
        st.error(error, icon=":material/error:")
        if last not in st.session_state:
            return False
        st.caption("Still showing the last valid settings:")
    view, code = st.session_state[last]
    chart_key = key(prefix, "chart")

    def draw() -> None:  # recorded once per settings; a rerun replays it without serializing
        charts.plotly_chart(animation.PrebuiltFigure(view.figure), key=chart_key,
                        config={"displayModeBar": False})
        st.caption(charts.PLAY_HELP)
        with st.expander("PyTorch code for these settings", expanded=False):
            st.code(code, language="python")

    charts.cached_elements(f"{chart_key}\n{view.settings}\n{code}", draw)
    return error is None
