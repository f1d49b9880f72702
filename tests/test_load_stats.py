import math

import numpy as np
import pytest

from tests.load.stats import percentile, summarize


@pytest.mark.parametrize("q", [0, 5, 50, 90, 95, 99, 100])
@pytest.mark.parametrize("n", [1, 2, 7, 150])
def test_percentile_matches_numpy(q, n):
    values = list(np.random.default_rng(n).exponential(0.2, size=n))
    assert percentile(values, q) == pytest.approx(np.percentile(values, q))


def test_percentile_by_hand():
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.5
    assert percentile([10.0], 95) == 10.0


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_rejects_bad_input(values, q):
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, q)


def test_summary_and_goal():
    latencies = [0.1] * 94 + [0.5] * 5 + [2.0]
    s = summarize(150, latencies, errors=0, peak_memory_bytes=800 * 2**20)
    assert (s.sessions, s.reruns, s.p50_s, s.max_s, s.peak_memory_mb) == (150, 100, 0.1, 2.0, 800)
    assert s.p95_s == pytest.approx(0.5)
    assert s.meets()
    assert "ok" in s.row()
    assert not summarize(150, latencies, errors=1, peak_memory_bytes=0).meets()
    assert not summarize(150, latencies, errors=0, peak_memory_bytes=2 * 2**30).meets()
    assert not summarize(150, [1.5] * 20, errors=0, peak_memory_bytes=0).meets()


def test_server_cpu_per_rerun():
    s = summarize(10, [0.1] * 40, errors=0, peak_memory_bytes=0, server_cpu_s=0.6)
    assert s.cpu_ms_per_run == pytest.approx(15.0)
    assert "15.0" in s.row()
    assert math.isnan(summarize(10, [0.1], errors=0, peak_memory_bytes=0).cpu_ms_per_run)


def test_summary_of_nothing_is_infinite():
    s = summarize(50, [], errors=50, peak_memory_bytes=0)
    assert math.isinf(s.p95_s)
    assert "MISSED" in s.row()
