"""cnnviz.jobs.pacing: background work sleeps only while other processes keep the CPUs busy."""

import pytest

from cnnviz.jobs import pacing
from cnnviz.jobs.pacing import TICKS, Pacer


class Clock:
    """Fake /proc/stat and own CPU counters, advanced by the test."""

    def __init__(self):
        self.busy, self.total, self.own, self.slept = 0, 0, 0.0, []

    def step(self, total: int, others: int, mine: int) -> None:
        self.total += total
        self.busy += others + mine
        self.own += mine

    def pacer(self, **kw) -> Pacer:
        return Pacer(machine=lambda: (self.busy, self.total), own=lambda: self.own,
                     sleep=self.slept.append, **kw)


def test_quiet_machine_no_sleep():
    clock = Clock()
    pace = clock.pacer()
    clock.step(total=200, others=40, mine=100)  # others use 20% of the machine
    assert pace() == 0.0
    assert clock.slept == []


def test_busy_machine_caps_the_duty_cycle():
    clock = Clock()
    pace = clock.pacer(duty=0.25)
    mine = TICKS // 10  # the training used 0.1 s of CPU since the last call
    clock.step(total=10 * mine, others=8 * mine, mine=mine)  # others: 80%
    assert pace() == pytest.approx(0.3)  # 0.1 s of work, then 0.3 s asleep: 25% duty
    assert clock.slept == [pytest.approx(0.3)]
    clock.step(total=1000, others=100, mine=0)  # the machine calmed down
    assert pace() == 0.0


def test_sleep_is_bounded_and_the_share_is_configurable():
    clock = Clock()
    pace = clock.pacer(duty=0.1, max_sleep_s=0.5, busy_share=0.9)
    clock.step(total=10 * TICKS, others=8 * TICKS, mine=TICKS)  # 80%: under this share
    assert pace() == 0.0
    clock.step(total=10 * TICKS, others=int(9.5 * TICKS), mine=TICKS // 2)
    assert pace() == 0.5


def test_without_proc_stat_it_never_sleeps():
    pace = Pacer(machine=lambda: None, sleep=lambda s: pytest.fail("slept"))
    assert pace() == 0.0
    assert pacing.read_proc_stat("/nonexistent") is None


def test_reads_this_machine(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n")
    assert pacing.read_proc_stat(str(stat)) == (150, 1000)
    with pytest.raises(ValueError, match="duty"):
        Pacer(duty=0)
