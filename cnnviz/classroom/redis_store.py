"""The class store on a Redis server, for a deployment on several machines.

Keys per class ``C``: ``cnnviz:class:C`` (a hash: the class row), ``...:seen`` (a sorted set:
session -> last heartbeat), ``...:answers:N`` (a hash: session -> choice) and
``...:hits:SESSION`` (a counter of answers in the current rate-limit window). All of them expire
a minute after the class, as does ``...:image`` (a hash: token, name, meta (its JSON
description), data in base64: the client decodes replies as text). Tries to join count in
``cnnviz:class::hits:join...`` (no class yet).
"""

from __future__ import annotations

import base64
import math

import redis

from cnnviz.classroom.store import ClassStore

# Create the row only where none exists, in one step (a plain HSETNX would show a half row).
INSERT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""
ROW_DEFAULTS = {"version": 1, "page": "", "config": "{}", "step": 0, "question_id": 0,
                "question": "", "revealed": 0, "image": ""}


class RedisStore(ClassStore):
    """Classes on the Redis server at ``url`` (redis-py keeps a pool of connections)."""

    def __init__(self, url: str, lifetime_s: float, prefix: str = "cnnviz:class:", **kwargs):
        super().__init__(lifetime_s, **kwargs)
        self.redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5.0)
        self.prefix = prefix
        self._insert_script = self.redis.register_script(INSERT)

    def _key(self, code: str, *parts: object) -> str:
        return ":".join((self.prefix + code, *map(str, parts)))

    def _ttl(self, code: str) -> int:
        """Seconds the class's keys have left (the class row's; its other keys follow it)."""
        return max(int(self.redis.ttl(self._key(code))), 1)

    def _insert(self, code: str, secret_hash: str, expires: float, now: float) -> bool:
        fields = {**ROW_DEFAULTS, "secret_hash": secret_hash, "expires": repr(expires)}
        # Redis forgets the keys a minute after the class ends (TTL from the store's clock).
        args = [math.ceil(expires - now) + 60, *(x for kv in fields.items() for x in kv)]
        return self._insert_script(keys=[self._key(code)], args=args) == 1

    def _row(self, code: str) -> dict | None:
        return self.redis.hgetall(self._key(code)) or None

    def _change(self, code: str, changes: dict) -> int:
        pipe = self.redis.pipeline(transaction=True)  # MULTI/EXEC: both or neither
        if "expires" in changes:
            changes = {**changes, "expires": repr(changes["expires"])}
        pipe.hset(self._key(code), mapping=changes)
        pipe.hincrby(self._key(code), "version", 1)
        return int(pipe.execute()[-1])

    def _touch(self, code: str, session: str, now: float) -> None:
        key = self._key(code, "seen")
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(key, {session: now})
        pipe.expire(key, self._ttl(code))
        pipe.execute()

    def _count_seen(self, code: str, since: float) -> int:
        return int(self.redis.zcount(self._key(code, "seen"), since, "+inf"))

    def _hit(self, code: str, who: str, window: int, window_s: float) -> int:
        key = self._key(code, "hits", who)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(key, str(window), 1)
        pipe.expire(key, math.ceil(2 * window_s))  # earlier windows vanish with it
        return int(pipe.execute()[0])

    def _put_answer(self, code: str, question_id: int, session: str, choice: int) -> None:
        key = self._key(code, "answers", question_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, session, choice)  # one field per session: a second answer replaces
        pipe.expire(key, self._ttl(code))
        pipe.execute()

    def _counts(self, code: str, question_id: int) -> dict[int, int]:
        counts: dict[int, int] = {}
        for choice in self.redis.hvals(self._key(code, "answers", question_id)):
            counts[int(choice)] = counts.get(int(choice), 0) + 1
        return counts

    def _put_image(self, code: str, token: str, name: str, data: bytes, meta: str) -> None:
        key = self._key(code, "image")
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"token": token, "name": name, "meta": meta,
                                "data": base64.b64encode(data).decode("ascii")})
        pipe.expire(key, self._ttl(code))
        pipe.execute()

    def _image(self, code: str) -> tuple[str, str, bytes, str] | None:
        found = self.redis.hgetall(self._key(code, "image"))
        if not found:
            return None
        # "meta" is missing in a hash written before calibrations were shared: unknown then.
        return (found["token"], found["name"], base64.b64decode(found["data"]),
                found.get("meta", "{}"))

    def _session_answer(self, code: str, question_id: int, session: str) -> int | None:
        choice = self.redis.hget(self._key(code, "answers", question_id), session)
        return None if choice is None else int(choice)
