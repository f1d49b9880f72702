"""Polite background work: slow down while the rest of the machine is busy (Linux).

A LeNet training on a lecture server runs at the lowest CPU priority, yet it still slows the
page reruns that share a core with it (caches, memory bandwidth, the other hyperthread). The
Pacer, called between training steps, measures how busy the other processes kept the CPUs since
its last call and, above ``busy_share``, sleeps long enough that the training uses at most
``duty`` of the time it would otherwise take.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def read_proc_stat(path: str = "/proc/stat") -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine since boot, or None where unreadable."""
    try:
        with open(path) as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 4:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user time
    return total - idle, total


def own_ticks() -> float:
    """CPU ticks this process has used (user + system)."""
    times = os.times()
    return (times.user + times.system) * TICKS


class Pacer:
    """Sleeps between steps of background work while other processes keep the CPUs busy."""

    def __init__(self, busy_share: float = 0.5, duty: float = 0.25, max_sleep_s: float = 1.0,
                 machine: Callable[[], tuple[int, int] | None] = read_proc_stat,
                 own: Callable[[], float] = own_ticks,
                 sleep: Callable[[float], None] = time.sleep):
        if not 0 < duty <= 1:
            raise ValueError("duty must lie in (0, 1]")
        self.busy_share, self.duty, self.max_sleep_s = busy_share, duty, max_sleep_s
        self._machine, self._own, self._sleep = machine, own, sleep
        self._last = self._sample()
        self.slept_s = 0.0  # total, for tests and reports

    def _sample(self):
        machine = self._machine()
        return None if machine is None else (*machine, self._own())

    def __call__(self) -> float:
        """Call between steps; returns the seconds slept (0 when the machine is not busy)."""
        now = self._sample()
        last, self._last = self._last, now
        if now is None or last is None:
            return 0.0
        busy, total = now[0] - last[0], now[1] - last[1]
        mine = now[2] - last[2]
        if total <= 0:
            return 0.0
        others = max(0.0, busy - mine) / total
        if others <= self.busy_share:
            return 0.0
        pause = min(self.max_sleep_s, mine / TICKS * (1 / self.duty - 1))
        if pause > 0:
            self._sleep(pause)
            self.slept_s += pause
            self._last = self._sample()  # the sleep is not the training's own step
        return pause
