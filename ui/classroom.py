"""Class mode on screen: the lecturer leads a class, students follow and answer questions.

The class lives in the server's store (cnnviz.classroom; shared by every worker). The
lecturer's secret is kept only in the lecturer's session state, never in a link. State per
session, under ``class_`` keys: ``code``, ``secret`` (lecturer only), ``session`` (a random id
for heartbeats and answers), ``follow``, ``seen`` (the class version shown), ``step``,
``shown`` (what the lecturer published last), ``applied`` (the version a follower applied).
The lecturer's figure tells the server its step through a component mounted only in the
lecturer's session (assets/class_step_reporter.js): moves cost a fragment run, not a page run.
"""

from __future__ import annotations

import secrets

import numpy as np
import streamlit as st

from cnnviz import pageconfig
from cnnviz.catalog import all_pages
from cnnviz.classroom.images import image_array, image_bytes
from cnnviz.classroom.store import ClassError, ClassState, ClassStore, open_store
from cnnviz.pagespecs import SPECS
from cnnviz.share import client_address, public_base_from_env, shareable_url
from ui import assets, class_questions, config_ui

POLL_S = 1  # followers and the lecturer's histogram look for changes this often
HEARTBEAT_S = 3.0  # a follower says it is there at most this often (the store counts 10 s)
STEP_BACK, STEP_NEXT = "◀ Step for all", "Step ▶ for all"
MAX_STEP = 100_000  # more steps than any figure has: a bigger reported step is not one
PAGES = {info.url_path: info for info in all_pages()}
REPORTER_KEY = "class_reporter"
step_reporter_component = assets.component("cnnviz.class_step_reporter",
                                           "class_step_reporter.js")


@st.cache_resource
def class_store() -> ClassStore:
    """The class store of this server process (it holds connections only; state is outside)."""
    return open_store()


def _s(name: str, default=None):
    return st.session_state.get(f"class_{name}", default)


def _set(**values) -> None:
    st.session_state.update({f"class_{name}": value for name, value in values.items()})


def session_id() -> str:
    """The random id of this browser session (server-side: no browser can choose another)."""
    if _s("session") is None:
        _set(session=secrets.token_urlsafe(16))
    return _s("session")


def is_lecturer() -> bool:
    """True in the session that started the class (it alone holds the secret)."""
    return _s("secret") is not None


def join(code: str) -> str | None:
    """Join the class ``code`` as a student; the reason when that is not possible."""
    address = client_address(st.context.ip_address, st.context.headers.get("X-Forwarded-For"))
    try:
        state = class_store().join(code, session_id(), address)
    except ClassError as err:
        return str(err)
    _set(code=state.code, secret=None, follow=True, seen=0, step=0)
    return None


def leave() -> None:
    """Leave the class (the lecturer ends it for everyone)."""
    if is_lecturer():
        try:
            class_store().end(_s("code"), _s("secret"))
        except ClassError:
            pass  # expired already
    for name in ("code", "secret", "follow", "seen", "step", "shown"):
        st.session_state.pop(f"class_{name}", None)


def _start() -> None:
    lecturer = class_store().start()
    _set(code=lecturer.code, secret=lecturer.secret, step=0, shown=None)


def _join_typed() -> None:
    _set(error=join(st.session_state.get("class_typed", "")))


def join_from_link() -> None:
    """A ``?class=CODE`` link joins that class (once per session)."""
    code = st.query_params.get("class")
    if code and _s("code") is None and _s("link_tried") != code:
        _set(link_tried=code, error=join(code))


def _move_step(delta: int) -> None:
    _set(step=max(0, (_s("step") or 0) + delta))


def class_url(code: str) -> str:
    """The address that joins class ``code`` (on CNNVIZ_PUBLIC_URL when set); no secret in it."""
    public = public_base_from_env()
    return shareable_url(st.context.url or public or "http://localhost:8501/", {"class": code},
                         public)


def _follow_again() -> None:
    _set(applied=None)  # the next poll applies the lecturer's state, changed or not


