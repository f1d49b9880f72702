"""cnnviz.jobs.training_queue: one first-come line across server processes, in SQLite."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from cnnviz.jobs.training_queue import TrainingGate

# A second server process: queues once, says so, runs when told 'go' (a line on stdin) ends.
OTHER_PROCESS = """
import sys, threading
from cnnviz.jobs.training_queue import TrainingGate
gate = TrainingGate(1, sys.argv[1], stale_after_s=float(sys.argv[2]))
owner = object()
print("running" if gate.acquire(owner, threading.Event()) else "cancelled", flush=True)
sys.stdin.readline()
gate.release(owner)
print("released", flush=True)
"""


def wait_until(condition, timeout=30.0):
    """Poll ``condition`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def other_process(db, stale_after_s=10.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", OTHER_PROCESS, str(db), str(stale_after_s)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def queue_in_thread(gate, owner) -> threading.Thread:
    thread = threading.Thread(target=gate.acquire, args=(owner, threading.Event()), daemon=True)
    thread.start()
    return thread


def test_order_and_positions_hold_across_processes(tmp_path):
    db = tmp_path / "queue.sqlite"
    here = TrainingGate(1, str(db))
    first, third = object(), object()
    assert here.acquire(first, threading.Event())
    other = other_process(db)  # second in line, in another process
    try:
        wait_until(lambda: here.waiting() == 1)
        waiter = queue_in_thread(here, third)
        wait_until(lambda: here.position(third) == 2)  # behind the other process's training
        assert here.running() == 1
        here.release(first)
        assert other.stdout.readline().strip() == "running"  # first come, first served
        assert here.position(third) == 1
        assert waiter.is_alive()
        other.stdin.write("go\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "released"
        waiter.join(10)
        assert not waiter.is_alive()
        assert (here.running(), here.waiting(), here.position(third)) == (1, 0, None)
    finally:
        other.kill()
        other.wait(10)


def test_a_dead_processs_slot_is_reclaimed(tmp_path):
    db = tmp_path / "queue.sqlite"
    other = other_process(db, stale_after_s=1.0)
    try:
        assert other.stdout.readline().strip() == "running"
    finally:
        other.kill()  # the worker dies holding the slot
        other.wait(10)
    here = TrainingGate(1, str(db), stale_after_s=1.0)
    mine = object()
    start = time.monotonic()
    assert here.acquire(mine, threading.Event())
    assert time.monotonic() - start < 10
    assert here.running() == 1


def test_giving_up_leaves_the_line(tmp_path):
    gate = TrainingGate(1, str(tmp_path / "queue.sqlite"))
    holder, waiter = object(), object()
    assert gate.acquire(holder, threading.Event())
    cancelled = threading.Event()
    cancelled.set()
    assert not gate.acquire(waiter, cancelled)
    assert (gate.waiting(), gate.position(waiter)) == (0, None)
    gate.release(holder)
    gate.release(holder)  # twice is harmless
    assert gate.running() == 0


@pytest.mark.parametrize("slots", [1, 2, 3])
def test_slots_limit_running_trainings(slots):
    gate = TrainingGate(slots)
    owners = [object() for _ in range(slots + 1)]
    for owner in owners[:slots]:
        assert gate.acquire(owner, threading.Event())
    late = queue_in_thread(gate, owners[-1])
    wait_until(lambda: gate.position(owners[-1]) == 1)
    assert gate.running() == slots
    gate.release(owners[0])
    late.join(10)
    assert gate.position(owners[-1]) is None
    assert gate.running() == slots


def test_a_session_reads_its_stream_through_an_index(tmp_path):
    gate = TrainingGate(1, str(tmp_path / "queue.sqlite"))
    plan = gate._db.execute("EXPLAIN QUERY PLAN SELECT id, kind, value FROM points WHERE "
                            "stream = ? AND id > ? ORDER BY id", (1, 0)).fetchall()
    assert any("points_by_stream" in row[-1] for row in plan), plan
    first = gate.publish(1, "metrics", b"a")
    gate.publish(2, "metrics", b"b")
    gate.publish(1, "metrics", b"c")
    assert [value for _, _, value in gate.read(1)] == [b"a", b"c"]
    assert [value for _, _, value in gate.read(1, after=first)] == [b"c"]


def test_big_batched_runs_send_fewer_points_and_pictures():
    from cnnviz.jobs.worker import point_every, snapshot_every

    assert [point_every(0.25, k) for k in (1, 8, 16, 30, 64)] == [0.25, 0.25, 0.5, 0.9375, 1.0]
    assert point_every(0, 30) == 0  # a test asking for every step gets every step
    assert [snapshot_every(k) for k in (1, 4, 5, 30)] == [0.0, 0.0, 1.0, 1.0]
