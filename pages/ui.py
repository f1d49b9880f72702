"""Streamlit helpers shared by every page: page setup and the sidebar (kept thin, no compute)."""

from __future__ import annotations

import ast
import contextlib
import copy
import os
from collections.abc import Callable
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnviz import serve
from cnnviz.catalog import all_pages
from cnnviz.device import choose_device, configure_threads, describe_device
from cnnviz.projector import apply_projector
from cnnviz.share import is_local_only, public_base_from_env, qr_png, shareable_url

ASSETS = Path(__file__).resolve().parents[1] / "assets"
# Under every sliding-window animation (the buttons come from cnnviz.animation._buttons).
PLAY_HELP = ("Play runs in your browser: ▶ Slow / Play / ▶▶ Fast, ■ Pause; ◀ Step / Step ▶, the "
             "arrow keys or the slider move one window position at a time.")
PROJECTOR_KEY = "ui_projector"  # survives page switches: set only through the toggle's callback


@st.cache_resource
def device_label() -> str:
    """Describe the compute device once per server process (threads configured first)."""
    configure_threads()
    return describe_device(choose_device())


@st.cache_resource
def _page_templates() -> tuple:
    """One st.Page per catalog page, built once per server process."""
    return tuple((info.section, st.Page(info.file, title=info.title, icon=info.icon,
                                         url_path=info.url_path or None,
                                         default=not info.url_path))
                 for info in all_pages())


def navigation_sections() -> dict[str, list[st.Page]]:
    """The pages for st.navigation, grouped by section, as fresh copies of cached templates.

    Building an st.Page resolves its file on disk (a realpath and a stat per page): a quarter of
    the server's CPU per rerun with many sessions. A copy costs nothing, and copies (rather than
    the shared templates) are needed because st.navigation and Page.run keep a per-run flag on
    the page object, which concurrent sessions would otherwise overwrite.
    """
    sections: dict[str, list[st.Page]] = {}
    for section, page in _page_templates():
        sections.setdefault(section, []).append(copy.copy(page))
    return sections


def session_alive_check() -> Callable[[], bool] | None:
    """A check whether this browser session is still connected, or None outside a server."""
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    server, session_id = runtime.get_instance(), ctx.session_id
    return lambda: server.is_active_session(session_id)


def projector_on() -> bool:
    """Whether this user switched projector mode on (large type, thick lines, high contrast)."""
    return bool(st.session_state.get(PROJECTOR_KEY, False))


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
    (where or st).plotly_chart(fig, **kwargs)


# Each entry holds one serialized figure; 256 of them bound the memory.
@st.cache_resource(max_entries=256, show_spinner=False)
def _chart_block(settings: str, origin: str, projector: bool, key: str | None, options: str,
                 _build: Callable[[], go.Figure | dict]) -> None:
    """One chart, recorded: a cache hit replays the element without building or serializing."""
    plotly_chart(_build(), projector=projector, key=key, **dict(ast.literal_eval(options)))


def cached_chart(settings: str, build: Callable[[], go.Figure | dict], key: str | None = None,
                 where=None, **kwargs) -> None:
    """A plotly chart that a rerun with unchanged ``settings`` resends at almost no cost.

    ``settings`` is text that identifies the figure completely (e.g. ``repr`` of everything
    ``build`` uses, or an image's token): charts with equal settings, key and options are
    recorded once per server process and shared by all sessions. ``build()`` makes the figure
    on the first call only. Plotly figures cost 5-50 ms to validate and serialize per rerun;
    with many students on one page that is most of the server's time. ``kwargs`` go to
    st.plotly_chart and must be plain literals (numbers, strings, dicts of them).
    """
    with where if where is not None else contextlib.nullcontext():
        _chart_block(settings, _origin(build), projector_on(), key,
                     repr(sorted(kwargs.items())), build)


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
    _element_block(settings, _origin(draw), projector_on(), draw)


@st.cache_data(max_entries=256)
def _qr_png(url: str) -> bytes:
    return qr_png(url)


@st.cache_resource
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _remember_projector() -> None:
    st.session_state[PROJECTOR_KEY] = st.session_state["_ui_projector_toggle"]


def projector_toggle() -> None:
    """The projector-mode toggle and, when on, its style sheet."""
    st.toggle("Projector mode", value=projector_on(), key="_ui_projector_toggle",
              on_change=_remember_projector,
              help="Large type, thick lines and high contrast for a lecture-hall projector.")
    if projector_on():
        st.html(f"<style>{_asset('projector.css')}</style>")


def keyboard_stepping() -> None:
    """Let arrow keys and PageUp/PageDown step the page's plotly animation (see assets/)."""
    st.html(f"<script>{_asset('keyboard_stepping.js')}</script>", unsafe_allow_javascript=True)


def share_expander() -> None:
    """A QR code of this page's address, query string included, for students' phones."""
    public = public_base_from_env()
    browser_url = st.context.url or public or "http://localhost:8501/"
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    url = shareable_url(browser_url, query, public)
    with st.expander("Share this page", icon=":material/qr_code_2:"):
        st.image(_qr_png(url), caption="Scan to open this page", width=220)
        st.code(url, language=None, wrap_lines=True)
        if is_local_only(url):
            st.caption("Only this computer can open a localhost address: set "
                       "CNNVIZ_PUBLIC_URL to the address students reach.")
        if hint := serve.workers_hint(os.cpu_count()):
            st.caption(hint)


def sidebar() -> None:
    """Sidebar shown on every page: projector mode (with the QR code), keys, the device."""
    with st.sidebar:
        projector_toggle()
        if projector_on():  # the QR code costs ~2 ms a rerun: only the lecturer's session pays
            share_expander()
        keyboard_stepping()
        st.caption(f"Computing on **{device_label()}**")
