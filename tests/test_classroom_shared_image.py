"""A shared image keeps its calibration and the loader's notes on both backends, checked on read."""

from __future__ import annotations

import sqlite3

import pytest

from cnnviz.classroom.images import image_info, info_from_json, info_json
from cnnviz.classroom.sqlite_store import SqliteStore
from tests.classroom_apptest import redis_url
from tests.test_classroom_store import LIFETIME, backend, store  # noqa: F401 - fixtures

CALIBRATED = {"source": "TIFF", "pixel_size_nm": 0.25,
              "notes": ["Colour converted to grayscale.", "The alpha channel was dropped."]}


def test_the_calibration_and_notes_travel_with_the_image(store):  # noqa: F811 - the fixture
    lecturer = store.start()
    token = store.share_image(lecturer.code, lecturer.secret, "grain.tif", b"pixels", CALIBRATED)
    shared = store.image(lecturer.code, token)
    assert shared.name == "grain.tif"
    assert shared.data == b"pixels"
    assert shared.info == CALIBRATED
    # The same pixels recalibrated are a new share: followers must not keep the old pixel size.
    other = store.share_image(lecturer.code, lecturer.secret, "grain.tif", b"pixels",
                              {**CALIBRATED, "pixel_size_nm": 0.5})
    assert other != token
    assert store.state(lecturer.code).image == other
    assert store.image(lecturer.code, other).info["pixel_size_nm"] == 0.5


def test_an_uncalibrated_image_says_unknown(store):  # noqa: F811 - the fixture
    lecturer = store.start()
    token = store.share_image(lecturer.code, lecturer.secret, "a.png", b"pixels")
    assert store.image(lecturer.code, token).info == {"source": "image", "pixel_size_nm": None,
                                                     "notes": []}


@pytest.mark.parametrize("meta", ["not json", "[1, 2]", '{"pixel_size_nm": "1e9"}',
                                  '{"pixel_size_nm": -1, "source": "<b>x</b>", "notes": [3]}',
                                  '{"pixel_size_nm": 1e999}', '{"pixel_size_nm": true}'])
def test_a_damaged_description_reads_as_unknown(store, meta):  # noqa: F811 - the fixture
    """A row from another version, or one written past the rules, never breaks a page."""
    lecturer = store.start()
    store._put_image(lecturer.code, "t" * 32, "a.png", b"pixels", meta)
    info = store.image(lecturer.code, "t" * 32).info
    assert info["pixel_size_nm"] is None
    assert info["source"] == "image"
    assert all(isinstance(note, str) for note in info["notes"])


def test_descriptions_are_bounded_and_never_pickled():
    many = info_json({"source": "MRC", "pixel_size_nm": 2, "notes": ["x" * 10_000] * 50})
    info = info_from_json(many)
    assert info["pixel_size_nm"] == 2.0
    assert isinstance(info["pixel_size_nm"], float)
    assert [len(note) for note in info["notes"]] == [500] * 12
    assert info_from_json(info_json({"pixel_size_nm": float("nan")})) == image_info()


def test_a_store_file_with_images_from_before_calibrations_is_upgraded(tmp_path):
    """A file written when images were shared without their description gets the new column."""
    path = tmp_path / "classes.sqlite3"
    first = SqliteStore(path, LIFETIME)
    lecturer = first.start()
    with sqlite3.connect(path) as db:  # the images table as it was, with one old image in it
        db.execute("DROP TABLE images")
        db.execute("CREATE TABLE images (code TEXT PRIMARY KEY, token TEXT NOT NULL, "
                   "name TEXT NOT NULL, data BLOB NOT NULL)")
        db.execute("INSERT INTO images VALUES (?, 'old', 'old.png', x'00')", (lecturer.code,))
    again = SqliteStore(path, LIFETIME)
    assert again.image(lecturer.code, "old").info["pixel_size_nm"] is None  # unknown, no error
    token = again.share_image(lecturer.code, lecturer.secret, "grain.tif", b"pixels", CALIBRATED)
    assert again.image(lecturer.code, token).info == CALIBRATED


@pytest.mark.slow
def test_a_redis_image_from_before_calibrations_reads_as_unknown(request):
    from cnnviz.classroom.redis_store import RedisStore

    remote = RedisStore(request.getfixturevalue(redis_url.__name__), LIFETIME)
    lecturer = remote.start()
    remote.redis.hset(remote._key(lecturer.code, "image"),
                      mapping={"token": "old", "name": "old.png", "data": "AA=="})
    shared = remote.image(lecturer.code, "old")
    assert (shared.name, shared.data, shared.info["pixel_size_nm"]) == ("old.png", b"\0", None)
