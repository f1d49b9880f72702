"""The class store's rules, the same tests on both backends: SQLite and a real redis-server."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from cnnviz.classroom import store as cs
from cnnviz.classroom.images import image_array, image_bytes
from cnnviz.classroom.sqlite_store import SqliteStore
from tests.classroom_apptest import redis_url

LIFETIME = 3600.0


class Clock:
    """A clock the test moves by hand (expiry and windows without sleeping)."""

    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


# Redis: a server process of its own (redis_url), so the slow lane, as tests/conftest.py asks.
@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.slow)])
def backend(request, tmp_path):
    """A fresh store of each backend and the clock it runs on."""
    clock = Clock()
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "classes.sqlite3", LIFETIME, clock=clock), clock
    from cnnviz.classroom.redis_store import RedisStore

    store = RedisStore(request.getfixturevalue(redis_url.__name__), LIFETIME, clock=clock)
    store.redis.flushdb()
    return store, clock


@pytest.fixture
def store(backend):
    return backend[0]


QUESTION = cs.Question("2 + 2?", ("3", "4", "5"), 1, "Count them.")


def test_a_new_class_has_a_short_unambiguous_code_and_a_long_secret(store):
    lecturer = store.start()
    assert len(lecturer.code) == cs.CODE_LENGTH
    assert set(lecturer.code) <= set(cs.CODE_ALPHABET)
    assert not set("0O1IL5S8B2Z") & set(cs.CODE_ALPHABET)
    assert len(lecturer.secret) >= 40
    state = store.state(lecturer.code)
    assert (state.version, state.page, state.question) == (1, "", None)


def test_codes_are_typed_in_any_case_with_spaces(store):
    code = store.start().code
    typed = f" {code[:3].lower()} - {code[3:]} "
    assert store.state(typed).code == code
    with pytest.raises(cs.ClassError, match="6 letters"):
        store.state("AB")
    with pytest.raises(cs.ClassNotFound):
        store.state("AAAAAA")


def test_the_secret_is_stored_only_hashed(store):
    lecturer = store.start()
    row = store._row(lecturer.code)
    assert lecturer.secret not in repr(row)
    assert row["secret_hash"] == cs.hash_secret(lecturer.secret)


def test_show_publishes_page_config_and_step_with_a_new_version(store):
    lecturer = store.start()
    before = store.version(lecturer.code)
    after = store.show(lecturer.code, lecturer.secret, "padding_and_stride",
                       {"padding": "1", "stride": "3,2"}, step=4)
    assert after == before + 1 == store.version(lecturer.code)
    state = store.state(lecturer.code)
    assert (state.page, state.config, state.step) == ("padding_and_stride",
                                                      {"padding": "1", "stride": "3,2"}, 4)


@pytest.mark.parametrize("secret", [None, "", "guess", "x" * 43])
def test_lecturer_actions_need_the_secret(store, secret):
    lecturer = store.start()
    with pytest.raises(cs.NotLecturer):
        store.show(lecturer.code, secret, "pooling", {}, 1)
    with pytest.raises(cs.NotLecturer):
        store.ask(lecturer.code, secret, QUESTION)
    with pytest.raises(cs.NotLecturer):
        store.reveal(lecturer.code, secret)
    with pytest.raises(cs.NotLecturer):
        store.end(lecturer.code, secret)
    assert store.version(lecturer.code) == 1


def test_one_class_secret_does_not_lead_another(store):
    first, second = store.start(), store.start()
    with pytest.raises(cs.NotLecturer):
        store.show(second.code, first.secret, "pooling", {})


def test_the_secret_is_compared_in_constant_time(store, monkeypatch):
    calls = []
    real = cs.hmac.compare_digest
    monkeypatch.setattr(cs.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    lecturer = store.start()
    assert store.is_lecturer(lecturer.code, lecturer.secret)
    assert not store.is_lecturer(lecturer.code, lecturer.secret[:-1])
    assert len(calls) == 2


def test_codes_expire_and_an_ended_class_is_gone(backend):
    store, clock = backend
    lecturer = store.start()
    clock.now += LIFETIME - 1
    assert store.version(lecturer.code) == 1
    clock.now += 1
    with pytest.raises(cs.ClassNotFound, match="not valid"):
        store.state(lecturer.code)
    with pytest.raises(cs.ClassNotFound):
        store.show(lecturer.code, lecturer.secret, "pooling", {})
    other = store.start()
    store.end(other.code, other.secret)
    with pytest.raises(cs.ClassNotFound):
        store.answer(other.code, "s1", 1, 0)


def test_followers_count_recent_heartbeats_only(backend):
    store, clock = backend
    code = store.start().code
    for session in ("a", "b", "c"):
        store.heartbeat(code, session)
    store.heartbeat(code, "a")  # twice: still one follower
    assert store.followers(code) == 3
    clock.now += cs.FOLLOWER_WINDOW_S / 2
    store.heartbeat(code, "a")
    clock.now += cs.FOLLOWER_WINDOW_S / 2 + 0.1
    assert store.followers(code) == 1


def test_answers_are_one_per_session_and_can_change(store):
    lecturer = store.start()
    number = store.ask(lecturer.code, lecturer.secret, QUESTION)
    assert number == 1
    store.answer(lecturer.code, "s1", number, 0)
    store.answer(lecturer.code, "s2", number, 1)
    store.answer(lecturer.code, "s1", number, 1)  # changed her mind: counted once, as 1
    assert store.tally(lecturer.code, number) == [0, 2, 0]
    assert store.my_answer(lecturer.code, "s1", number) == 1
    assert store.my_answer(lecturer.code, "s3", number) is None


def test_a_new_question_starts_from_no_answers(store):
    lecturer = store.start()
    first = store.ask(lecturer.code, lecturer.secret, QUESTION)
    store.answer(lecturer.code, "s1", first, 2)
    second = store.ask(lecturer.code, lecturer.secret, QUESTION)
    assert second == first + 1
    assert store.tally(lecturer.code, second) == [0, 0, 0]
    with pytest.raises(cs.ClassError, match="closed"):
        store.answer(lecturer.code, "s1", first, 0)  # the old question takes no answers


@pytest.mark.parametrize("choice", [-1, 3, 1.0, "1", None])
def test_an_answer_must_be_one_of_the_choices(store, choice):
    lecturer = store.start()
    number = store.ask(lecturer.code, lecturer.secret, QUESTION)
    with pytest.raises(cs.ClassError, match="not one of the choices"):
        store.answer(lecturer.code, "s1", number, choice)
    assert store.tally(lecturer.code, number) == [0, 0, 0]


def test_reveal_closes_the_answers(store):
    lecturer = store.start()
    number = store.ask(lecturer.code, lecturer.secret, QUESTION)
    store.answer(lecturer.code, "s1", number, 1)
    store.reveal(lecturer.code, lecturer.secret)
    assert store.state(lecturer.code).revealed
    with pytest.raises(cs.ClassError, match="revealed"):
        store.answer(lecturer.code, "s2", number, 0)
    assert store.tally(lecturer.code, number) == [0, 1, 0]


def test_answers_are_rate_limited_per_session(backend):
    store, clock = backend
    lecturer = store.start()
    number = store.ask(lecturer.code, lecturer.secret, QUESTION)
    clock.now = (clock.now // cs.ANSWER_WINDOW_S) * cs.ANSWER_WINDOW_S  # start of a window
    for i in range(cs.ANSWER_LIMIT):
        store.answer(lecturer.code, "fast", number, i % 3)
    with pytest.raises(cs.RateLimited):
        store.answer(lecturer.code, "fast", number, 0)
    store.answer(lecturer.code, "other", number, 0)  # another session is not limited
    clock.now += cs.ANSWER_WINDOW_S
    store.answer(lecturer.code, "fast", number, 2)
    assert store.tally(lecturer.code, number) == [1, 0, 1]


def test_tries_to_join_are_rate_limited_per_session_and_per_address(backend):
    store, clock = backend
    code = store.start().code
    clock.now = (clock.now // cs.JOIN_WINDOW_S) * cs.JOIN_WINDOW_S  # start of a window
    for i in range(cs.JOIN_LIMIT):  # bad codes count as tries too
        with pytest.raises(cs.ClassError):
            store.join("QQQQQ" if i % 2 else "ACDEFG", "guesser")
    with pytest.raises(cs.RateLimited, match="wait a minute"):
        store.join(code, "guesser")  # the right code too, once over the limit
    assert store.join(code, "someone else").code == code
    for i in range(cs.JOIN_ADDRESS_LIMIT):  # one address, a new session for every try
        store.join(code, f"s{i}", "203.0.113.7")
    with pytest.raises(cs.RateLimited, match="your network"):
        store.join(code, "one more", "203.0.113.7")
    assert store.join(code, "one more", "198.51.100.2").code == code  # another address
    clock.now += cs.JOIN_WINDOW_S  # the next minute
    assert store.join(code, "guesser", "203.0.113.7").code == code


def test_counts_of_tries_to_join_do_not_pile_up_in_sqlite(tmp_path):
    clock = Clock()
    store = SqliteStore(tmp_path / "classes.sqlite3", LIFETIME, clock=clock)
    code = store.start().code
    for i in range(50):  # a lecture hall joining, each from its own session and address
        store.join(code, f"s{i}", f"198.51.100.{i}")

    def join_rows() -> int:
        return store._db().execute("SELECT count(*) FROM hits WHERE code = ''").fetchone()[0]

    assert join_rows() == 100  # one count per session and one per address
    clock.now += cs.JOIN_WINDOW_S  # a minute later those counts no longer limit anyone
    store.join(code, "late", "203.0.113.9")
    assert join_rows() == 2  # only the late student's: the old minute's counts are gone


def test_the_lecturer_shares_one_image_stored_once_and_bounded(store, monkeypatch):
    lecturer = store.start()
    data = bytes(range(256)) * 4
    with pytest.raises(cs.NotLecturer):
        store.share_image(lecturer.code, "not the secret", "a.png", data)
    token = store.share_image(lecturer.code, lecturer.secret, "a.png", data)
    state = store.state(lecturer.code)
    assert state.image == token
    assert store.image(lecturer.code, token)[:2] == ("a.png", data)
    assert store.share_image(lecturer.code, lecturer.secret, "a.png", data) == token
    assert store.state(lecturer.code).version == state.version  # the same image: no change
    newer = store.share_image(lecturer.code, lecturer.secret, "b.png", data[::-1])
    assert store.image(lecturer.code, token) is None  # replaced: one image per class
    assert store.image(lecturer.code, newer)[:2] == ("b.png", data[::-1])
    monkeypatch.setattr(cs, "MAX_IMAGE_BYTES", len(data) - 1)
    with pytest.raises(cs.ClassError, match="too large to share"):
        store.share_image(lecturer.code, lecturer.secret, "c.png", data)
    assert store.state(lecturer.code).image == newer


def test_many_sessions_answering_at_once_are_each_counted_once(store):
    lecturer = store.start()
    number = store.ask(lecturer.code, lecturer.secret, QUESTION)
    errors = []

    def answer(k: int) -> None:
        try:
            for repeat in range(2):  # each session answers twice: still counted once
                store.answer(lecturer.code, f"session-{k}", number, (k + repeat) % 3)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=answer, args=(k,)) for k in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = store.tally(lecturer.code, number)
    assert sum(counts) == 60
    assert counts == [sum(1 for k in range(60) if (k + 1) % 3 == c) for c in range(3)]


@pytest.mark.parametrize("bad", [
    dict(prompt=" ", choices=("a", "b"), answer=0),
    dict(prompt="q", choices=("a",), answer=0),
    dict(prompt="q", choices=("a", "a"), answer=0),
    dict(prompt="q", choices=("a", ""), answer=0),
    dict(prompt="q", choices=("a", "b"), answer=2),
    dict(prompt="q" * 301, choices=("a", "b"), answer=0),
    dict(prompt="q", choices=tuple("abcdefg"), answer=0),
])
def test_a_typed_question_must_be_well_formed(bad):
    with pytest.raises(cs.ClassError):
        cs.Question(**bad)


def test_a_question_survives_the_store_as_json(store):
    lecturer = store.start()
    question = cs.Question("<b>bold?</b>", ("*a*", "[b](x)"), 0, "why", "output_cell", 3)
    store.ask(lecturer.code, lecturer.secret, question)
    assert store.state(lecturer.code).question == question


@pytest.mark.slow  # starts redis-server
def test_open_store_follows_the_settings(tmp_path, request):
    from cnnviz import config
    from cnnviz.classroom.redis_store import RedisStore

    sqlite = cs.open_store(config.load({"CNNVIZ_CLASS_DIR": str(tmp_path)}))
    assert isinstance(sqlite, SqliteStore)
    assert sqlite.path == tmp_path / "classes.sqlite3"
    assert sqlite.lifetime_s == 4 * 3600
    with sqlite._db() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    remote = cs.open_store(config.load({"CNNVIZ_CLASS_STORE": "redis",
                                        "CNNVIZ_REDIS_URL": request.getfixturevalue(
                                            redis_url.__name__),
                                        "CNNVIZ_CLASS_HOURS": "2"}))
    assert isinstance(remote, RedisStore)
    assert remote.lifetime_s == 2 * 3600
    assert remote.version(remote.start().code) == 1


def test_two_stores_on_one_file_see_each_other(tmp_path):
    """Two workers of a server: separate processes' stores on one SQLite file."""
    one = SqliteStore(tmp_path / "c.sqlite3", LIFETIME)
    two = SqliteStore(tmp_path / "c.sqlite3", LIFETIME)
    lecturer = one.start()
    one.show(lecturer.code, lecturer.secret, "pooling", {"mode": "avg"}, 2)
    assert two.state(lecturer.code).config == {"mode": "avg"}