def sidebar_section(qr_png) -> None:
    """The sidebar's class section: start or join; the code, QR and steps; follow or explore."""
    code = _s("code")
    with st.expander("Class", icon=":material/groups:", expanded=code is not None):
        if code is None:
            st.button("Start a class", key="class_start", on_click=_start,
                      help="You lead: students who join follow your page, settings and step.")
            st.text_input("Class code", key="class_typed", max_chars=12,
                          placeholder="e.g. KX7PQM", on_change=_join_typed)
            st.button("Join", key="class_join", on_click=_join_typed)
            if _s("error"):
                st.error(_s("error"), icon=":material/error:")
            return
        if is_lecturer():
            st.markdown(f"Class code **{code}**")  # our own alphabet: nothing to escape
            url = class_url(code)
            st.image(qr_png(url), caption="Scan to join the class", width=200)
            st.code(url, language=None, wrap_lines=True)
            with st.container(horizontal=True):
                st.button(STEP_BACK, key="class_back", on_click=_move_step, args=(-1,))
                st.button(STEP_NEXT, key="class_next", on_click=_move_step, args=(1,))
            st.caption("Students also follow every move of your figure: its step buttons, "
                       "Play, the slider, the arrow keys, pointing at a cell.")
            st.button("End the class", key="class_end", on_click=leave)
            return
        st.markdown(f"In class **{code}**")
        st.toggle("Follow the lecturer", key="class_follow", on_change=_follow_again,
                  help="Off: explore on your own. On: your page follows the lecturer's again.")
        if not _s("follow"):
            st.caption("Exploring on your own.")
        st.button("Leave the class", key="class_leave", on_click=leave)


def publish(page_url_path: str) -> None:
    """After the lecturer's page ran: send its page, configuration and step when they changed."""
    if not is_lecturer():
        return
    info = PAGES.get(page_url_path)
    config = {}
    if info is not None and info.spec:
        spec = SPECS[info.spec]
        config = pageconfig.encode(config_ui.current(spec), spec.fields)
    _send((page_url_path, config, _s("step") or 0))


def _send(shown: tuple[str, dict, int]) -> None:
    """Publish (page, configuration, step) unless it is what the class shows already."""
    if shown == _s("shown"):
        return
    try:
        class_store().show(_s("code"), _s("secret"), *shown)
        _set(shown=shown)
    except ClassError as err:
        st.sidebar.error(str(err), icon=":material/error:")


def _figure_moved() -> None:
    """The lecturer's figure reached another step (its buttons, Play, slider, keys, a cell)."""
    step = st.session_state[REPORTER_KEY].get("step")
    if not is_lecturer() or type(step) is not int or not 0 <= step <= MAX_STEP:
        return  # not a step: the page's own browser sends ints from its figure
    _set(step=step)
    if _s("shown"):  # the page ran and was published: the same page and configuration
        _send((*_s("shown")[:2], step))


def step_reporter() -> None:
    """The lecturer's figure moves, sent here by the browser (st.fragment: a move reruns this)."""
    step_reporter_component(key=REPORTER_KEY, on_step_change=_figure_moved, height=0)


def show_step(step: int, version: int) -> None:
    """Jump the page's animation to ``step`` (the version makes each change run the script)."""
    st.html(f"<script>/* class v{int(version)} */ window.cnnvizShowStep && "
            f"window.cnnvizShowStep({int(step)});</script>", unsafe_allow_javascript=True)


def share_image(token: str, name: str, array: np.ndarray, info: dict) -> None:
    """Lecturer: share the kernel lab's uploaded image with the class, once per image.

    ``info`` carries what the lab shows beside it: source, pixel_size_nm and the loader's notes.
    """
    if not is_lecturer():
        return
    if _s("image_shared") != token:
        try:
            class_store().share_image(_s("code"), _s("secret"), name, image_bytes(array), info)
            _set(image_shared=token, image_error=None)
        except ClassError as err:  # too large, or the class expired: said once per image
            _set(image_shared=token, image_error=str(err))
    if _s("image_error"):
        st.warning(_s("image_error"), icon=":material/share_off:")


