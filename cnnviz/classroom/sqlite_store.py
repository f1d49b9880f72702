"""The class store in one SQLite file (WAL mode), shared by every worker process of a server."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from cnnviz.classroom.store import ClassStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, expires REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 1, page TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT '{}', step INTEGER NOT NULL DEFAULT 0,
    question_id INTEGER NOT NULL DEFAULT 0, question TEXT NOT NULL DEFAULT '',
    revealed INTEGER NOT NULL DEFAULT 0, image TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS seen (
    code TEXT NOT NULL, session TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (code, session));
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL, question_id INTEGER NOT NULL, session TEXT NOT NULL,
    choice INTEGER NOT NULL, PRIMARY KEY (code, question_id, session));
CREATE TABLE IF NOT EXISTS images (
    code TEXT PRIMARY KEY, token TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS hits (
    code TEXT NOT NULL, session TEXT NOT NULL, slot INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (code, session));
"""
CHANGEABLE = ("expires", "page", "config", "step", "question_id", "question", "revealed",
              "image")
# Columns added since the first release: (table, column, declaration), added to older files.
UPGRADES = (("classes", "image", "TEXT NOT NULL DEFAULT ''"),  # shared images
            ("images", "meta", "TEXT NOT NULL DEFAULT '{}'"))  # their calibration and notes


class SqliteStore(ClassStore):
    """Classes in ``path``; one connection per thread (Streamlit runs each session in a thread)."""

    def __init__(self, path: Path | str, lifetime_s: float, **kwargs):
        super().__init__(lifetime_s, **kwargs)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._db() as db:
            db.executescript(SCHEMA)
            for table, column, kind in UPGRADES:  # a file from before the column existed
                have = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # Autocommit: every statement is its own transaction unless opened explicitly.
            db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the one writer
            db.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a power cut may
            self._local.db = db                      # lose the last changes, not the file
        return db

    def _insert(self, code: str, secret_hash: str, expires: float, now: float) -> bool:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in ("seen", "answers", "hits", "images"):
                db.execute(f"DELETE FROM {table} WHERE code IN "  # noqa: S608 - fixed names
                           "(SELECT code FROM classes WHERE expires <= ?)", (now,))
            db.execute("DELETE FROM classes WHERE expires <= ?", (now,))
            inserted = db.execute("INSERT OR IGNORE INTO classes (code, secret_hash, expires) "
                                  "VALUES (?, ?, ?)", (code, secret_hash, expires)).rowcount
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return inserted == 1

    def _row(self, code: str) -> dict | None:
        row = self._db().execute("SELECT * FROM classes WHERE code = ?", (code,)).fetchone()
        return None if row is None else dict(row)

    def _change(self, code: str, changes: dict) -> int:
        names = [name for name in changes if name in CHANGEABLE]
        sets = "".join(f", {name} = ?" for name in names)
        row = self._db().execute(
            f"UPDATE classes SET version = version + 1{sets} WHERE code = ? "  # noqa: S608
            "RETURNING version", (*(changes[n] for n in names), code)).fetchone()
        return int(row[0])

    def _touch(self, code: str, session: str, now: float) -> None:
        self._db().execute("INSERT INTO seen VALUES (?, ?, ?) ON CONFLICT (code, session) "
                           "DO UPDATE SET at = excluded.at", (code, session, now))

    def _count_seen(self, code: str, since: float) -> int:
        return self._db().execute("SELECT count(*) FROM seen WHERE code = ? AND at >= ?",
                                  (code, since)).fetchone()[0]

    def _hit(self, code: str, who: str, window: int, window_s: float) -> int:
        if not code:  # tries to join belong to no class, so no class's expiry removes them:
            self._db().execute("DELETE FROM hits WHERE code = '' AND slot < ?", (window,))
        return self._db().execute(
            "INSERT INTO hits VALUES (?, ?, ?, 1) ON CONFLICT (code, session) DO UPDATE SET "
            "count = CASE WHEN slot = excluded.slot THEN count + 1 ELSE 1 END, "
            "slot = excluded.slot RETURNING count", (code, who, window)).fetchone()[0]

    def _put_answer(self, code: str, question_id: int, session: str, choice: int) -> None:
        self._db().execute("INSERT INTO answers VALUES (?, ?, ?, ?) ON CONFLICT "
                           "(code, question_id, session) DO UPDATE SET choice = excluded.choice",
                           (code, question_id, session, choice))

    def _counts(self, code: str, question_id: int) -> dict[int, int]:
        rows = self._db().execute("SELECT choice, count(*) FROM answers WHERE code = ? AND "
                                  "question_id = ? GROUP BY choice", (code, question_id))
        return {choice: count for choice, count in rows}

    def _put_image(self, code: str, token: str, name: str, data: bytes, meta: str) -> None:
        self._db().execute("INSERT OR REPLACE INTO images (code, token, name, data, meta) "
                           "VALUES (?, ?, ?, ?, ?)", (code, token, name, data, meta))

    def _image(self, code: str) -> tuple[str, str, bytes, str] | None:
        row = self._db().execute("SELECT token, name, data, meta FROM images WHERE code = ?",
                                 (code,)).fetchone()
        return None if row is None else (row[0], row[1], bytes(row[2]), row[3])

    def _session_answer(self, code: str, question_id: int, session: str) -> int | None:
        row = self._db().execute("SELECT choice FROM answers WHERE code = ? AND question_id = ? "
                                 "AND session = ?", (code, question_id, session)).fetchone()
        return None if row is None else row[0]
