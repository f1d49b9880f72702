"""The server's one training queue: slots and first-come order in SQLite, shared by all workers.

Every Streamlit worker of one ``python -m cnnviz.serve`` opens the same database file (named by
$CNNVIZ_TRAINING_DB, which the launcher sets: cnnviz.config; WAL mode, readers never wait).
A row is one training that waits or runs; its ticket number is its place in line, so a student
sees the same position whichever worker holds their session, and a free slot goes to the oldest
ticket. Each process beats its heartbeat every few seconds; rows of a process that stopped
beating (a worker that was killed or restarted) are removed, so its slots come back. A single
process without the launcher keeps the queue in memory.

The API, for the page and for schedulers::

    gate = training_gate()            # this server's queue ($CNNVIZ_MAX_TRAININGS slots)
    gate.acquire(owner, cancelled)    # wait in line; True once running, False if cancelled
    gate.position(owner)              # 1-based place in line, None when not waiting
    gate.release(owner)               # leave the line or give the slot back
    gate.running(), gate.waiting()    # server-wide counts

Grouping (cnnviz.jobs.grouped): a ticket may carry a :class:`Request` (keys and a pickled
request). The ticket that gets a slot leads: it claims the waiting tickets whose ``group`` key
matches (trained together in batched steps by one process; they take no slot of their own),
at the start and every few tenths of a second while it runs (:meth:`TrainingGate.claim`,
spread evenly over the leaders of a group), and a ticket whose ``exact`` key matches one that
runs joins it at once (one computation).
Every distinct request of a group has a stream of messages in the database (``publish`` /
``read``), so a session on any worker watches its own model being trained.

``owner`` is any object; one object holds at most one ticket at a time.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from typing import NamedTuple

from cnnviz import config

# A process whose heartbeat is older than this is gone; a waiting worker polls every POLL_S.
STALE_AFTER_S = 10.0
POLL_S = 0.2
MAX_GROUP = 32  # distinct requests one process trains together


class Request(NamedTuple):
    """What may be shared: ``group`` (trainable together), ``exact`` (identical), the request."""

    group: str
    exact: str
    blob: bytes

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    ticket INTEGER PRIMARY KEY AUTOINCREMENT,  -- the place in line: older runs first
    process TEXT NOT NULL,                     -- which process holds it (see beats)
    running INTEGER NOT NULL DEFAULT 0,
    grp TEXT, exact TEXT, request BLOB,        -- a groupable request (NULL: trains alone)
    leader INTEGER,                            -- the ticket whose process trains this one
    stream INTEGER                             -- whose messages it reads (identical: shared)
);
CREATE TABLE IF NOT EXISTS beats (process TEXT PRIMARY KEY, seen REAL NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    id INTEGER PRIMARY KEY AUTOINCREMENT, stream INTEGER NOT NULL, kind TEXT NOT NULL,
    value BLOB
);
-- Every watching session reads its stream's new messages several times a second (FOLLOW_POLL_S
-- in cnnviz.jobs.grouped): without this a class's 30 readers each scanned all messages of all
-- streams (thousands) on every read.
CREATE INDEX IF NOT EXISTS points_by_stream ON points (stream, id);
"""