def test_a_store_file_from_before_shared_images_is_upgraded(tmp_path):
    import sqlite3

    path = tmp_path / "classes.sqlite3"
    with sqlite3.connect(path) as db:  # the classes table as it was, without the image column
        db.execute("CREATE TABLE classes (code TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, "
                   "expires REAL NOT NULL, version INTEGER NOT NULL DEFAULT 1, page TEXT NOT "
                   "NULL DEFAULT '', config TEXT NOT NULL DEFAULT '{}', step INTEGER NOT NULL "
                   "DEFAULT 0, question_id INTEGER NOT NULL DEFAULT 0, question TEXT NOT NULL "
                   "DEFAULT '', revealed INTEGER NOT NULL DEFAULT 0)")
    store = SqliteStore(path, LIFETIME)
    lecturer = store.start()
    token = store.share_image(lecturer.code, lecturer.secret, "a.png", b"pixels")
    assert store.state(lecturer.code).image == token


@pytest.mark.parametrize("dtype", [np.float32, np.uint16, np.float64])
def test_a_shared_image_keeps_its_values_and_is_read_only(dtype):
    array = (np.arange(12).reshape(3, 4) * 7).astype(dtype)[:, ::2]  # not contiguous
    back = image_array(image_bytes(array))
    np.testing.assert_array_equal(back, array)
    assert back.dtype == array.dtype
    assert not back.flags.writeable
    with pytest.raises(ValueError, match="allow_pickle"):  # a pickle is never loaded
        image_array(_pickled())


def _pickled() -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return buffer.getvalue()
