"""Benchmarks: each suite module has ``run(quick) -> list[Result]``; see ``python -m cnnviz.bench``.

Targets are ratios against a baseline measured in the same run, so they hold on any machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

# Suite modules inside this package, in report order.
SUITES = ["ops", "animation", "kernels", "training", "classroom"]


@dataclass
class Result:
    """One measured figure, optionally compared with a target."""

    suite: str
    name: str
    value: float
    unit: str
    target: str = ""  # human-readable target, e.g. "<= 1.0"
    ok: bool | None = None  # None where there is no target

    def row(self) -> str:
        """A fixed-width line for the report."""
        verdict = {None: "", True: "ok", False: "MISSED"}[self.ok]
        return (f"{self.suite:<10} {self.name:<52} {self.value:>12.4g} {self.unit:<8} "
                f"{self.target:<10} {verdict}")


def best_time(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Minimum wall time of ``fn`` over ``repeat`` runs, in seconds (after warm-up runs)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def median_time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