class TrainingGate:
    """At most ``slots`` trainings run at once, server-wide; the others wait first come first.

    ``db_path`` None keeps the queue in this process's memory (one server process, tests).
    """

    def __init__(self, slots: int, db_path: str | None = None,
                 stale_after_s: float = STALE_AFTER_S):
        self.slots, self.db_path, self.stale_after_s = max(1, slots), db_path, stale_after_s
        self.process = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._db = sqlite3.connect(db_path or ":memory:", timeout=30, isolation_level=None,
                                   check_same_thread=False)
        self._lock = threading.Lock()  # one connection, many threads
        self._changed = threading.Condition()  # wakes this process's waiters at once
        self._tickets: dict[int, int] = {}  # id(owner) -> ticket
        self._beating: threading.Thread | None = None
        with self._lock:
            if db_path:
                self._db.execute("PRAGMA journal_mode=WAL")
                # In WAL mode a commit then waits for no fsync (a crash of the machine may lose
                # the last messages; the queue is rebuilt on restart anyway). 30 waiting tickets
                # poll a write transaction 5 times a second each.
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._beat()

    def _beat(self) -> None:
        """Record that this process lives; remove the tickets of processes that stopped."""
        now = time.time()
        self._db.execute("INSERT INTO beats VALUES (?, ?) ON CONFLICT(process) DO UPDATE "
                         "SET seen = excluded.seen", (self.process, now))
        stale = now - self.stale_after_s
        self._db.execute("DELETE FROM tickets WHERE process NOT IN "
                         "(SELECT process FROM beats WHERE seen >= ?)", (stale,))
        self._db.execute("DELETE FROM beats WHERE seen < ?", (stale,))

    def _drop_unread(self) -> None:
        """Remove the messages of streams that no ticket reads any more."""
        self._db.execute("DELETE FROM points WHERE stream NOT IN "
                         "(SELECT stream FROM tickets WHERE stream IS NOT NULL)")

    def _keep_beating(self) -> None:
        """Heartbeat while this process holds tickets (a daemon thread)."""
        while True:
            time.sleep(self.stale_after_s / 4)
            with self._lock:
                if not self._tickets:
                    self._beating = None
                    return
                self._beat()
                self._drop_unread()  # a scan of the messages: here, not on every waiter's poll

    def acquire(self, owner: object, cancelled: threading.Event,
                request: Request | None = None) -> bool:
        """Block until ``owner`` may run; False when ``cancelled`` is set while waiting.

        Running may mean being trained by another ticket's process: see :meth:`role`.
        """
        with self._lock:
            self._beat()  # a fresh heartbeat first, so that no one takes the ticket as stale
            group, exact, blob = request if request is not None else (None, None, None)
            ticket = self._db.execute(
                "INSERT INTO tickets (process, grp, exact, request) VALUES (?, ?, ?, ?)",
                (self.process, group, exact, blob)).lastrowid
            self._tickets[id(owner)] = ticket
            if self._beating is None:
                self._beating = threading.Thread(target=self._keep_beating, daemon=True,
                                                 name="training-queue-beat")
                self._beating.start()
        running = False
        try:
            while not cancelled.is_set():
                if self._try_start(ticket):
                    running = True
                    return True
                with self._changed:
                    self._changed.wait(POLL_S)
            return False
        finally:
            if not running:
                self.release(owner)

    def _try_start(self, ticket: int) -> bool:
        """Mark ``ticket`` running if a slot is free and no older ticket waits for it."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._beat()
                running, ahead = self._db.execute(
                    "SELECT COALESCE(SUM(running = 1 AND leader IS NULL), 0), "
                    "COALESCE(SUM(running = 0 AND ticket < ?), 0) FROM tickets",
                    (ticket,)).fetchone()
                mine = self._db.execute("SELECT running, grp, exact FROM tickets "
                                        "WHERE ticket = ?", (ticket,)).fetchone()
                if mine is None:  # removed as stale (this process stalled): queue again
                    raise RuntimeError("this server process lost its place in the training "
                                       "queue; press Train again")
                go = bool(mine[0]) or self._join(ticket, mine[2])  # claimed, or identical runs
                if not go and ahead < self.slots - running:
                    self._lead(ticket, mine[1], mine[2])
                    go = True
                self._db.execute("COMMIT")
                return go
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _join(self, ticket: int, exact: str | None) -> bool:
        """Follow a running computation of the identical request, if there is one."""
        if exact is None:
            return False
        row = self._db.execute("SELECT COALESCE(leader, ticket), stream FROM tickets WHERE "
                               "exact = ? AND running = 1 AND ticket != ? ORDER BY ticket",
                               (exact, ticket)).fetchone()
        if row is not None:
            self._db.execute("UPDATE tickets SET running = 1, leader = ?, stream = ? "
                             "WHERE ticket = ?", (*row, ticket))
        return row is not None

    def _lead(self, ticket: int, group: str | None, exact: str | None) -> None:
        """Run ``ticket``, training the waiting tickets of its group with it."""
        self._db.execute("UPDATE tickets SET running = 1, stream = ? WHERE ticket = ?",
                         (ticket if group is not None else None, ticket))
        if group is not None:
            self._claim(ticket, group)

    def _claim(self, ticket: int, group: str) -> list[tuple[int, bytes]]:
        """Take waiting tickets of ``group`` into leader ``ticket``'s run; its new streams.

        An identical request follows the stream that trains its twin; a distinct one gets a
        stream (and a model) of its own, up to MAX_GROUP. With several leaders in a group each
        takes a ticket only while it trains no more models than any other, so the class is
        spread over the training processes (one per slot).
        """
        rows = self._db.execute(
            "SELECT COALESCE(leader, ticket), stream, exact FROM tickets WHERE running = 1 AND "
            "grp = ? AND stream IS NOT NULL", (group,)).fetchall()
        streams = {exact: stream for lead, stream, exact in rows if lead == ticket}
        mine = {stream for lead, stream, _ in rows if lead == ticket}
        others: dict[int, set[int]] = {}
        for lead, stream, _ in rows:
            if lead != ticket:
                others.setdefault(lead, set()).add(stream)
        fewest = min((len(v) for v in others.values()), default=MAX_GROUP)
        new = []
        for other, other_exact, blob in self._db.execute(
                "SELECT ticket, exact, request FROM tickets WHERE running = 0 AND grp = ? "
                "ORDER BY ticket", (group,)).fetchall():
            if other_exact not in streams:
                if len(mine) >= min(MAX_GROUP, fewest + 1):
                    continue
                streams[other_exact] = other
                mine.add(other)
                new.append((other, blob))
            self._db.execute("UPDATE tickets SET running = 1, leader = ?, stream = ? "
                             "WHERE ticket = ?", (ticket, streams[other_exact], other))
        return new

    def claim(self, owner: object) -> list[tuple[int, bytes]]:
        """A leader takes the tickets of its group that wait now; its new streams.

        (stream, request) of each new distinct one: cnnviz.jobs.grouped trains them in the
        running process.
        """
        with self._lock:
            ticket = self._tickets.get(id(owner))
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT grp FROM tickets WHERE ticket = ? AND "
                                       "running = 1 AND leader IS NULL", (ticket,)).fetchone()
                new = self._claim(ticket, row[0]) if row is not None and row[0] else []
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return new

    def close_stream(self, owner: object) -> None:
        """A leader's own stream ends early (its student left): no one may join it any more."""
        with self._lock:
            self._db.execute("UPDATE tickets SET exact = NULL WHERE ticket = ?",
                             (self._tickets.get(id(owner)),))

    def followed(self, owner: object) -> set[int]:
        """The streams of a leader's run that other sessions still watch."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT stream FROM tickets WHERE leader = ?",
                                    (self._tickets.get(id(owner)),))
            return {stream for (stream,) in rows}

    def role(self, owner: object) -> tuple[int | None, int | None]:
        """(leader, stream) of a running ``owner``: leader None when it trains itself."""
        with self._lock:
            row = self._db.execute("SELECT leader, stream FROM tickets WHERE ticket = ?",
                                   (self._tickets.get(id(owner)),)).fetchone()
        return (None, None) if row is None else row

    def members(self, owner: object) -> list[tuple[int, bytes]]:
        """(stream, request) of each distinct request a leader trains, its own first."""
        with self._lock:
            ticket = self._tickets.get(id(owner))
            rows = self._db.execute(
                "SELECT stream, request FROM tickets WHERE ticket = ? OR (leader = ? AND "
                "stream = ticket) ORDER BY ticket != ?, ticket", (ticket, ticket, ticket))
            return rows.fetchall()

    def publish(self, stream: int, kind: str, value: bytes | None) -> int:
        """Append one message (a point, the weights, an error) to ``stream``; returns its id."""
        with self._lock:
            return self._db.execute("INSERT INTO points (stream, kind, value) VALUES (?, ?, ?)",
                                    (stream, kind, value)).lastrowid

    def asked(self, streams: list[int], after: int = 0) -> list[tuple[int, int]]:
        """(id, stream) of the "ask" messages in ``streams`` after message id ``after``.

        A session that leaves a shared run asks its stream for a checkpoint (cnnviz.jobs.grouped);
        the process that trains the stream answers there.
        """
        marks = ",".join("?" * len(streams))
        with self._lock:
            return self._db.execute(f"SELECT id, stream FROM points WHERE kind = 'ask' AND "
                                    f"id > ? AND stream IN ({marks}) ORDER BY id",
                                    (after, *streams)).fetchall()

    def followers(self, owner: object) -> int:
        """How many other tickets a leader's process trains or shares (0: it trains alone)."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM tickets WHERE leader = ?",
                                    (self._tickets.get(id(owner)),)).fetchone()[0]

    def read(self, stream: int, after: int = 0) -> list[tuple[int, str, bytes | None]]:
        """The messages of ``stream`` after message id ``after``, oldest first."""
        with self._lock:
            return self._db.execute("SELECT id, kind, value FROM points WHERE stream = ? AND "
                                    "id > ? ORDER BY id", (stream, after)).fetchall()

    def holds(self, ticket: int) -> bool:
        """Whether ``ticket`` (a leader) is still in the queue (its process lives)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM tickets WHERE ticket = ?",
                                    (ticket,)).fetchone() is not None

    def release(self, owner: object) -> None:
        """Give the slot back or leave the line (harmless when ``owner`` holds no ticket)."""
        with self._lock:
            ticket = self._tickets.pop(id(owner), None)
            if ticket is not None:
                self._db.execute("DELETE FROM tickets WHERE ticket = ?", (ticket,))
                self._drop_unread()
        with self._changed:
            self._changed.notify_all()

    def position(self, owner: object) -> int | None:
        """1-based place in the server-wide line, or None when not waiting."""
        with self._lock:
            ticket = self._tickets.get(id(owner))
            if ticket is None:
                return None
            row = self._db.execute(
                "SELECT (SELECT running FROM tickets WHERE ticket = ?), "
                "(SELECT COUNT(*) FROM tickets WHERE running = 0 AND ticket <= ?)",
                (ticket, ticket)).fetchone()
        return None if row[0] is None or row[0] else row[1]

    def running(self) -> int:
        """How many trainings run now, server-wide."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM tickets WHERE running = 1 AND "
                                    "leader IS NULL").fetchone()[0]

    def watched(self) -> int:
        """How many sessions watch a running training now, server-wide (a shared run: each)."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM tickets WHERE running = 1"
                                    ).fetchone()[0]

    def waiting(self) -> int:
        """How many trainings wait for a slot, server-wide."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM tickets WHERE running = 0").fetchone()[0]


_gate: TrainingGate | None = None
_gate_lock = threading.Lock()


def training_gate() -> TrainingGate:
    """The server's queue: $CNNVIZ_MAX_TRAININGS slots (default 1) in $CNNVIZ_TRAINING_DB."""
    global _gate
    with _gate_lock:
        if _gate is None:
            current = config.settings()
            _gate = TrainingGate(current.max_trainings, current.training_db)
        return _gate
