"""Lecture-hall load test: N concurrent sessions rerun one page; p50/p95 latency, errors, memory.

Run with ``make load-test`` or ``.venv/bin/python -m tests.load.lecture_hall --help``. It starts
its own server on 127.0.0.1 and a free port for each N, warms it with one session, then lets N
sessions connect, load the page once, and rerun it ``--reruns`` times each, all at the same time.
Latency is from sending the rerun request to Streamlit's ``script_finished`` message.
``--class`` measures class mode instead (tests/load/class_mode.py): one lecturer, N followers.
``--trainers T``: T of the N sessions press Train on the LeNet page within 10 s while the
others rerun (tests/load/trainers.py): time to the first curve point and to the end;
``--distinct`` gives each trainer its own seed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from cnnviz.catalog import all_pages
from tests.conftest import start_server, stop_server
from tests.load import class_mode
from tests.load.session import BrowserSession, RunFailed
from tests.load.stats import HEADER, LoadSummary, summarize
from tests.load.trainers import Trainers

MAX_SESSIONS = 300  # a bound, so that a typo cannot open thousands of sockets
# Pages by file, since URL paths may change: an animation page (the lecture's common rerun)
# and the page that trains LeNet.
ANIMATION_FILE = "pages/2_cross_correlation.py"
TRAINING_FILE = "pages/7_lenet.py"


def catalog_path(file: str) -> str | None:
    """URL path of the catalog page served from ``file``, or None when there is none."""
    return next((info.url_path for info in all_pages() if info.file == file), None)


def default_page() -> str:
    """The animation page when the catalog has it, else the home page ('')."""
    found = catalog_path(ANIMATION_FILE)
    return found if found is not None else ""


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its living descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:
                pass  # the task ended meanwhile
    return found


def _each_living(pids: list[int], read) -> list:
    values = []
    for pid in pids:
        try:
            values.append(read(pid))
        except (OSError, ValueError, IndexError):
            pass  # ended meanwhile
    return values


def cpu_seconds(pid: int) -> float:
    """CPU time (user plus system, ended children included) of a process and its descendants."""
    def one(p: int) -> float:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return sum(_each_living(process_tree(pid), one))


def memory_bytes(pid: int) -> int:
    """Proportional set size of a process and its descendants together (Linux).

    Shared pages (torch's libraries in every worker) are split between the processes that map
    them, so the sum is the memory the server really takes; RSS would count them once a process.
    """
    def one(p: int) -> int:
        for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
        return 0
    return sum(_each_living(process_tree(pid), one))


class PeakMemory(threading.Thread):
    """Samples the memory of a process tree every 0.2 s and keeps the peak."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self._halt = pid, 0, threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self._halt.wait(0.2):
            self.peak = max(self.peak, memory_bytes(self.pid))

    def stop(self) -> int:
        """Stop sampling; returns the peak in bytes."""
        self._halt.set()
        self.join()
        return max(self.peak, memory_bytes(self.pid))


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Scenario:
    """N sessions rerunning one page, optionally beside one session that trains."""

    def __init__(self, url: str, sessions: int, page: str, reruns: int, think_s: float,
                 run_timeout_s: float, time_limit_s: float):
        self.url, self.n, self.page, self.reruns = url, sessions, page, reruns
        self.think_s, self.run_timeout_s = think_s, run_timeout_s
        self.deadline = time.monotonic() + time_limit_s
        self.latencies: list[float] = []
        self.client_cpu_s = 0.0
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.ready = threading.Barrier(sessions + 1)

    def _error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    def student(self, index: int) -> None:
        """One session: connect, load the page, wait for everyone, then rerun it."""
        rng = random.Random(index)
        session = None
        try:
            session = BrowserSession(self.url, self.page, self.run_timeout_s)
            session.rerun()  # first load, not counted: it includes creating the session
        except Exception as exc:  # noqa: BLE001 - every failure is a measured error
            self._error(f"session {index} setup: {exc!r}")
            session = None
        try:
            self.ready.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        except threading.BrokenBarrierError:
            pass
        if session is None:
            return
        try:
            for done in range(self.reruns):
                if time.monotonic() > self.deadline:
                    self._error(f"session {index}: time limit, {self.reruns - done} reruns left")
                    return
                if self.think_s:
                    time.sleep(rng.uniform(0.5, 1.5) * self.think_s)
                try:
                    latency = session.rerun().seconds
                except RunFailed as exc:
                    self._error(f"session {index}: {exc}")
                    continue
                with self.lock:
                    self.latencies.append(latency)
        except Exception as exc:  # noqa: BLE001 - a dropped socket ends this session
            self._error(f"session {index}: {exc!r}")
        finally:
            session.close()

    def run(self, pid: int) -> LoadSummary:
        """Run all sessions at once; returns the summary."""
        memory = PeakMemory(pid)
        memory.start()
        threads = [threading.Thread(target=self.student, args=(i,), daemon=True)
                   for i in range(self.n)]
        for thread in threads:
            thread.start()
        try:
            self.ready.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        except threading.BrokenBarrierError:
            self._error("not every session connected before the time limit")
        cpu_start = cpu_seconds(pid)  # from here on the server only serves the measured reruns
        own_start = _own_cpu_seconds()
        for thread in threads:
            thread.join(timeout=max(0.0, self.deadline - time.monotonic()) + self.run_timeout_s)
        # The load generator shares the machine's cores with the server: its cost is reported.
        self.client_cpu_s = _own_cpu_seconds() - own_start
        return summarize(self.n, list(self.latencies), len(self.errors), memory.stop(),
                         cpu_seconds(pid) - cpu_start)


class Trainer(threading.Thread):
    """One session that keeps training: presses the train button, waits for the end, again.

    Pages may train inside the script run or in a background job that disables the button while
    it runs; either way a training is over when a rerun shows the button enabled again.
    """

    def __init__(self, url: str, page: str, button: str, timeout_s: float, poll_s: float = 1.0):
        super().__init__(daemon=True)
        self.url, self.page, self.button = url, page, button
        self.timeout_s, self.poll_s = timeout_s, poll_s
        self.started, self.stop = threading.Event(), threading.Event()
        self.durations: list[float] = []
        self.error: str | None = None

    def _find(self, result) -> str:
        label = next((text for text in result.buttons if self.button in text), None)
        if label is None:
            raise RunFailed(f"no button labelled {self.button!r} on {self.page!r}: "
                            f"{sorted(result.buttons)}")
        return label

    def _train_once(self, session: BrowserSession, button_id: str) -> None:
        start = time.perf_counter()
        session.rerun(clicked_button_id=button_id)
        while True:  # a background job shows up as a disabled button from the next run on
            result = session.rerun()
            if self._find(result) not in result.disabled:
                break
            if time.perf_counter() - start > self.timeout_s:
                raise RunFailed(f"training did not end within {self.timeout_s} s")
            time.sleep(self.poll_s)
        self.durations.append(time.perf_counter() - start)

    def run(self) -> None:
        """Load the page, then train again and again until told to stop."""
        session = None
        try:
            session = BrowserSession(self.url, self.page, self.timeout_s)
            first = session.rerun()
            button_id = first.buttons[self._find(first)]
            self.started.set()
            while not self.stop.is_set():
                self._train_once(session, button_id)
        except Exception as exc:  # noqa: BLE001 - reported, never raised into the report
            self.error = repr(exc)
        finally:
            self.started.set()
            if session is not None:
                session.close()

    def report(self) -> str:
        """One line: how many trainings ran and how long they took."""
        if self.error:
            return f"training failed: {self.error}"
        times = ", ".join(f"{t:.1f}" for t in self.durations) or "none finished"
        return f"1 session trained throughout ({len(self.durations)} runs: {times} s)"


def serve(app: str, data_dir: str | None, log_dir: Path, workers: int):
    """A fresh server for ``app`` on 127.0.0.1 and a free port, logging into log_dir."""
    extra = {"CNNVIZ_DATA_DIR": data_dir} if data_dir else {}
    return start_server(log_dir, extra, script=app, workers=workers)


def measure(args: argparse.Namespace, n: int, train: bool) -> tuple[LoadSummary, str]:
    """One scenario on a fresh, warmed server; returns its summary and a note."""
    log_dir = Path(tempfile.mkdtemp(prefix="cnnviz-load-"))
    proc, url = serve(args.app, args.data_dir, log_dir, args.workers)
    note = ""
    try:
        for _ in range(args.workers):  # HAProxy gives each new session the least busy worker
            warm = BrowserSession(url, args.page, args.run_timeout)
            warm.rerun()
            warm.close()
        trainer = trainers = None
        if args.trainers:
            trainers = Trainers(url, args.train_page, args.trainers, args.train_button,
                                args.time_limit, distinct=args.distinct)
            trainers.start()
            n -= args.trainers
        if train:
            trainer = Trainer(url, args.train_page, args.train_button, args.time_limit)
            trainer.start()
            trainer.started.wait(timeout=args.run_timeout)
            n -= 1  # the trainer is one of the N sessions
        scenario = Scenario(url, n, args.page, args.reruns, args.think, args.run_timeout,
                            args.time_limit)
        if trainers is not None:
            trainers.press()
        summary = dataclasses.replace(scenario.run(proc.pid),
                                      sessions=scenario.n + bool(trainer) + args.trainers)
        if trainers is not None:
            memory = PeakMemory(proc.pid)  # the trainings may outlast the other sessions
            memory.start()
            trainers.join()
            summary = dataclasses.replace(summary, peak_memory_mb=max(
                summary.peak_memory_mb, memory.stop() / 2**20))
            note = trainers.report() + ";"
            if not trainers.met():
                summary = dataclasses.replace(summary, errors=summary.errors + 1)
        if trainer is not None:
            trainer.stop.set()
            trainer.join(timeout=args.time_limit)
            note += trainer.report() + ";"
            if trainer.error:
                summary = dataclasses.replace(summary, errors=summary.errors + 1)
        if scenario.latencies:
            note += (f" load generator {1000 * scenario.client_cpu_s / len(scenario.latencies):.1f}"
                     " ms CPU/run;")
        note += f" load average {os.getloadavg()[0]:.1f}"
        if scenario.errors:
            note += f"; first errors: {scenario.errors[:3]}"
        return summary, note
    finally:
        stop_server(proc)
        shutil.rmtree(log_dir, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; every bound has a default."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="50,100,150",
                        help=f"comma-separated N values, each at most {MAX_SESSIONS}")
    parser.add_argument("--reruns", type=int, default=10, help="reruns per session")
    parser.add_argument("--page", default=None,
                        help="URL path of the page under test ('' is home); default: "
                        f"the page of {ANIMATION_FILE} when it exists, else home")
    parser.add_argument("--app", default="app.py",
                        help="script to serve; another one (tests/apps/animation_standin.py) is "
                        "served alone and its page is ''")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause in seconds between a session's reruns (0: back to back)")
    parser.add_argument("--run-timeout", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per scenario")
    parser.add_argument("--train", action="store_true",
                        help="also run each N with one session training LeNet")
    parser.add_argument("--train-page", default=None,
                        help=f"URL path of the training page; default: the page of {TRAINING_FILE}")
    parser.add_argument("--train-button", default="Train", help="label text of the train button")
    parser.add_argument("--trainers", type=int, default=0,
                        help="of the N sessions, this many press Train on the LeNet page within "
                        "10 s while the others rerun (goal: first point <= 5 s, end <= 60 s)")
    parser.add_argument("--distinct", action="store_true",
                        help="with --trainers: each trainer uses its own seed (batched training "
                        "of distinct requests instead of one shared computation)")
    parser.add_argument("--data-dir", default=None, help="CNNVIZ_DATA_DIR for the server")
    parser.add_argument("--workers", type=int, default=2,
                        help="Streamlit processes behind HAProxy (cnnviz.serve; 1: plain "
                        "`streamlit run`); default 2, one per core of the 2-core target server")
    parser.add_argument("--class", dest="class_mode", action="store_true",
                        help="class mode: 1 lecturer steps and asks, N followers follow and "
                        "answer (follow lag, rerun p95, every answer counted once)")
    args = parser.parse_args(argv)
    args.counts = [int(x) for x in args.sessions.split(",") if x.strip()]
    if not args.counts or not all(1 <= n <= MAX_SESSIONS for n in args.counts):
        parser.error(f"--sessions needs values between 1 and {MAX_SESSIONS}")
    if not 1 <= args.workers <= 8:
        parser.error("--workers needs a value between 1 and 8")
    if args.trainers < 0 or any(args.trainers >= n for n in args.counts):
        parser.error("--trainers needs a value from 0 to below every --sessions value")
    if args.page is None:
        args.page = default_page() if args.app == "app.py" else ""
    if args.train_page is None:
        args.train_page = catalog_path(TRAINING_FILE) if args.app == "app.py" else ""
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every scenario and print the report; exit 1 when a goal was missed."""
    args = parse_args(argv)
    if args.class_mode:
        ok = True
        for n in args.counts:
            met, report = class_mode.measure(n, args.workers, args.run_timeout)
            ok = ok and met
            print(report, flush=True)
        return 0 if ok else 1
    pages = {info.url_path for info in all_pages()} if args.app == "app.py" else {""}
    if args.page not in pages:
        print(f"page {args.page!r} is not in cnnviz/catalog.py; pages: {sorted(pages)}")
        return 2
    print(f"app: {args.app}  workers: {args.workers}  page under test: /{args.page}  reruns per "
          f"session: {args.reruns}  think: {args.think} s  goal: p95 < 1 s, 0 errors, memory "
          "< 1536 MB", flush=True)
    scenarios = [(n, False) for n in args.counts]
    if args.train:
        if args.train_page is not None and args.train_page in pages:
            scenarios += [(n, True) for n in args.counts]
        else:
            print(f"skipping the training scenario: training page {args.train_page!r} is not in "
                  f"the catalog (default: the page of {TRAINING_FILE})", flush=True)
    print(f"{'scenario':<10} {HEADER}", flush=True)
    ok = True
    for n, train in scenarios:
        summary, note = measure(args, n, train)
        ok = ok and summary.meets()
        print(f"{'train' if train else 'rerun':<10} {summary.row()}  {note}".rstrip(), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
