"""Pure summary of load-test measurements: percentiles and one report row (no I/O)."""

from __future__ import annotations

import math
from dataclasses import dataclass


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), interpolating linearly between ranks like numpy."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must lie in 0..100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class LoadSummary:
    """One scenario's figures: sessions, reruns measured, latency percentiles, errors, memory."""

    sessions: int
    reruns: int
    p50_s: float
    p95_s: float
    max_s: float
    errors: int
    # Peak memory of all the server's processes together (workers, proxy, training), as the sum
    # of their proportional set sizes: library pages that processes share count once in all.
    peak_memory_mb: float
    # Server CPU time (user + system) per measured rerun: its cost, whatever else runs on the
    # machine (with --train it includes the training's CPU).
    cpu_ms_per_run: float = math.nan

    def meets(self, p95_s: float = 1.0, memory_mb: float = 1536.0) -> bool:
        """True when the lecture-hall goal holds: p95 under target, no errors, memory under cap."""
        return self.p95_s < p95_s and self.errors == 0 and self.peak_memory_mb < memory_mb

    def row(self) -> str:
        """A fixed-width report line."""
        verdict = "ok" if self.meets() else "MISSED"
        return (f"{self.sessions:>5} {self.reruns:>7} {self.p50_s:>8.3f} {self.p95_s:>8.3f} "
                f"{self.max_s:>8.3f} {self.errors:>6} {self.peak_memory_mb:>9.0f} "
                f"{self.cpu_ms_per_run:>9.1f}  {verdict}")


HEADER = (f"{'N':>5} {'reruns':>7} {'p50 s':>8} {'p95 s':>8} {'max s':>8} {'errors':>6} "
          f"{'mem MB':>9} {'CPU ms/run':>9}")


def summarize(sessions: int, latencies_s: list[float], errors: int, peak_memory_bytes: int,
              server_cpu_s: float = math.nan) -> LoadSummary:
    """Summarize one scenario; an empty latency list (everything failed) reads as infinite."""
    if latencies_s:
        p50, p95, top = (percentile(latencies_s, 50), percentile(latencies_s, 95),
                         max(latencies_s))
    else:
        p50 = p95 = top = math.inf
    cpu_ms = 1000 * server_cpu_s / len(latencies_s) if latencies_s else math.nan
    return LoadSummary(sessions, len(latencies_s), p50, p95, top, errors,
                       peak_memory_bytes / 2**20, cpu_ms)
