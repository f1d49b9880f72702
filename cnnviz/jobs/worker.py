"""The training worker process: runs train_lenet and sends its metrics to the server process.

It is either forked by cnnviz.serving.zygote or started as ``python -m cnnviz.jobs.worker --fd N``;
either way one socket to the server carries everything (see :func:`train_over_socket`).
"""

from __future__ import annotations

import os

# torch and cnnviz.lenet.train are imported after the priority is lowered, so that even the
# worker's start-up (importing torch, about 2 s of CPU) yields to page reruns. A worker started
# ahead (cnnviz.jobs.pool) imports them while it waits for its payload.

# Messages on the socket, worker to server: ("pid", int) first, then ("metrics", pickled Metrics),
# ("paused", None), ("done" | "stopped", state_dict saved with torch.save, as bytes), ("failed",
# text). Server to worker: the payload (bytes), then ("stop" | "go", bool). A batched run
# (payload "together") has messages of its own: see _train_together.
NICENESS = 10  # how much lower the worker's priority is than the server's
# Once the server's end of the socket closes, a run stops after its current step; a trainer
# still alive this many seconds later (a long evaluation) exits by itself.
ORPHAN_EXIT_S = 10.0


def lower_priority(increment: int = NICENESS) -> None:
    """Make this process nicer to the interactive server (no-op where os.nice is missing).

    On Linux it also takes the SCHED_IDLE policy: it runs only on CPU time that no page rerun
    wants, so a busy lecture hall stalls the training rather than the pages.
    """
    try:
        os.nice(increment)
    except (AttributeError, OSError):
        pass
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass


def train_worker(payload: bytes, conn, stop, go, server_alive, control=None) -> None:
    """Train the pickled (model, train_set, test_set, config, start); report over ``conn``.

    ``stop`` and ``go`` are Events: ``stop`` ends the run after the current point, a cleared
    ``go`` makes the worker say "paused" and wait until the server sets it. ``server_alive()``
    tells a paused worker whether anyone is left to resume it. ``start``: a Checkpoint to go on
    from, or None.
    ``control``: a queue of the server's other messages (members joining a batched run). The
    caller has lowered this process's priority.
    """
    import queue

    try:
        _train(payload, conn, stop, go, server_alive, control or queue.Queue())
    except (BrokenPipeError, ConnectionError, EOFError):
        return  # the server went away: nobody is left to report to
    except Exception as exc:  # reported to the page as a message, never as a traceback
        try:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        except (BrokenPipeError, ConnectionError):
            pass
    finally:
        conn.close()


def train_over_socket(sock, announce_ready: bool = False) -> None:
    """A worker (forked by the zygote, or started with --fd): ``sock`` carries everything.

    It first sends ("pid", its pid), then receives the payload as bytes; after that the server
    sends (name, on) pairs for the ``stop`` and ``go`` events and this worker sends what
    train_worker sends. End of stream from the server stops the run, and the process exits at
    the latest ORPHAN_EXIT_S later: that is how a server stops a trainer it did not start.
    """
    import queue
    import threading
    import time
    from multiprocessing.connection import Connection

    conn = Connection(sock.detach())
    conn.send(("pid", os.getpid()))
    lower_priority()
    import cnnviz.jobs.pacing  # noqa: F401 - imported while waiting, so a payload trains at once
    import cnnviz.lenet.train  # noqa: F401
    try:
        if announce_ready:  # a pool (cnnviz.jobs.pool) waits for this before offering it
            conn.send(("ready", None))
        payload = conn.recv_bytes()
    except (EOFError, OSError):
        return  # a worker started ahead that nobody needed: the server has gone

    stop, go, gone = threading.Event(), threading.Event(), threading.Event()
    go.set()
    events = {"stop": stop, "go": go}
    control = queue.Queue()  # ("join" | "drop" | "want", value) for a batched run

    def follow_server() -> None:
        try:
            while True:
                name, on = conn.recv()
                if name in events:
                    events[name].set() if on else events[name].clear()
                else:
                    control.put((name, on))
        except (EOFError, OSError, TypeError):  # TypeError: the run closed conn meanwhile
            gone.set()
            stop.set()
            go.set()
            time.sleep(ORPHAN_EXIT_S)
            os._exit(1)  # the run did not end in time; nobody reads its weights any more

    threading.Thread(target=follow_server, name="control", daemon=True).start()
    train_worker(payload, conn, stop, go, server_alive=lambda: not gone.is_set(), control=control)


def _train(payload: bytes, conn, stop, go, server_alive, control) -> None:
    """The body of train_worker: unpickle, drain the generator, send the weights at the end."""
    import io
    import pickle

    import torch

    from cnnviz.device import configure_threads
    from cnnviz.jobs.pacing import Pacer, pressure_reader
    from cnnviz.lenet.train import make_optimizer, train_lenet

    configure_threads()
    request = pickle.loads(payload)
    del payload
    if request[0] == "together":
        return _train_together(*request[1:], conn, stop, control, server_alive)
    model, train_set, test_set, config, start = request
    ending = "done"
    pace = Pacer(pressure=pressure_reader())  # a busy server slows the training, not pages
    optimizer = make_optimizer(model, config)
    run = train_lenet(model, train_set, test_set, config, optimizer, start)
    interval = None  # seconds of training per point; shorter while paced, to stay live
    try:
        while (metrics := next_point(run, interval)) is not None:
            # Plain pickle: a snapshot's tensors travel by value, not as shared-memory handles.
            conn.send(("metrics", pickle.dumps(metrics, protocol=pickle.HIGHEST_PROTOCOL)))
            # Paced, a point costs its training time / duty of wall time: train for duty x the
            # interval, so the page still gets a point every report_every_s.
            interval = config.report_every_s * (pace.duty if pace() else 1.0)
            if not go.is_set() and not stop.is_set():
                conn.send(("paused", None))
                while not go.wait(0.5):
                    if not server_alive():
                        return  # the server died while this run was paused
            if stop.is_set():
                ending = "stopped"
                break
    finally:
        run.close()  # the generator restores the model's plain memory layout
    buffer = io.BytesIO()
    torch.save(model.cpu().state_dict(), buffer)
    conn.send((ending, buffer.getvalue()))