@st.cache_resource(max_entries=2, show_spinner=False)
def _shared(code: str, token: str) -> tuple[str, np.ndarray, dict] | None:
    """The class's shared image (name, read-only pixels, description), one copy per process."""
    found = class_store().image(code, token)
    return None if found is None else (found.name, image_array(found.data), found.info)


def followed_image() -> dict | None:
    """Following student: the image the lecturer shares, if any.

    A dict of its token, name, array and ``cnnviz.classroom.images.image_info``'s keys.
    Students who explore on their own keep their own upload.
    """
    state = _s("state")
    if is_lecturer() or not _s("follow") or state is None or not state.image:
        return None
    found = _shared(state.code, state.image)
    if found is None:
        return None
    name, array, info = found
    return {"token": state.image, "name": name, "array": array, **info}


def _follow(state: ClassState, here: str) -> None:
    """Make this session show the lecturer's page and configuration (then rerun or switch).

    The configuration once per class version: a setting this machine cannot take (set_config
    keeps the student's own) must not rerun the page every second. The page on every poll.
    """
    info = PAGES.get(state.page)
    if info is None:
        return
    if info.spec and _s("applied") != state.version:
        _set(applied=state.version)
        spec = SPECS[info.spec]
        config, _ = pageconfig.decode(state.config, spec.fields, present_only=True)
        if config != {k: v for k, v in config_ui.current(spec).items() if k in config}:
            config_ui.set_config(spec, config)
            if state.page == here:
                st.rerun(scope="app")
    if state.image != (_s("image_seen") or ""):  # a new shared image: the page shows it
        _set(image_seen=state.image)
        if state.page == here:
            st.rerun(scope="app")
    if state.page != here:
        st.switch_page(info.file)


def follower_poll(here: str) -> None:
    """A joined student's poll (st.fragment, every POLL_S): follow the lecturer, show questions."""
    store, code = class_store(), _s("code")
    try:
        version = store.version(code)
        if _s("follow"):
            now = store.clock()
            if now - (_s("beat") or 0) >= HEARTBEAT_S:
                store.heartbeat(code, session_id())
                _set(beat=now)
        state = store.state(code) if version != _s("seen") else _s("state")
    except ClassError as err:
        st.warning(f"{err}", icon=":material/group_off:")
        return
    _set(seen=version, state=state)
    if _s("follow"):
        _follow(state, here)
        show_step(state.step, version)
    class_questions.answer_panel(store, state, session_id())


def lecturer_poll() -> None:
    """The lecturer's live view (st.fragment, every POLL_S): followers, the answers so far."""
    store, code = class_store(), _s("code")
    try:
        state, followers = store.state(code), store.followers(code)
    except ClassError as err:
        st.warning(f"{err}", icon=":material/group_off:")
        return
    st.caption(f"Class {code}: {followers} following, at step {state.step + 1}")
    class_questions.live_answers(store, state)


def main_panel(here: str) -> None:
    """Above the page: the class's live part (questions, answers, the follow poll)."""
    if _s("code") is None:
        return
    if not is_lecturer():
        st.fragment(follower_poll, run_every=POLL_S)(here)
        return
    try:
        state = class_store().state(_s("code"))
    except ClassError as err:
        st.warning(f"{err} End it in the sidebar and start a new one.",
                   icon=":material/group_off:")
        return
    if _s("shown") and _s("shown")[0] != here:
        _set(step=0)  # a new page starts at its first step, for the lecturer as for all
    show_step(_s("step") or 0, _s("step") or 0)
    st.fragment(step_reporter)()
    st.fragment(lecturer_poll, run_every=POLL_S)()
    spec = PAGES[here].spec if here in PAGES else ""
    config = config_ui.current(SPECS[spec]) if spec else {}
    class_questions.ask_controls(class_store(), state, _s("secret"), spec, config,
                                 reveal_step=lambda step: _set(step=step))
