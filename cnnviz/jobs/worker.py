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
# ("paused", None), ("checkpoint", bytes of cnnviz.lenet.checkpoint), ("done" | "stopped",
# state_dict saved with torch.save, as bytes), ("failed", text). Server to worker: the payload
# (bytes), then ("stop" | "go" | "checkpoint", bool): "checkpoint" asks for one after the next
# point (a student leaves a shared run: cnnviz.jobs.grouped).
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


def train_worker(payload: bytes, conn, stop, go, server_alive, wanted=None) -> None:
    """Train the pickled (model, train_set, test_set, config, start); report over ``conn``.

    ``stop`` and ``go`` are Events: ``stop`` ends the run after the current point, a cleared
    ``go`` makes the worker say "paused" and wait until the server sets it. ``server_alive()``
    tells a paused worker whether anyone is left to resume it. A set ``wanted`` Event asks for
    a checkpoint after the next point. ``start``: a Checkpoint to go on from, or None. The
    caller has lowered this process's priority.
    """
    import threading

    try:
        _train(payload, conn, stop, go, server_alive, wanted or threading.Event())
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
    wanted = threading.Event()
    go.set()
    events = {"stop": stop, "go": go, "checkpoint": wanted}

    def follow_server() -> None:
        try:
            while True:
                name, on = conn.recv()
                events[name].set() if on else events[name].clear()
        except (EOFError, OSError, TypeError):  # TypeError: the run closed conn meanwhile
            gone.set()
            stop.set()
            go.set()
            time.sleep(ORPHAN_EXIT_S)
            os._exit(1)  # the run did not end in time; nobody reads its weights any more

    threading.Thread(target=follow_server, name="control", daemon=True).start()
    train_worker(payload, conn, stop, go, server_alive=lambda: not gone.is_set(), wanted=wanted)


def _train(payload: bytes, conn, stop, go, server_alive, wanted) -> None:
    """The body of train_worker: unpickle, drain the generator, send the weights at the end."""
    import io
    import pickle

    import torch

    from cnnviz.device import configure_threads
    from cnnviz.jobs.pacing import Pacer, pressure_reader
    from cnnviz.lenet import checkpoint
    from cnnviz.lenet.train import make_optimizer, train_lenet

    configure_threads()
    request = pickle.loads(payload)
    del payload
    if request[0] == "together":
        return _train_together(*request[1:], conn, stop, wanted)
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
            if wanted.is_set():
                wanted.clear()
                conn.send(("checkpoint", checkpoint.to_bytes(
                    checkpoint.take(metrics.step, model, optimizer))))
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


def _train_together(architecture, train_set, test_set, configs, conn, stop, wanted) -> None:
    """Train one model per config in batched steps (cnnviz.lenet.batched).

    Messages: ("points", pickled list of Metrics), ("checkpoint", pickled list of checkpoint
    bytes) when ``wanted``, then ("done" | "stopped", pickled list of state dicts), one per
    config, in order. A group does not pause: a member who pauses goes on alone from its
    checkpoint (cnnviz.jobs.grouped).
    """
    import pickle
    from dataclasses import replace

    from cnnviz.lenet import checkpoint
    from cnnviz.lenet.batched import TrainTogether
    from cnnviz.lenet.train import take_snapshot

    together = TrainTogether(architecture, train_set, test_set, configs)
    watch = None if test_set is None or not len(test_set) else [
        min(c.watch_index, len(test_set) - 1) for c in configs]
    ending = "done"
    for points in together.run():
        if watch is not None:  # what each model has learned so far, as a single run shows it
            points = [replace(m, snapshot=take_snapshot(together.model(i),
                                                        test_set.images[watch[i]], watch[i]))
                      for i, m in enumerate(points)]
        conn.send(("points", pickle.dumps(points, protocol=pickle.HIGHEST_PROTOCOL)))
        if wanted.is_set():
            wanted.clear()
            conn.send(("checkpoint", pickle.dumps([checkpoint.to_bytes(together.checkpoint(i))
                                                   for i in range(len(configs))])))
        if stop.is_set():
            ending = "stopped"
            break
    states = [together.model(i).state_dict() for i in range(len(configs))]
    conn.send((ending, pickle.dumps(states, protocol=pickle.HIGHEST_PROTOCOL)))


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
