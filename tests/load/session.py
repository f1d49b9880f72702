"""One simulated browser: Streamlit's own protobuf messages over the /_stcore/stream websocket."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

LOOPBACK = {"127.0.0.1", "localhost"}


class RunFailed(Exception):
    """A script run that did not finish cleanly (exception shown, wrong page, timeout)."""


@dataclass
class RunResult:
    """What one script run sent back."""

    seconds: float
    buttons: dict[str, str] = field(default_factory=dict)  # label -> widget id
    disabled: set[str] = field(default_factory=set)  # labels of disabled buttons
    ran_page: str | None = None  # URL path of the page that ran, when the app navigates
    exceptions: list[str] = field(default_factory=list)
    radios: dict[str, str] = field(default_factory=dict)  # label -> widget id
    html: list[str] = field(default_factory=list)  # bodies of st.html elements
    markdown: list[str] = field(default_factory=list)  # bodies of markdown elements
    charts: list[str] = field(default_factory=list)  # plotly figure specs (JSON text)
    fragments: list[str] = field(default_factory=list)  # ids of fragments that rerun by timer
    intervals: list[float] = field(default_factory=list)  # and their seconds between reruns
    progress: list[str] = field(default_factory=list)  # texts of progress bars
    # st.components.v2 components: name -> (widget id, id of the fragment it is in)
    components: dict[str, tuple[str, str]] = field(default_factory=dict)


class BrowserSession:
    """A websocket session that reruns one page the way the browser's frontend asks for it."""

    def __init__(self, base_url: str, page: str, timeout_s: float = 30.0, query: str = "",
                 follow_pages: bool = False):
        parts = urlsplit(base_url)
        if parts.hostname not in LOOPBACK:
            raise ValueError(f"load tests only drive a server on this machine, not {base_url}")
        self.page = page
        self.query = query  # the address's query string, as the browser sends it
        self.follow_pages = follow_pages  # the app may switch pages (class mode's followers)
        self.timeout_s = timeout_s
        self.ws = websocket.create_connection(
            f"ws://{parts.netloc}/_stcore/stream", subprotocol=["streamlit"],
            timeout=timeout_s, enable_multithread=True)

    def close(self) -> None:
        """Close the websocket (the server then ends the session)."""
        self.ws.close()

    def rerun(self, clicked_button_id: str | None = None, fragment_id: str = "",
              widgets: tuple[WidgetState, ...] = ()) -> RunResult:
        """Ask for one script run of the page (or of one fragment) and wait until it finishes."""
        msg = BackMsg()
        state = msg.rerun_script
        state.page_name = self.page
        state.query_string = self.query
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = not (clicked_button_id or widgets)
        state.widget_states.widgets.extend(widgets)
        if clicked_button_id:
            state.widget_states.widgets.append(WidgetState(id=clicked_button_id,
                                                           trigger_value=True))
        start = time.perf_counter()
        self.ws.send_binary(msg.SerializeToString())
        return self._read_until_finished(start)

    def _read_until_finished(self, start: float) -> RunResult:
        result = RunResult(seconds=0.0)
        deadline = start + self.timeout_s
        while True:
            if time.perf_counter() > deadline:
                raise RunFailed(f"no script_finished within {self.timeout_s} s")
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    result.exceptions.append(f"{element.exception.type}: "
                                             f"{element.exception.message}")
                elif which == "button":
                    result.buttons[element.button.label] = element.button.id
                    if element.button.disabled:
                        result.disabled.add(element.button.label)
                elif which == "radio":
                    result.radios[element.radio.label] = element.radio.id
                elif which == "html":
                    result.html.append(element.html.body)
                elif which == "markdown":
                    result.markdown.append(element.markdown.body)
                elif which == "progress":
                    result.progress.append(element.progress.text)
                elif which == "plotly_chart":
                    result.charts.append(element.plotly_chart.spec)
                elif which == "bidi_component":
                    component = element.bidi_component
                    result.components[component.component_name] = (component.id,
                                                                    fwd.delta.fragment_id)
            elif kind == "auto_rerun":
                result.fragments.append(fwd.auto_rerun.fragment_id)
                result.intervals.append(fwd.auto_rerun.interval)
            elif kind == "navigation":
                # The last navigation message names the page that actually ran. (A
                # page_not_found may come first: Streamlit checks the name against the pages/
                # folder before app.py's st.navigation resolves it, so it is not an error.)
                nav = fwd.navigation
                result.ran_page = next((p.url_pathname for p in nav.app_pages
                                        if p.page_script_hash == nav.page_script_hash), None)
            elif kind == "script_finished":
                status = fwd.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # superseded by our own rerun request; keep waiting
                result.seconds = time.perf_counter() - start
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise RunFailed("script has a compile error")
                if result.exceptions:
                    raise RunFailed("; ".join(result.exceptions))
                if result.ran_page is not None and self.follow_pages:
                    self.page = result.ran_page
                elif result.ran_page is not None and result.ran_page != self.page:
                    raise RunFailed(f"asked for page {self.page!r}, got {result.ran_page!r}")
                return result
