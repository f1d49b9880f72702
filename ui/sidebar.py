"""The sidebar every page shows, and the navigation: projector mode, share QR, keys, device."""

from __future__ import annotations

import copy
import os

import streamlit as st

from cnnviz import config
from cnnviz.catalog import all_pages
from cnnviz.device import choose_device, configure_threads, describe_device
from cnnviz.share import is_local_only, public_base_from_env, qr_png, shareable_url
from ui import assets, classroom
from ui.charts import PROJECTOR_KEY, projector_on


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


@st.cache_data(max_entries=256)
def _qr_png(url: str) -> bytes:
    return qr_png(url)


def _remember_projector() -> None:
    st.session_state[PROJECTOR_KEY] = st.session_state["_ui_projector_toggle"]


def projector_toggle() -> None:
    """The projector-mode toggle and the style sheets: the layout's, and projector mode's."""
    st.toggle("Projector mode", value=projector_on(), key="_ui_projector_toggle",
              on_change=_remember_projector,
              help="Large type, thick lines and high contrast for a lecture-hall projector.")
    sheets = ("layout.css", "projector.css") if projector_on() else ("layout.css",)
    st.html("".join(f"<style>{assets.text(name)}</style>" for name in sheets))


# Arrow keys and PageUp/PageDown step the page's animation (and the share link follows).
PAGE_SCRIPTS = ("keyboard_stepping.js",)


def page_scripts() -> None:
    """The browser-side helpers of every page's plotly animations (see assets/)."""
    st.html("".join(f"<script>{assets.text(name)}</script>" for name in PAGE_SCRIPTS),
            unsafe_allow_javascript=True)


# Reports the step the browser keeps in the address (assets/step_watch.js); draws nothing.
_step_watch = assets.component("cnnviz_step_watch", "step_watch.js")


@st.fragment
def share_expander() -> None:
    """A QR code of this page's address, query string included, for students' phones.

    The animation's step changes in the browser only; the watcher reruns this fragment (not the
    page) when it does, so the link and the QR code show the step on screen.
    """
    shown = st.session_state.get("_ui_share_step", "")  # the step the last link held
    step = _step_watch(key="ui_share_step", data=shown, on_step_change=lambda: None).get("step")
    st.session_state["_ui_share_step"] = step or ""
    public = public_base_from_env()
    browser_url = st.context.url or public or "http://localhost:8501/"
    query = {key: st.query_params.get_all(key) for key in st.query_params if key != "step"}
    if step:
        query["step"] = [step]
    url = shareable_url(browser_url, query, public)
    with st.expander("Share this page", icon=":material/qr_code_2:"):
        st.image(_qr_png(url), caption="Scan to open this page", width=220)
        st.code(url, language=None, wrap_lines=True)
        if is_local_only(url):
            st.caption("Only this computer can open a localhost address: set "
                       "CNNVIZ_PUBLIC_URL to the address students reach.")
        if hint := config.workers_hint(os.cpu_count(), config.settings().workers):
            st.caption(hint)


def stop_on_bad_settings() -> None:
    """A bad CNNVIZ_* value: say which and what it may be, instead of a page that fails later."""
    try:
        config.settings()
    except config.ConfigError as err:
        st.error(f"cnnviz cannot start: {err}", icon=":material/settings_alert:")
        st.stop()


def sidebar() -> None:
    """Sidebar shown on every page (after checking the settings): projector mode, class, keys."""
    stop_on_bad_settings()
    classroom.join_from_link()
    with st.sidebar:
        projector_toggle()
        if projector_on():  # the QR code costs ~2 ms a rerun: only the lecturer's session pays
            share_expander()
        classroom.sidebar_section(_qr_png)
        page_scripts()
        st.caption(f"Computing on **{device_label()}**")
