"""Trainings shared between sessions: identical requests once, distinct ones batched.

A TrainingJob whose model is fresh (built from its architecture and seed) queues with a
:class:`~cnnviz.jobs.training_queue.Request`. Its keys say what it may share: ``group`` (same
architecture, data, optimizer and batch size; seed, learning rate and steps may differ:
trainable together by cnnviz.lenet.batched) and ``exact`` (everything, seed included: the
same run). The queue decides the roles; this module plays them:

- :func:`lead`: the job that got the slot trains its own request and the claimed ones in one
  training process (one model per distinct request, batched steps) and publishes each one's
  points and final weights to its stream in the queue's database. Requests of its group that
  queue while it runs join it between two steps (within TICK_S), each at its own step 0, and
  each ends at its own last step: a student who presses Train a few seconds after the others
  sees a first point within about a second, not after the others' run;
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

FOLLOW_POLL_S = 0.2  # how often a follower reads its stream (the panel redraws every 0.25 s+)
TICK_S = 0.2  # how often a leader takes in newcomers, looks for asks and for who left
ANSWER_TIMEOUT_S = 30.0  # a member that asked gives up waiting for its checkpoint after this


class Sharing:
    """A leader's duties in a batched run: take in newcomers, answer asks, drop who left.

    ``own``: the leader's own stream. Call :meth:`tick` often, :meth:`answer` with each set of
    checkpoints the training process sends, and :meth:`finished` when a member's run ends.
    ``active``: the streams the training process trains now.
    """

    def __init__(self, job, process, own: int, active: list[int]):
        self.job, self.process, self.own = job, process, own
        self.active = set(active)
        self.after, self.pending, self.own_asked = 0, set(), False
        self.detached = self.stop_sent = False  # the own student left or ended / run told to end
        self._due = 0.0

    def tick(self) -> None:
        """At most every TICK_S: drop streams nobody watches, take newcomers, forward asks."""
        now = time.monotonic()
        if now < self._due or self.stop_sent:
            return
        self._due = now + TICK_S
        job, gate = self.job, self.job.gate
        followed = gate.followed(job)
        job._shared = bool(followed) or len(self.active) > 1
        watched = followed | ({self.own} if not self.detached else set())
        for stream in sorted(self.active - watched):  # left (Stop, Pause, a closed tab)
            self.active.discard(stream)
            self.pending.discard(stream)
            self.process.signal("drop", stream)
        new = gate.claim(job)
        if new:
            self.active.update(stream for stream, _ in new)
            self.process.signal("join", pickle.dumps(
                [(stream, pickle.loads(blob)[1]) for stream, blob in new],
                protocol=pickle.HIGHEST_PROTOCOL))
        want = set()
        asks = gate.asked(sorted(self.active), self.after)
        if asks:
            self.after = asks[-1][0]
            self.pending.update(stream for _, stream in asks)
            want |= self.pending
        if not self.detached and job.leaving():
            if not self.own_asked:
                self.own_asked = True
                want.add(self.own)
        elif not job.leaving():
            self.own_asked = False  # resumed before the checkpoint came: it stays in the run
        if want:
            self.process.signal("want", sorted(want))
        if not self.active:  # everyone has finished or left
            self.stop_sent = True
            self.process.signal("stop", True)

    def answer(self, parts: dict[int, bytes]) -> None:
        """Checkpoints by stream: publish the asked ones; the own one lets the student leave."""
        for stream, part in parts.items():
            if stream in self.pending:
                self.job.gate.publish(stream, "checkpoint", part)
                self.pending.discard(stream)
        if self.own in parts and self.own_asked and not self.detached and self.job.leaving():
            self.detached = True
            self.job.gate.close_stream(self.job)  # no newcomer may follow a stream left early
            self.job.leave_with(checkpoint.from_bytes(parts[self.own]))
        self.own_asked = False

    def finished(self, stream: int, kind: str, state: dict) -> None:
        """``stream``'s run ended (``kind`` done or stopped) with these weights."""
        self.active.discard(stream)
        self.pending.discard(stream)
        self.job.gate.publish(stream, kind, _weights(state))
        if stream == self.own and not self.detached:
            self.detached = True
            self.job.model.load_state_dict(state)
            self.job._set(kind)


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
    """Train this job's request and those of its group that queue meanwhile, in one process.

    Batched steps, until every member has finished or left; each stream is published.
    ``members`` comes from TrainingJob.gate.members: (stream, request), this job's first.
    """
    gate = job.gate
    first = [(stream, pickle.loads(blob)[1]) for stream, blob in members]
    payload = pickle.dumps(("together", job.architecture, job.train_set, job.test_set, first),
                           protocol=pickle.HIGHEST_PROTOCOL)
    conn = job._spawn(payload)
    sharing = Sharing(job, job._process, first[0][0], [stream for stream, _ in first])
    try:
        while True:
            sharing.tick()
            if not conn.poll(0.05):
                continue
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):
                job._process.join(5)
                error = WorkerDied(job._process.exitcode)
                for stream in sharing.active:
                    gate.publish(stream, "failed", str(error).encode())
                raise error from None
            if kind == "points":
                for stream, metrics in pickle.loads(value):
                    if stream not in sharing.active:
                        continue  # it left; the process had not heard yet
                    gate.publish(stream, "metrics",
                                 pickle.dumps(metrics, protocol=pickle.HIGHEST_PROTOCOL))
                    if stream == sharing.own and not sharing.detached:
                        job._add_point(metrics)
            elif kind == "checkpoint":
                sharing.answer(pickle.loads(value))
            elif kind == "finished":
                stream, state = pickle.loads(value)
                if stream in sharing.active:
                    sharing.finished(stream, "done", state)
            elif kind == "failed":
                for stream in sharing.active:
                    gate.publish(stream, "failed", value.encode())
                if not sharing.detached:
                    job._set("failed", f"Training failed: {value}")
                return
            else:  # stopped: the weights of those still in the run
                for stream, state in pickle.loads(value).items():
                    if stream in sharing.active:
                        sharing.finished(stream, "stopped", state)
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

