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

Every member may leave a shared run: it asks its stream for a checkpoint (an "ask" message),
the leader's :class:`Sharing` has the training process send one after its next point, and the
member takes it (TrainingJob.leave_with): Stop keeps the weights of that moment, Pause goes on
as a run of its own, paused, with the weights, optimizer state and step of that moment. The
others go on; a leader whose own student left keeps training for them until none is left.
"""

from __future__ import annotations

import io
import pickle
import time

import torch

from cnnviz.jobs.trainer_process import WorkerDied
from cnnviz.jobs.training_queue import Request
from cnnviz.lenet import checkpoint
from cnnviz.lenet.batched import shared_part
from cnnviz.lenet.train import fingerprint

FOLLOW_POLL_S = 0.1  # how often a follower reads its stream
TICK_S = 0.2  # how often a leader looks for asks and for its own student leaving
ANSWER_TIMEOUT_S = 30.0  # a member that asked gives up waiting for its checkpoint after this


class Sharing:
    """A leader's duties in a shared run: answer asks, let its own student leave, end it.

    ``streams``: the run's streams, the leader's own first. Call :meth:`tick` often and
    :meth:`answer` with each checkpoint the training process sends (one per stream).
    """

    def __init__(self, job, process, streams: list[int]):
        self.job, self.process, self.streams = job, process, streams
        self.after, self.pending, self.own_asked = 0, set(), False
        self.detached = self.stop_sent = False  # the own student left / the run is told to end
        self._due = 0.0

    def tick(self) -> None:
        """At most every TICK_S: forward asks; let the own student leave; end an unwatched run."""
        now = time.monotonic()
        if now < self._due:
            return
        self._due = now + TICK_S
        job, gate = self.job, self.job.gate
        followers = gate.followers(job)
        job._shared = followers > 0
        asks = gate.asked(self.streams, self.after)
        if asks:
            self.after = asks[-1][0]
            self.pending.update(stream for _, stream in asks)
            self.process.signal("checkpoint", True)
        if self.detached or not job.leaving():
            self.own_asked = False  # resumed before the checkpoint came: it stays in the run
            if self.detached and not followers and not self.stop_sent:
                self._end()  # nobody watches any more
            return
        if followers or len(self.streams) > 1:
            if not self.own_asked:
                self.own_asked = True
                self.process.signal("checkpoint", True)
        elif job._stop.is_set():  # alone in its run: stop or pause the process itself
            if not self.stop_sent:
                self._end()
        elif job._go.is_set():
            with job._control:
                if not job._resume.is_set():
                    job._switch(job._go, "go", False)

    def _end(self) -> None:
        self.stop_sent = True
        self.process.signal("stop", True)
        self.process.signal("go", True)

    def answer(self, parts: list[bytes]) -> None:
        """A checkpoint per stream: publish the asked ones; the own one lets the student leave."""
        for stream, part in zip(self.streams, parts, strict=True):
            if stream in self.pending:
                self.job.gate.publish(stream, "checkpoint", part)
        self.pending.clear()
        if self.own_asked and not self.detached and self.job.leaving():
            self.detached = True
            self.job.leave_with(checkpoint.from_bytes(parts[0]))
        self.own_asked = False


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
    sharing = Sharing(job, job._process, streams)
    try:
        while True:
            sharing.tick()
            if not conn.poll(0.2):
                continue
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):
                job._process.join(5)
                error = WorkerDied(job._process.exitcode)
                for stream in streams:
                    gate.publish(stream, "failed", str(error).encode())
                raise error from None
            if kind == "points":
                for stream, metrics in zip(streams, pickle.loads(value), strict=True):
                    data = pickle.dumps(metrics, protocol=pickle.HIGHEST_PROTOCOL)
                    gate.publish(stream, "metrics", data)
                    if stream == streams[0] and not sharing.detached:
                        job._add_point(metrics)
            elif kind == "checkpoint":
                sharing.answer(pickle.loads(value))
            elif kind == "failed":
                for stream in streams:
                    gate.publish(stream, "failed", value.encode())
                if not sharing.detached:
                    job._set("failed", f"Training failed: {value}")
                return
            else:  # done | stopped: every model's weights
                states = pickle.loads(value)
                for stream, state in zip(streams, states, strict=True):
                    gate.publish(stream, kind, _weights(state))
                if not sharing.detached:
                    job.model.load_state_dict(states[0])
                    job._set(kind)
                return
    finally:
        conn.close()


def follow(job, leader: int, stream: int) -> checkpoint.Checkpoint | None:
    """Watch ``stream`` (trained by ``leader``'s process) into ``job`` until its end.

    Returns the checkpoint that the student's Stop or Pause asked for (None once the run
    ended, or failed, for this job).
    """
    gate, after, asked, since = job.gate, 0, None, 0.0
    while True:
        if job.leaving() and asked is None:
            asked, since = gate.publish(stream, "ask", None), time.monotonic()
        elif not job.leaving():
            asked = None  # resumed before the checkpoint came: it stays in the run
        if asked is not None and time.monotonic() - since > ANSWER_TIMEOUT_S:
            job._set("failed", "The shared training did not hand over its weights in time; "
                     "press Train to try again.")
            return None
        messages = gate.read(stream, after)
        if not messages and not gate.holds(leader):
            messages = gate.read(stream, after)  # the leader may have ended meanwhile
            if not messages:
                job._set("failed", "Training failed: the shared training process stopped "
                         "before it finished; press Train to try again.")
                return None
        for after, kind, value in messages:  # noqa: B007 - the next read starts after it
            if kind == "metrics":
                job._add_point(pickle.loads(value))
            elif kind == "ask":
                continue  # another member's; the leader answers it
            elif kind == "checkpoint":
                if asked is not None and after > asked:
                    return checkpoint.from_bytes(value)
            elif kind == "failed":
                job._set("failed", f"Training failed: {value.decode()}")
                return None
            else:  # done | stopped
                state = torch.load(io.BytesIO(value), map_location="cpu", weights_only=True)
                job.model.load_state_dict(state)
                job._set(kind)
                return None
        time.sleep(FOLLOW_POLL_S)

