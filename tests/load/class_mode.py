"""Class-mode load (``lecture_hall --class``): one lecturer leads N followers, then asks them.

The lecturer's session starts a class with its button and steps the animation: once with "Step
▶ for all" (a page run), twice as its figure's own moves (Step ▶, a cell pointed at: the step
reporter's state, a fragment run), then plays it (one reported step every 0.5 s, ▶ Play's
speed). Each follower joins with a ``class=CODE`` link and reruns its poll fragment every
second, as the browser does for st.fragment(run_every=1). Measured: the lag from the end of the
lecturer's run to the first follower run that shows that step or a later one (a follower polls
once a second: while the lecturer plays it may skip one), the latency of every rerun (the
followers' polls, the lecturer's histogram and moves), and whether N answers, each given twice,
are all counted exactly once (the store's tally, read from the server's store). The store is
the one CNNVIZ_CLASS_STORE names: SQLite in the server's folder, or a redis-server of its own.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

from streamlit.proto.WidgetStates_pb2 import WidgetState

from cnnviz import config
from cnnviz.classroom.store import ClassStore
from tests.conftest import start_server, stop_server
from tests.load.session import BrowserSession, RunFailed
from tests.load.stats import percentile
from tests.redis_server import redis_server

MOVES = ("class button", "figure", "figure")  # how the lecturer reaches steps 1, 2, 3
PLAY_STEPS, PLAY_FRAME_S = 4, 0.5  # then it plays: 4 more steps at ▶ Play's speed
CHANGE_EVERY_S = 4.0  # between the lecturer's changes
POLL_S = 1.0  # ui.classroom.POLL_S
REPORTER = "cnnviz.class_step_reporter"  # ui.classroom's component


class Follower(threading.Thread):
    """One student: joins, then polls every second; records when each step shows."""

    def __init__(self, scenario: ClassScenario, index: int):
        super().__init__(daemon=True)
        self.sc, self.index = scenario, index
        self.seen: dict[int, float] = {}  # step -> when first shown (perf_counter)
        self.answers = 0

    def _poll(self, session: BrowserSession, fragment: str, widgets=()) -> None:
        result = session.rerun(fragment_id=fragment, widgets=widgets)
        now = time.perf_counter()
        with self.sc.lock:
            self.sc.latencies.append(result.seconds)
        for body in result.html:
            if match := re.search(r"cnnvizShowStep\((\d+)\)", body):
                self.seen.setdefault(int(match.group(1)), now)
        if self.sc.asked.is_set() and self.answers < 2 and "Your answer" in result.radios:
            self._answer(session, fragment, result)

    def _answer(self, session: BrowserSession, fragment: str, result) -> None:
        """Answer (then change the answer once): the store must count this session once."""
        send = next(i for label, i in result.buttons.items() if label == "Answer")
        choice = (self.index + self.answers) % 3
        self.answers += 1
        self._poll(session, fragment, (WidgetState(id=result.radios["Your answer"],
                                                   string_value="ABC"[choice]),
                                       WidgetState(id=send, trigger_value=True)))

    def run(self) -> None:
        session = None
        try:
            session = BrowserSession(self.sc.url, "", self.sc.timeout_s,
                                     query=f"class={self.sc.code}", follow_pages=True)
            first = session.rerun()
            fragment = (first.fragments or [""])[-1]  # the poll of the page it switched to
            if not fragment:
                raise RunFailed("no poll fragment after joining")
            rng = random.Random(self.index)
            time.sleep(rng.random() * POLL_S)  # browsers do not poll in step
            while not self.sc.done.is_set():
                started = time.perf_counter()
                self._poll(session, fragment)
                time.sleep(max(0.0, POLL_S - (time.perf_counter() - started)))
        except Exception as exc:  # noqa: BLE001 - every failure is a measured error
            self.sc.error(f"follower {self.index}: {exc!r}")
        finally:
            if session is not None:
                session.close()


class ClassScenario:
    """A lecturer and N followers on one server."""

    def __init__(self, url: str, store: ClassStore, n: int, timeout_s: float):
        self.url, self.store, self.n, self.timeout_s = url, store, n, timeout_s
        self.latencies: list[float] = []
        self.lecturer_latencies: list[float] = []
        self.moves: dict[str, list[float]] = {how: [] for how in (*MOVES, "playing")}
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.done, self.asked = threading.Event(), threading.Event()
        self.code = ""

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    def run(self) -> dict:
        lecturer = BrowserSession(self.url, "", self.timeout_s, follow_pages=True)
        first = lecturer.rerun()
        started = lecturer.rerun(clicked_button_id=first.buttons["Start a class"])
        self.code = next(m.group(1) for body in started.markdown
                         if (m := re.search(r"Class code \*\*([A-Z0-9]{6})\*\*", body)))
        lecturer.page = "cross_correlation"
        ready = lecturer.rerun()
        followers = [Follower(self, i) for i in range(self.n)]
        for follower in followers:
            follower.start()
        deadline = time.monotonic() + 120
        while self.store.followers(self.code) < self.n and time.monotonic() < deadline:
            time.sleep(0.5)  # polling a condition: every follower's heartbeat arrived
        joined = self.store.followers(self.code)
        changes: dict[int, float] = {}
        reporter = ready.components[REPORTER]
        for step, how in enumerate(MOVES, start=1):
            if how == "class button":
                moved = lecturer.rerun(clicked_button_id=ready.buttons["Step ▶ for all"])
                ready = moved
            else:
                moved = self._figure_move(lecturer, reporter, step)
            changes[step] = time.perf_counter()
            self.moves[how].append(moved.seconds)
            self._lecturer_polls(lecturer, ready, CHANGE_EVERY_S)
        for step in range(len(MOVES) + 1, len(MOVES) + PLAY_STEPS + 1):
            started = time.perf_counter()
            self.moves["playing"].append(self._figure_move(lecturer, reporter, step).seconds)
            changes[step] = time.perf_counter()
            time.sleep(max(0.0, PLAY_FRAME_S - (time.perf_counter() - started)))
        self._lecturer_polls(lecturer, ready, CHANGE_EVERY_S)
        asked = lecturer.rerun(clicked_button_id=ready.buttons["Ask"])
        self.asked.set()
        counts, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:
            result = self._lecturer_polls(lecturer, asked, POLL_S)
            counts = json.loads(result.charts[-1])["data"][0]["y"] if result.charts else counts
            if sum(counts) >= self.n and all(f.answers >= 2 for f in followers):
                break
        self._lecturer_polls(lecturer, asked, 2 * POLL_S)  # answers changed last are in too
        self.done.set()
        for follower in followers:
            follower.join(timeout=self.timeout_s)
        lecturer.close()
        tally = self.store.tally(self.code, 1)
        lags: dict[int, list[float]] = {step: [] for step in changes}
        missed = 0
        for follower, step in ((f, s) for f in followers for s in changes):
            shown = [at for seen, at in follower.seen.items() if seen >= step]
            if shown:
                lags[step].append(min(shown) - changes[step])
            else:
                missed += 1
        return {"joined": joined, "lags": lags, "missed": missed, "tally": tally,
                "histogram": counts, "answered": sum(f.answers >= 1 for f in followers)}

    def _figure_move(self, lecturer: BrowserSession, reporter: tuple[str, str], step: int):
        """What the lecturer's browser sends when its figure reaches ``step``: a fragment run."""
        widget, fragment = reporter
        state = WidgetState(id=widget, json_value=json.dumps({"step": step}))
        return lecturer.rerun(fragment_id=fragment, widgets=(state,))

    def _lecturer_polls(self, lecturer: BrowserSession, page_run, seconds: float):
        """The lecturer's histogram fragment, polled every second for ``seconds``."""
        fragment = (page_run.fragments or [""])[-1]
        end, result = time.perf_counter() + seconds, page_run
        while time.perf_counter() < end:
            started = time.perf_counter()
            result = lecturer.rerun(fragment_id=fragment)
            self.lecturer_latencies.append(result.seconds)
            time.sleep(max(0.0, POLL_S - (time.perf_counter() - started)))
        return result


