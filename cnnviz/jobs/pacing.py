"""Polite background work: slow down while the rest of the machine is busy (Linux).

A LeNet training on a lecture server runs at the lowest CPU priority, yet it still slows the
page reruns that share a core with it (caches, memory bandwidth, the other hyperthread). The
Pacer, called between training steps, measures how contended the CPUs were since its last call
and, above a threshold, sleeps long enough that the training uses at most ``duty`` of the time
it would otherwise take.

The measure is the kernel's CPU pressure (PSI): the share of time in which some task was ready
to run but waited for a CPU. Inside a container it is the container's own cgroup
(``cpu.pressure``, which counts its CPU quota too), else the machine's ``/proc/pressure/cpu``.
Where PSI is absent (old kernels, macOS) the fallback is ``/proc/stat``: how busy the other
processes kept the machine's CPUs, which inside a container describes the host.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

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


def read_pressure(path: str | Path) -> float | None:
    """Seconds of CPU stall ("some" total) a PSI file reports since boot, or None."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith("some "):
                fields = dict(part.split("=", 1) for part in line.split()[1:])
                return int(fields["total"]) / 1e6  # microseconds
    except (OSError, ValueError, KeyError):
        return None
    return None


def pressure_file(proc: str | Path = "/proc", cgroup_root: str | Path = "/sys/fs/cgroup"
                  ) -> Path | None:
    """The PSI file for this process's CPUs: its cgroup v2 ``cpu.pressure``, else the machine's."""
    try:
        for line in Path(proc, "self", "cgroup").read_text().splitlines():
            if line.startswith("0::"):
                own = Path(cgroup_root, line[3:].strip().lstrip("/"), "cpu.pressure")
                if read_pressure(own) is not None:
                    return own
    except OSError:
        pass
    machine = Path(proc, "pressure", "cpu")
    return machine if read_pressure(machine) is not None else None


def pressure_reader(path: Path | None = None) -> Callable[[], float | None] | None:
    """A function that reads this process's CPU stall seconds; None where PSI is absent."""
    path = path or pressure_file()
    return None if path is None else (lambda: read_pressure(path))


def own_ticks() -> float:
    """CPU ticks this process has used (user + system)."""
    times = os.times()
    return (times.user + times.system) * TICKS


class Pacer:
    """Sleeps between steps of background work while the CPUs are contended.

    With ``pressure`` (see :func:`pressure_reader`) the CPUs count as contended when tasks
    waited for them more than ``pressure_share`` of the time; without it, when other processes
    kept them busier than ``busy_share`` (``machine``: /proc/stat's busy and total ticks).
    """

    def __init__(self, busy_share: float = 0.5, duty: float = 0.25, max_sleep_s: float = 1.0,
                 machine: Callable[[], tuple[int, int] | None] = read_proc_stat,
                 own: Callable[[], float] = own_ticks,
                 sleep: Callable[[float], None] = time.sleep,
                 pressure: Callable[[], float | None] | None = None,
                 pressure_share: float = 0.2, clock: Callable[[], float] = time.monotonic):
        if not 0 < duty <= 1:
            raise ValueError("duty must lie in (0, 1]")
        self.busy_share, self.duty, self.max_sleep_s = busy_share, duty, max_sleep_s
        self.pressure_share = pressure_share
        self._machine, self._own, self._sleep = machine, own, sleep
        self._pressure, self._clock = pressure, clock
        self._last = self._sample()
        self.slept_s = 0.0  # total, for tests and reports

    def _sample(self):
        """(busy, total, own) in ticks from /proc/stat, or (stall s, wall s, own) from PSI."""
        if self._pressure is not None:
            stall = self._pressure()
            return None if stall is None else (stall, self._clock(), self._own())
        machine = self._machine()
        return None if machine is None else (*machine, self._own())

    def _contended(self, now, last) -> bool:
        if self._pressure is not None:
            wall = now[1] - last[1]
            return wall > 0 and (now[0] - last[0]) / wall > self.pressure_share
        busy, total = now[0] - last[0], now[1] - last[1]
        if total <= 0:
            return False
        return max(0.0, busy - (now[2] - last[2])) / total > self.busy_share

    def __call__(self) -> float:
        """Call between steps; returns the seconds slept (0 when the machine is not busy)."""
        now = self._sample()
        last, self._last = self._last, now
        if now is None or last is None or not self._contended(now, last):
            return 0.0
        mine = now[2] - last[2]
        pause = min(self.max_sleep_s, mine / TICKS * (1 / self.duty - 1))
        if pause > 0:
            self._sleep(pause)
            self.slept_s += pause
            self._last = self._sample()  # the sleep is not the training's own step
        return pause
