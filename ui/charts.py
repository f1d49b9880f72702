"""Charts every page shares: projector-mode figures and charts recorded once, replayed by all."""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable

# Plotly imports pandas lazily, on a figure's first to_dict, and takes it from sys.modules even
# half imported: 30 sessions drawing their first chart at once then failed with "partially
# initialized module 'pandas'". Imported here, under Python's import lock, it is whole.
import pandas  # noqa: F401
import plotly.graph_objects as go
import streamlit as st

from cnnviz.viz.projector import apply_projector
from ui import assets

# Under every sliding-window animation (the buttons come from cnnviz.viz.animation._buttons).
PLAY_HELP = ("Play runs in your browser: ▶ Slow / Play / ▶▶ Fast, ■ Pause; ◀ Step / Step ▶, the "
             "arrow keys or the slider move one window position at a time.")
PROJECTOR_KEY = "ui_projector"  # survives page switches: set only through the toggle's callback


def projector_on() -> bool:
    """Whether this user switched projector mode on (large type, thick lines, high contrast)."""
    return bool(st.session_state.get(PROJECTOR_KEY, False))


CHART_PX_KEY = "_ui_chart_px"  # the chart column's width on a narrow screen; 0: a desktop's
_chart_width = assets.component("cnnviz_chart_width", "chart_width.js")


def narrow_chart_px() -> int | None:
    """The width of the column this is called in when the screen is narrow, else None.

    Measured by the browser (assets/chart_width.js) and kept for the session: a phone's first
    page view reruns once when its width arrives, a desktop never does.
    """
    known = known_chart_px() or 0
    width = _chart_width(key="ui_chart_width", data=known, height=0,
                         on_width_change=lambda: None).get("width")
    if isinstance(width, int) and 0 <= width <= 10_000:
        st.session_state[CHART_PX_KEY] = known = width
    return known or None


def known_chart_px() -> int | None:
    """The narrow chart width narrow_chart_px last measured for this session (None: a desktop)."""
    return int(st.session_state.get(CHART_PX_KEY, 0)) or None


def plotly_chart(fig: go.Figure | dict, projector: bool | None = None, where=None,
                 **kwargs) -> None:
    """st.plotly_chart, in projector mode on an enlarged copy; never changes ``fig`` itself.

    Fast path for many sessions: pass a go.Figure from an ``st.cache_resource`` function.
    Streamlit re-validates a dict on every rerun (about 20 ms for a 16-frame animation) but
    only serializes a Figure (about 3 ms). ``projector`` overrides this session's setting (cached
    callers pass it in, as they must not read session state). ``where``: a column or container
    (default: the page).
    """
    if projector_on() if projector is None else projector:
        # Copy through to_dict(): figure subclasses that hand over a prebuilt dict keep their
        # content there, not in .data.
        spec = fig.to_dict() if isinstance(fig, go.Figure) else fig
        fig = apply_projector(go.Figure(spec), True)
    return (where or st).plotly_chart(fig, **kwargs)


# Cached blocks are called with keywords only: for a positional argument Streamlit computes the
# function's signature (inspect.signature) again on every call to find its name.
# Each entry holds one serialized figure; 256 of them bound the memory.
@st.cache_resource(max_entries=256, show_spinner=False)
def _chart_block(settings: str, origin: str, projector: bool, key: str | None, options: str,
                 _build: Callable[[], go.Figure | dict]) -> None:
    """One chart, recorded: a cache hit replays the element without building or serializing."""
    plotly_chart(_build(), projector=projector, key=key, **dict(ast.literal_eval(options)))


# Live training charts change 4 times a second per computation: their own entries, so that 30
# trainings never evict the recorded charts (animations) of the other pages.
@st.cache_resource(max_entries=256, show_spinner=False)
def _live_chart_block(settings: str, origin: str, projector: bool, key: str | None, options: str,
                      _build: Callable[[], go.Figure | dict]) -> None:
    """One live chart, recorded like _chart_block."""
    plotly_chart(_build(), projector=projector, key=key, **dict(ast.literal_eval(options)))


def cached_chart(settings: str, build: Callable[[], go.Figure | dict], key: str | None = None,
                 where=None, live: bool = False, **kwargs) -> None:
    """A plotly chart that a rerun with unchanged ``settings`` resends at almost no cost.

    ``settings`` is text that identifies the figure completely (e.g. ``repr`` of everything
    ``build`` uses, or an image's token): charts with equal settings, key and options are
    recorded once per server process and shared by all sessions. ``build()`` makes the figure
    on the first call only. Plotly figures cost 5-50 ms to validate and serialize per rerun;
    with many students on one page that is most of the server's time. ``kwargs`` go to
    st.plotly_chart and must be plain literals (numbers, strings, dicts of them). ``live``: a
    chart that a running training redraws (its own, separately bounded cache).
    """
    block = _live_chart_block if live else _chart_block
    with where if where is not None else contextlib.nullcontext():
        block(settings=settings, origin=_origin(build), projector=projector_on(), key=key,
              options=repr(sorted(kwargs.items())), _build=build)


def _origin(function) -> str:
    """Where a callable was written: two blocks with equal settings text stay apart."""
    code = getattr(function, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else repr(function)


# Entries may hold whole animations (up to ~1 MB each): 64 bound the memory.
@st.cache_resource(max_entries=64, show_spinner=False)
def _element_block(settings: str, origin: str, projector: bool, _draw: Callable[[], None]) -> None:
    _draw()


def cached_elements(settings: str, draw: Callable[[], None]) -> None:
    """Elements that ``draw()`` writes (text, tables; no widgets), recorded like cached_chart.

    Use it for output that costs real time to serialize on every rerun, such as st.table.
    """
    _element_block(settings=settings, origin=_origin(draw), projector=projector_on(), _draw=draw)


