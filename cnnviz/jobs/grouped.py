"""Trainings shared between sessions: identical requests once, distinct ones batched.

A TrainingJob whose model is fresh (built from its architecture and seed) queues with a
:class:`~cnnviz.jobs.training_queue.Request`. Its keys say what it may share: ``group`` (same
architecture, data and hyperparameters except seed and learning rate: trainable together by
cnnviz.lenet.batched) and ``exact`` (everything, seed included: the same run). The queue
decides the roles; this module plays them:

- :func:`lead`: the job that got the slot trains its own request and the claimed ones in one
  training process (one model per distinct request, batched steps) and publishes each one's
  points and final weights to its stream in the queue's database;
- :func:`follow`: every other job reads its stream, from the first point on, into its own
  history, and loads its own weights at the end, whichever server process it lives in.
"""

from __future__ import annotations

import io
import pickle

import torch

from cnnviz.jobs.training_queue import Request
from cnnviz.lenet.batched import shared_part
from cnnviz.lenet.train import fingerprint

FOLLOW_POLL_S = 0.1  # how often a follower reads its stream


def data_key(train_set, test_set) -> str:
    """A fingerprint of the training and test images and labels."""
    tensors = [train_set.images, train_set.labels]
    if test_set is not None:
        tensors += [test_set.images, test_set.labels]
    return fingerprint(*tensors)


def request_for(job, data: str | None = None) -> Request:
    """The queue request of ``job`` (its ``architecture`` set): keys and the pickled request."""
    data = data or data_key(job.train_set, job.test_set)
    group = fingerprint(job.architecture, data, shared_part(job.config))
    exact = fingerprint(job.architecture, data, job.config)
    return Request(group, exact, pickle.dumps((job.architecture, job.config)))


def _weights(model_state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(model_state, buffer)
    return buffer.getvalue()


def lead(job, members: list[tuple[int, bytes]]) -> None:
    """Train every distinct request of the group in one process; publish each one's stream.

    ``members`` comes from TrainingJob.gate.members: (stream, request), this job's first.
    """
    gate = job.gate
    streams = [stream for stream, _ in members]
    configs = [pickle.loads(blob)[1] for _, blob in members]
    payload = pickle.dumps(("together", job.architecture, job.train_set, job.test_set, configs),
                           protocol=pickle.HIGHEST_PROTOCOL)
    conn = job._spawn(payload)
    try:
        while True:
            if not conn.poll(0.2):
                continue
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):
                job._process.join(5)
                from cnnviz.jobs.training import WorkerDied  # noqa: PLC0415 - imports us

                error = WorkerDied(job._process.exitcode)
                for stream in streams:
                    gate.publish(stream, "failed", str(error).encode())
                raise error from None
            if kind == "points":
                for stream, metrics in zip(streams, pickle.loads(value), strict=True):
                    data = pickle.dumps(metrics, protocol=pickle.HIGHEST_PROTOCOL)
                    gate.publish(stream, "metrics", data)
                    if stream == streams[0]:
                        job._add_point(metrics)
            elif kind == "failed":
                for stream in streams:
                    gate.publish(stream, "failed", value.encode())
                job._set("failed", f"Training failed: {value}")
                return
            else:  # done | stopped: every model's weights
                states = pickle.loads(value)
                for stream, state in zip(streams, states, strict=True):
                    gate.publish(stream, kind, _weights(state))
                job.model.load_state_dict(states[0])
                job._set(kind)
                return
    finally:
        conn.close()


def follow(job, leader: int, stream: int) -> None:
    """Watch ``stream`` (trained by ``leader``'s process) into ``job`` until its end.

    Stopping a follower stops only its watching: its model keeps the initial weights.
    """
    gate, after = job.gate, 0
    while not job._stop.is_set():
        messages = gate.read(stream, after)
        if not messages and not gate.holds(leader):
            messages = gate.read(stream, after)  # the leader may have ended meanwhile
            if not messages:
                job._set("failed", "Training failed: the shared training process stopped "
                         "before it finished; press Train to try again.")
                return
        for after, kind, value in messages:  # noqa: B007 - the next read starts after it
            if kind == "metrics":
                job._add_point(pickle.loads(value))
            elif kind == "failed":
                job._set("failed", f"Training failed: {value.decode()}")
                return
            else:  # done | stopped
                state = torch.load(io.BytesIO(value), map_location="cpu", weights_only=True)
                job.model.load_state_dict(state)
                job._set(kind)
                return
        job._stop.wait(FOLLOW_POLL_S)
    job._set("stopped")

