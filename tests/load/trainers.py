"""``--trainers N``: N sessions press Train on the LeNet page within the same few seconds.

Each trainer loads the page, waits for the others, presses Train at a random moment of the
``spread_s`` window, then reruns the page's live fragment as the browser does (at the interval
the server gives it) until the run's end shows. Measured per trainer: seconds from the click to the
first curve point (a progress text "step ..."), and to the end ("Last run (...), done: ...").
The other sessions of the scenario rerun their page meanwhile (lecture_hall.Scenario).
``distinct``: trainer i opens the page with seed i in its address, so no two requests are
identical and the server trains them together in batched steps (cnnviz.jobs.grouped) instead of
sharing one computation. Also counted: the live fragment's reruns (how many per second the
server answered, and their latency).
"""

from __future__ import annotations

import random
import threading
import time

from tests.load.session import BrowserSession, RunFailed
from tests.load.stats import percentile

LIVE_EVERY_S = 0.25  # ui/lenet_train.py's fragment interval, until the server names another
ENDED = (", done:", ", stopped:", ", failed:")
GOALS = {"first_max_s": 5.0, "finish_max_s": 60.0}


class Trainers:
    """N training sessions on ``page``; start() them, then join() and report()."""

    def __init__(self, url: str, page: str, n: int, button: str, timeout_s: float,
                 spread_s: float = 10.0, distinct: bool = False):
        self.url, self.page, self.n, self.button = url, page, n, button
        self.distinct = distinct
        self.timeout_s, self.spread_s = timeout_s, spread_s
        self.first: list[float] = []
        self.finish: list[float] = []
        self.errors: list[str] = []
        self.fragment_s: list[float] = []  # latency of each live-fragment rerun
        self.window: list[float] = [0.0, 0.0]  # first click and last end, perf_counter
        self.lock = threading.Lock()
        self.loaded = threading.Barrier(n + 1)
        self.go = threading.Event()
        self.threads = [threading.Thread(target=self._one, args=(i,), daemon=True)
                        for i in range(n)]

    def start(self) -> None:
        """Connect every trainer and load the page (returns once all have, or failed)."""
        for thread in self.threads:
            thread.start()
        try:
            self.loaded.wait(timeout=self.timeout_s)
        except threading.BrokenBarrierError:
            self.errors.append("not every trainer loaded the page in time")

    def press(self) -> None:
        """Let the trainers press Train, each at a random moment of the next spread_s."""
        self.go.set()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=self.spread_s + self.timeout_s + 30)

    def _one(self, index: int) -> None:
        session = None
        try:
            session = BrowserSession(self.url, self.page, self.timeout_s,
                                     query=f"seed={index}" if self.distinct else "")
            first = session.rerun()
            button = next(first.buttons[label] for label in first.buttons
                          if self.button in label)
        except Exception as exc:  # noqa: BLE001 - every failure is a measured error
            with self.lock:
                self.errors.append(f"trainer {index} setup: {exc!r}")
            if session is not None:
                session.close()
            session = None
        try:
            self.loaded.wait(timeout=self.timeout_s)
        except threading.BrokenBarrierError:
            pass
        if session is None:
            return
        try:
            self.go.wait()
            time.sleep(random.Random(index).uniform(0, self.spread_s))
            self._train(session, button)
        except Exception as exc:  # noqa: BLE001
            with self.lock:
                self.errors.append(f"trainer {index}: {exc!r}")
        finally:
            session.close()

    def _train(self, session: BrowserSession, button: str) -> None:
        start = time.perf_counter()
        with self.lock:
            self.window[0] = min(self.window[0] or start, start)
        result = session.rerun(clicked_button_id=button)
        first, fragments = None, []
        # The browser keeps rerunning a fragment at the interval a full run announced for it;
        # a fragment's own reruns announce nothing (Streamlit sends auto_rerun from full runs).
        fragment, every = self._timer(result, "", LIVE_EVERY_S)
        while True:
            elapsed = time.perf_counter() - start
            if first is None and any(text.startswith("step ") for text in result.progress):
                first = elapsed
            if any("Last run (" in text and any(e in text for e in ENDED)
                   for text in result.markdown):
                break
            if elapsed > self.timeout_s:
                last = result.progress[-1] if result.progress else "no progress shown"
                raise RunFailed(f"training did not end within {self.timeout_s} s ({last})")
            time.sleep(every)
            try:
                result = session.rerun(fragment_id=fragment)
                if fragment:
                    fragments.append(result.seconds)
                if result.fragments or not fragment:  # a full run (asked for, or st.rerun)
                    fragment, every = self._timer(result, fragment, every)
            except RunFailed:
                # At the end the fragment asks for a full rerun (st.rerun), whose navigation
                # message this client reads as another page; the next full run is the page's.
                result = session.rerun()
                fragment, every = self._timer(result, fragment, every)
        with self.lock:
            self.first.append(elapsed if first is None else first)
            self.finish.append(time.perf_counter() - start)
            self.fragment_s += fragments
            self.window[1] = max(self.window[1], time.perf_counter())

    @staticmethod
    def _timer(result, fragment: str, every: float) -> tuple[str, float]:
        """After a full run: the fragment to rerun by timer and its interval ("" when none)."""
        if result.fragments:
            return result.fragments[0], result.intervals[0]
        return "", every

    def met(self) -> bool:
        """Whether every trainer finished within the goals."""
        return (not self.errors and len(self.finish) == self.n
                and max(self.first) <= GOALS["first_max_s"]
                and max(self.finish) <= GOALS["finish_max_s"])

    def report(self) -> str:
        """One line of the figures (goal: first point <= 5 s, finish <= 60 s for all)."""
        if not self.finish:
            return f"{self.n} trainers: none finished; errors: {self.errors[:3]}"
        span = max(self.window[1] - self.window[0], 1e-9)
        fragments = (f"; {len(self.fragment_s)} fragment reruns, {len(self.fragment_s) / span:.0f}"
                     f"/s, p50 {percentile(self.fragment_s, 50):.2f} s, p95 "
                     f"{percentile(self.fragment_s, 95):.2f} s" if self.fragment_s else "")
        return (f"{self.n} {'distinct ' if self.distinct else ''}trainers in {self.spread_s:g} s: "
                f"first point max {max(self.first):.1f} s, p95 {percentile(self.first, 95):.1f} s; "
                f"finished {len(self.finish)}/{self.n}, max {max(self.finish):.1f} s{fragments}"
                + (f"; errors: {self.errors[:3]}" if self.errors else ""))
