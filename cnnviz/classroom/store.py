"""A class session in a store every worker shares: the lecturer leads, students follow, answer.

``ClassStore`` holds the rules (codes, the lecturer's secret, expiry, one answer per session,
rate limits); a backend (``SqliteStore``, ``RedisStore``) only stores rows. Every lecturer
action takes the secret, which is stored hashed and compared in constant time, so a student
who knows the code (it is on the projector) can read and answer, never lead.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

from cnnviz.classroom.images import info_from_json, info_json

# Letters and digits that cannot be misread from a projector: no 0/O, 1/I/L, 5/S, 8/B, 2/Z.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6  # 25**6 = 244 million codes
FOLLOWER_WINDOW_S = 10.0  # a follower counts while its last heartbeat is this recent
ANSWER_LIMIT, ANSWER_WINDOW_S = 5, 10.0  # at most 5 answers a session per 10 s
JOIN_WINDOW_S = 60.0  # tries to join are counted per minute:
JOIN_LIMIT = 10  # per session: a typo or two, never a search through the 244 million codes
JOIN_ADDRESS_LIMIT = 300  # per client address: a lecture hall of 150 behind one NAT, twice
MAX_CHOICES, MAX_TEXT = 6, 300  # a typed question: choices, characters per text
MAX_IMAGE_BYTES = 16 * 2**20  # a shared image: a 2048 x 2048 float32 micrograph, stored once


class ClassError(Exception):
    """Something a class cannot do; the message is one line for people."""


class ClassNotFound(ClassError):
    """No class with this code (never started, ended, or expired)."""


class NotLecturer(ClassError):
    """A lecturer's action without the lecturer's secret."""


class RateLimited(ClassError):
    """Too many answers, or tries to join, from one session (or address) in a short time."""


@dataclass(frozen=True)
class Question:
    """A multiple-choice question: its choices, the index of the right one and why."""

    prompt: str
    choices: tuple[str, ...]
    answer: int
    explanation: str = ""
    kind: str = "typed"  # which generator made it (cnnviz.classroom.questions), or "typed"
    step: int | None = None  # the animation step that shows the answer, where one does

    def __post_init__(self):
        texts = (self.prompt, *self.choices, self.explanation)
        if not self.prompt.strip() or not 2 <= len(self.choices) <= MAX_CHOICES:
            raise ClassError(f"A question needs a text and 2 to {MAX_CHOICES} choices.")
        if any(not c.strip() for c in self.choices) or len(set(self.choices)) < len(self.choices):
            raise ClassError("Every choice needs a text, and no two choices may be the same.")
        if any(len(t) > MAX_TEXT for t in texts):
            raise ClassError(f"Keep each text under {MAX_TEXT} characters.")
        if not 0 <= self.answer < len(self.choices):
            raise ClassError("The right answer must be one of the choices.")

    def to_json(self) -> str:
        """The question as JSON text (what the store keeps)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Question:
        """The question from ``to_json``'s text."""
        data = json.loads(text)
        return cls(**{**data, "choices": tuple(data["choices"])})


@dataclass(frozen=True)
class ClassState:
    """What the lecturer shows now: followers read it when ``version`` changes."""

    code: str
    version: int  # grows by one with every change the lecturer makes
    expires: float  # time.time() after which the code is void
    page: str = ""  # the lecturer's page (its url path; "" is home)
    config: dict = field(default_factory=dict)  # that page's configuration, as link parameters
    step: int = 0  # the animation step (0-based)
    question_id: int = 0  # the current question's number (0: none asked yet)
    question: Question | None = None
    revealed: bool = False
    image: str = ""  # the token of the image the lecturer shares (share_image), "" for none


class SharedImage(NamedTuple):
    """The image a lecturer shares: its file name, its .npy bytes, its checked description."""

    name: str
    data: bytes
    info: dict  # images.image_info: format, pixel size in nm (or None), the loader's notes


@dataclass(frozen=True)
class Lecturer:
    """What starting a class gives the lecturer's browser: the code to show, the secret to keep."""

    code: str
    secret: str