def _train_together(architecture, train_set, test_set, members, conn, stop, control,
                    server_alive) -> None:
    """Train one model per member in batched steps (cnnviz.lenet.batched).

    Members come and go between steps.
    ``members``: the first (key, config) pairs. ``control`` (a queue) brings ("join", pickled
    list of (key, config)), ("drop", key) and ("want", list of keys: send their checkpoints
    after their next point). Messages: ("points", pickled list of (key, Metrics)),
    ("checkpoint", pickled dict key -> checkpoint bytes), ("finished", pickled (key, state
    dict)) for each member at its end; once ``stop`` is set, ("stopped", pickled dict key ->
    state dict) of those left, and the process ends. A member does not pause: a student who
    pauses goes on alone from a checkpoint (cnnviz.jobs.grouped).
    """
    import pickle
    import queue
    import time
    from dataclasses import replace

    from cnnviz.lenet import checkpoint
    from cnnviz.lenet.batched import TrainTogether
    from cnnviz.lenet.train import take_snapshot

    together = TrainTogether(architecture, train_set, test_set)
    configs, wanted, pictured = {}, set(), {}  # pictured: when each member's snapshot was taken

    def join(pairs) -> None:
        for key, config in pairs:
            configs[key] = config
            together.add(key, config)

    def forget(key) -> None:  # it finished or left
        together.remove(key)
        configs.pop(key, None)
        wanted.discard(key)
        pictured.pop(key, None)

    def send(kind, value) -> None:
        conn.send((kind, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))

    join(members)
    while True:
        while True:  # what the server asked for since the last step
            try:
                name, value = control.get(timeout=0.05) if not together.keys and \
                    not stop.is_set() else control.get_nowait()
            except queue.Empty:
                break
            if name == "join":
                join(pickle.loads(value))
            elif name == "drop":
                forget(value)
            elif name == "want":
                wanted.update(k for k in value if k in configs)
        if stop.is_set():
            send("stopped", {k: together.model(k).state_dict() for k in together.keys})
            return
        if not together.keys:
            if not server_alive():
                return
            continue
        together.point_every_s = point_every(configs[together.keys[0]].report_every_s,
                                             len(together.keys))
        points = together.step()
        if not points:
            continue
        now, pictures = time.monotonic(), snapshot_every(len(together.keys))
        out, finished = [], [k for k, m in points.items() if m.step == m.steps_total]
        for key, metrics in points.items():
            if test_set is not None and len(test_set) and (
                    key in finished or now - pictured.get(key, -1e9) >= pictures):
                # What the model has learned so far, as a single run shows it; with many
                # members less often, as every student's page draws its own.
                pictured[key] = now
                watch = min(configs[key].watch_index, len(test_set) - 1)
                metrics = replace(metrics, snapshot=take_snapshot(
                    together.model(key), test_set.images[watch], watch))
            out.append((key, metrics))
        send("points", out)
        asked = wanted & points.keys()
        if asked:
            wanted -= asked
            send("checkpoint", {k: checkpoint.to_bytes(together.checkpoint(k)) for k in asked})
        for key in finished:
            send("finished", (key, together.model(key).state_dict()))
            forget(key)


def point_every(report_every_s: float, members: int) -> float:
    """Seconds between live points of a batched run of ``members`` models.

    Up to 8 models every report_every_s; more, proportionally less often (up to 1 s): each
    point of each model is written to the queue's database and read by its student's page,
    whose live panel redraws less often anyway while many watch (ui.lenet_train).
    """
    return max(report_every_s, min(1.0, report_every_s * members / 8))


def snapshot_every(members: int) -> float:
    """Seconds between a member's live kernels and feature maps.

    Every point for a few members, once a second for more: each watching page redraws four
    figures per snapshot.
    """
    return 0.0 if members <= 4 else 1.0


def next_point(run, interval: float | None):
    """The next Metrics (``interval``: seconds of training until the one after); None at the end."""
    try:
        return next(run) if interval is None else run.send(interval)
    except StopIteration:
        return None


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnviz.jobs.worker --fd N``: train over the inherited socket N."""
    import argparse
    import socket

    parser = argparse.ArgumentParser(description="LeNet training worker (started by the app)")
    parser.add_argument("--fd", type=int, required=True, help="connected socket to the server")
    parser.add_argument("--ready", action="store_true",
                        help='send ("ready", None) once torch is imported (a warm pool)')
    args = parser.parse_args(argv)
    train_over_socket(socket.socket(fileno=args.fd), announce_ready=args.ready)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
