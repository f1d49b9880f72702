"""One server-wide byte budget (CNNVIZ_UPLOAD_BUDGET_MB) for what sessions keep: LRU eviction.

Each session keeps a handle (its owner id and a slot name), never the arrays themselves in
its own state; when a new value does not fit, the least recently used values of other
sessions go first, then the same session's other slots. A value larger than the whole budget
is refused with ``BudgetError``. Looking up an evicted value tells the session so
(``was_evicted``), so the page can say why the image is gone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from cnnviz import config


class BudgetError(ValueError):
    """A single value larger than the whole budget; the message is for people."""


def size_of(value) -> int:
    """Bytes of the arrays and bytes inside ``value`` (dicts, tuples, lists), each buffer once."""
    seen: dict[int, int] = {}

    def visit(v) -> None:
        if isinstance(v, np.ndarray):
            base = v
            while isinstance(base.base, np.ndarray):
                base = base.base
            seen[id(base)] = max(seen.get(id(base), 0), base.nbytes)
        elif isinstance(v, (bytes, bytearray)):
            seen[id(v)] = len(v)
        elif isinstance(v, dict):
            for item in v.values():
                visit(item)
        elif isinstance(v, (tuple, list)):
            for item in v:
                visit(item)
    visit(value)
    return sum(seen.values())


class SessionStore:
    """Values per (owner, slot) under ``budget_bytes`` in total, least recently used evicted.

    A session's slots are charged together, each buffer once: a result that holds the upload's
    array as its source costs only the result. Without ``budget_bytes`` the budget is the
    setting CNNVIZ_UPLOAD_BUDGET_MB (cnnviz.config).
    """

    def __init__(self, budget_bytes: int | None = None):
        self._budget_bytes = budget_bytes
        self._values: OrderedDict[tuple[str, str], object] = OrderedDict()  # LRU first
        self._charged: dict[str, int] = {}  # bytes per owner, all its slots together
        self._evicted: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self.used_bytes = 0

    @property
    def budget_bytes(self) -> int:
        """The byte budget: fixed, or CNNVIZ_UPLOAD_BUDGET_MB as set now."""
        if self._budget_bytes is not None:
            return self._budget_bytes
        return config.settings().upload_budget_mb * 2**20

    def put(self, owner: str, slot: str, value) -> None:
        """Keep ``value`` for (owner, slot), replacing what was there; may evict others."""
        nbytes, budget_bytes = size_of(value), self.budget_bytes
        if nbytes > budget_bytes:
            raise BudgetError(
                f"This image needs {nbytes / 2**20:,.0f} MB of server memory, more than the "
                f"{budget_bytes / 2**20:,.0f} MB that all sessions share: upload a smaller "
                "one (crop or bin it).")
        key = (owner, slot)
        with self._lock:
            self._values.pop(key, None)
            self._values[key] = value
            self._evicted.discard(key)
            self._recharge(owner)
            others = [k for k in self._values if k[0] != owner]
            own = [k for k in self._values if k[0] == owner and k != key]
            for victim in others + own:  # both lists in least recently used order
                if self.used_bytes <= budget_bytes:
                    break
                del self._values[victim]
                self._evicted.add(victim)
                self._recharge(victim[0])

    def get(self, owner: str, slot: str):
        """The value for (owner, slot), or None; a hit counts as a use."""
        with self._lock:
            if (owner, slot) not in self._values:
                return None
            self._values.move_to_end((owner, slot))
            return self._values[(owner, slot)]

    def was_evicted(self, owner: str, slot: str) -> bool:
        """True when (owner, slot) held a value that was removed to free memory."""
        with self._lock:
            return (owner, slot) in self._evicted

    def drop(self, owner: str, slot: str) -> None:
        """Forget (owner, slot) without counting it as evicted."""
        with self._lock:
            self._values.pop((owner, slot), None)
            self._evicted.discard((owner, slot))
            self._recharge(owner)

    def _recharge(self, owner: str) -> None:
        """Charge ``owner`` for the buffers of all its slots, each once."""
        charge = size_of([v for (o, _), v in self._values.items() if o == owner])
        self.used_bytes += charge - self._charged.pop(owner, 0)
        if charge:
            self._charged[owner] = charge


# The server's store: the kernel lab's uploads and results of every session.
UPLOADS = SessionStore()