def _servers(folder: Path, stack: contextlib.ExitStack, backend: str) -> tuple[dict, ClassStore]:
    """The server's class-store settings and the test's own view of that store."""
    if backend == "redis":
        from cnnviz.classroom.redis_store import RedisStore

        url = stack.enter_context(redis_server(folder))
        return ({"CNNVIZ_CLASS_STORE": "redis", "CNNVIZ_REDIS_URL": url},
                RedisStore(url, 3600))
    from cnnviz.classroom.sqlite_store import SqliteStore

    return ({"CNNVIZ_CLASS_STORE": "sqlite", "CNNVIZ_CLASS_DIR": str(folder)},
            SqliteStore(folder / "classes.sqlite3", 3600))


def _lag_line(name: str, lags: list[float]) -> str:
    if not lags:
        return f"{name}: none shown"
    return (f"{name}: p50 {percentile(lags, 50):.2f} s, p95 {percentile(lags, 95):.2f} s, "
            f"max {max(lags):.2f} s")


def measure(n: int, workers: int, timeout_s: float) -> tuple[bool, str]:
    """One class of ``n`` followers on a fresh server; returns (goals met, report lines)."""
    backend = config.settings().class_store
    folder = Path(tempfile.mkdtemp(prefix="cnnviz-class-load-"))
    with contextlib.ExitStack() as stack:
        env, store = _servers(folder, stack, backend)
        proc, url = start_server(folder, env, workers=workers)
        try:
            for _ in range(workers):  # warm every worker (imports, caches) before measuring
                warm = BrowserSession(url, "cross_correlation", timeout_s)
                warm.rerun()
                warm.close()
            scenario = ClassScenario(url, store, n, timeout_s)
            out = scenario.run()
        finally:
            stop_server(proc)
            logs = "".join(p.read_text(errors="replace") for p in folder.glob("*.log"))
    shutil.rmtree(folder, ignore_errors=True)
    by_step, reruns = out["lags"], scenario.latencies + scenario.lecturer_latencies
    lags = [lag for step_lags in by_step.values() for lag in step_lags]
    playing = [lag for step, step_lags in by_step.items() if step > len(MOVES)
               for lag in step_lags]
    within = sum(lag < 2.0 for lag in lags) / max(1, len(lags) + out["missed"])
    moves = [m for how in scenario.moves.values() for m in how]
    reruns += moves
    p95_rerun = percentile(reruns, 95) if reruns else float("nan")
    p95_lecturer = (percentile(scenario.lecturer_latencies, 95)
                    if scenario.lecturer_latencies else float("nan"))
    exact = sum(out["tally"]) == n and out["answered"] == n
    ok = (within >= 0.95 and p95_rerun < 1.0 and exact and p95_lecturer < 1.0
          and not scenario.errors)
    move_times = ", ".join(f"{how} {1000 * sum(t) / len(t):.0f} ms"
                           for how, t in scenario.moves.items() if t)
    lines = [
        f"class ({backend} store): {n} followers + 1 lecturer, {workers} workers; "
        f"{out['joined']} seen following",
        _lag_line(f"follow lag over {len(by_step)} steps ({len(MOVES)} moves, {PLAY_STEPS} "
                  "playing)", lags) + f", {100 * within:.1f}% within 2 s, "
        f"{out['missed']} never shown",
        _lag_line("  of which while playing", playing),
        f"reruns: {len(reruns)}, p50 {percentile(reruns, 50) if reruns else float('nan'):.2f} s,"
        f" p95 {p95_rerun:.2f} s; lecturer's histogram polls p95 {p95_lecturer:.2f} s; "
        f"lecturer's moves, mean run: {move_times}",
        f"answers: {out['answered']} sessions answered twice each; store tally {out['tally']} "
        f"(sum {sum(out['tally'])}, want {n}); lecturer's last histogram {out['histogram']}",
        f"errors: {len(scenario.errors)} {scenario.errors[:3]}",
        *([f"server log (last lines): {logs[-1500:]}"] if scenario.errors else []),
        "goal met" if ok else "goal missed",
    ]
    return ok, "\n".join(lines)