def hash_secret(secret: str) -> str:
    """SHA-256 of the secret: 256 random bits need no slow hash, only not to be kept in clear."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_code(text: str) -> str:
    """A typed code in upper case without spaces or dashes; ClassError when it cannot be one."""
    code = "".join(str(text).split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise ClassError(f"A class code has {CODE_LENGTH} letters and digits, as on the "
                         "lecturer's screen.")
    return code


class ClassStore(ABC):
    """The rules of a class session over a backend's rows; ``clock`` is time.time by default."""

    def __init__(self, lifetime_s: float, clock: Callable[[], float] = time.time):
        self.lifetime_s, self.clock = lifetime_s, clock

    # -- lecturer ---------------------------------------------------------------------------
    def start(self) -> Lecturer:
        """A new class with a fresh code; the secret is returned once and kept only hashed."""
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if self._insert(code, hash_secret(secret), now + self.lifetime_s, now):
                return Lecturer(code, secret)
        raise ClassError("No free class code was found; try again.")  # pragma: no cover

    def is_lecturer(self, code: str, secret: str | None) -> bool:
        """True when ``secret`` is this class's (constant-time comparison of the hashes)."""
        stored = self._live(code)["secret_hash"]
        given = hash_secret(secret) if isinstance(secret, str) else ""
        return hmac.compare_digest(stored.encode(), given.encode())

    def _lead(self, code: str, secret: str | None, **changes) -> int:
        if not self.is_lecturer(code, secret):
            raise NotLecturer("Only the lecturer who started this class can change it.")
        return self._change(code, changes)

    def show(self, code: str, secret: str | None, page: str, config: dict[str, str],
             step: int = 0) -> int:
        """The lecturer's page, its configuration (link parameters) and step; the new version."""
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in config.items()):
            raise ClassError("A page configuration is sent as its link's text values.")
        return self._lead(code, secret, page=str(page), config=json.dumps(config),
                          step=max(0, int(step)))

    def share_image(self, code: str, secret: str | None, name: str, data: bytes,
                    info: dict | None = None) -> str:
        """Share an image (the kernel lab's upload, as bytes) with the class; its token.

        ``info`` describes it (``images.image_info``: format, pixel size, the loader's notes).
        """
        if not self.is_lecturer(code, secret):
            raise NotLecturer("Only the lecturer who started this class can change it.")
        if len(data) > MAX_IMAGE_BYTES:
            raise ClassError(f"This image is too large to share with the class "
                             f"({len(data) / 2**20:.0f} MB, at most {MAX_IMAGE_BYTES // 2**20} "
                             "MB): students see the page's sample instead.")
        name, meta = str(name)[:MAX_TEXT], info_json(info or {})
        # The name and calibration are part of the token: a recalibrated image is a new share.
        token = hashlib.sha256(data + b"\0" + f"{name}\0{meta}".encode()).hexdigest()[:32]
        if self.state(code).image != token:
            self._put_image(normalize_code(code), token, name, data, meta)
            self._lead(code, secret, image=token)
        return token

    def image(self, code: str, token: str) -> SharedImage | None:
        """The shared image (name, bytes, checked description) while ``token`` is the class's."""
        found = self._image(normalize_code(code))
        if found is None or found[0] != token:
            return None
        return SharedImage(found[1], found[2], info_from_json(found[3]))

    def ask(self, code: str, secret: str | None, question: Question) -> int:
        """Ask ``question`` (answers start from none, hidden); returns its number."""
        number = self.state(code).question_id + 1
        self._lead(code, secret, question_id=number, question=question.to_json(), revealed=0)
        return number

    def reveal(self, code: str, secret: str | None) -> int:
        """Show the current question's answer; answers are closed from then on."""
        return self._lead(code, secret, revealed=1)

    def end(self, code: str, secret: str | None) -> None:
        """End the class: its code stops working at once."""
        self._lead(code, secret, expires=self.clock())

    # -- everyone ---------------------------------------------------------------------------
    def _live(self, code: str) -> dict:
        """The class's row; ClassNotFound when unknown or expired."""
        row = self._row(normalize_code(code))
        if row is None or float(row["expires"]) <= self.clock():
            raise ClassNotFound("This class code is not valid (any more): ask the lecturer "
                                "for the current one.")
        return row

    def version(self, code: str) -> int:
        """The class's version, cheap to poll: it changes whenever the lecturer changes it."""
        return int(self._live(code)["version"])

    def state(self, code: str) -> ClassState:
        """Everything the lecturer shows now."""
        row = self._live(code)
        question = row.get("question") or ""
        return ClassState(normalize_code(code), int(row["version"]), float(row["expires"]),
                          row["page"], json.loads(row["config"] or "{}"), int(row["step"]),
                          int(row["question_id"]),
                          Question.from_json(question) if question else None,
                          bool(int(row["revealed"])), row.get("image") or "")

    def join(self, code: str, session: str, address: str | None = None) -> ClassState:
        """A student's try to join class ``code``: its state, or why not (RateLimited too).

        Every try counts, a good code or not, per session and per client address (when
        known): a session cannot go through the codes, and neither can a script that opens
        a new session for every few tries.
        """
        if self._limited("", f"join:{session}", JOIN_LIMIT, JOIN_WINDOW_S):
            raise RateLimited("Too many tries to join: wait a minute, then type the code "
                              "again.")
        if address and self._limited("", f"join@{address}", JOIN_ADDRESS_LIMIT, JOIN_WINDOW_S):
            raise RateLimited("Too many tries to join from your network: wait a minute.")
        return self.state(code)

    def _limited(self, code: str, who: str, limit: int, window_s: float) -> bool:
        """Count one action of ``who`` in the current window; True when it is over ``limit``."""
        return self._hit(code, who, int(self.clock() // window_s), window_s) > limit

    def heartbeat(self, code: str, session: str) -> None:
        """A follower is still there (followers call this as they poll)."""
        self._live(code)
        self._touch(normalize_code(code), session, self.clock())

    def followers(self, code: str) -> int:
        """How many sessions sent a heartbeat in the last FOLLOWER_WINDOW_S seconds."""
        self._live(code)
        return self._count_seen(normalize_code(code), self.clock() - FOLLOWER_WINDOW_S)

    def answer(self, code: str, session: str, question_id: int, choice: int) -> None:
        """Record (or change) this session's answer to the current, unrevealed question."""
        state = self.state(code)
        if state.question is None or question_id != state.question_id:
            raise ClassError("This question is closed; the lecturer has asked another one.")
        if state.revealed:
            raise ClassError("The answer has been revealed: answers are closed.")
        if not (isinstance(choice, int) and 0 <= choice < len(state.question.choices)):
            raise ClassError("That is not one of the choices.")
        if self._limited(state.code, session, ANSWER_LIMIT, ANSWER_WINDOW_S):
            raise RateLimited(f"Too many answers at once: wait {ANSWER_WINDOW_S:.0f} seconds.")
        self._put_answer(state.code, question_id, session, choice)

    def tally(self, code: str, question_id: int) -> list[int]:
        """How many sessions chose each choice of question ``question_id``."""
        state = self.state(code)
        counts = [0] * (len(state.question.choices) if state.question else 0)
        if question_id == state.question_id:
            for choice, count in self._counts(state.code, question_id).items():
                if 0 <= choice < len(counts):
                    counts[choice] = count
        return counts

    def my_answer(self, code: str, session: str, question_id: int) -> int | None:
        """The choice this session gave to question ``question_id``, if any."""
        return self._session_answer(normalize_code(code), question_id, session)

    # -- what a backend stores --------------------------------------------------------------
    @abstractmethod
    def _insert(self, code: str, secret_hash: str, expires: float, now: float) -> bool:
        """Create the class row; False when the code is taken (and still live)."""

    @abstractmethod
    def _row(self, code: str) -> dict | None:
        """The class row (secret_hash, expires, version, page, config, step, ...), or None."""

    @abstractmethod
    def _change(self, code: str, changes: dict) -> int:
        """Update fields of the row and add one to its version, atomically; the new version."""

    @abstractmethod
    def _touch(self, code: str, session: str, now: float) -> None:
        """Remember that ``session`` was seen at ``now``."""

    @abstractmethod
    def _count_seen(self, code: str, since: float) -> int:
        """Sessions seen at ``since`` or later."""

    @abstractmethod
    def _hit(self, code: str, who: str, window: int, window_s: float) -> int:
        """Count one action of ``who`` in window ``window`` (``window_s`` long); the count."""

    @abstractmethod
    def _put_answer(self, code: str, question_id: int, session: str, choice: int) -> None:
        """Set the session's answer (insert or replace: one per session and question)."""

    @abstractmethod
    def _counts(self, code: str, question_id: int) -> dict[int, int]:
        """Sessions per choice."""

    @abstractmethod
    def _put_image(self, code: str, token: str, name: str, data: bytes, meta: str) -> None:
        """Keep the class's one shared image and its JSON description (replacing the one before)."""

    @abstractmethod
    def _image(self, code: str) -> tuple[str, str, bytes, str] | None:
        """The shared image's token, name, bytes and JSON description, if any."""

    @abstractmethod
    def _session_answer(self, code: str, question_id: int, session: str) -> int | None:
        """One session's choice, if any."""


def open_store(settings=None) -> ClassStore:
    """The store the settings choose (CNNVIZ_CLASS_STORE and its address or folder)."""
    from cnnviz import config

    settings = settings or config.settings()
    lifetime = settings.class_hours * 3600.0
    if settings.class_store == "redis":
        from cnnviz.classroom.redis_store import RedisStore

        return RedisStore(settings.redis_url, lifetime)
    from cnnviz.classroom.sqlite_store import SqliteStore

    return SqliteStore(settings.class_dir / "classes.sqlite3", lifetime)
