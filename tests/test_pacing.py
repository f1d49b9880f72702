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


PSI = ("some avg10=1.17 avg60=0.63 avg300=0.67 total={}\n"
       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")


def fake_system(tmp_path, cgroup_line="0::/docker/abc", container=True, machine=True):
    """A fake /proc and /sys/fs/cgroup; returns (proc, cgroup_root)."""
    proc, cgroups = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text(f"4:memory:/x\n{cgroup_line}\n")
    if machine:
        (proc / "pressure").mkdir()
        (proc / "pressure" / "cpu").write_text(PSI.format(7_000_000))
    if container:
        (cgroups / "docker" / "abc").mkdir(parents=True)
        (cgroups / "docker" / "abc" / "cpu.pressure").write_text(PSI.format(2_500_000))
    return proc, cgroups


def test_the_containers_own_pressure_comes_first(tmp_path):
    proc, cgroups = fake_system(tmp_path)
    path = pacing.pressure_file(proc, cgroups)
    assert path == cgroups / "docker" / "abc" / "cpu.pressure"
    assert pacing.read_pressure(path) == 2.5


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"container": False}, "machine"), ({"cgroup_line": "1:cpu:/"}, "machine"),
    ({"container": False, "machine": False}, None)])
def test_pressure_falls_back_to_the_machine_then_to_none(tmp_path, kwargs, expected):
    proc, cgroups = fake_system(tmp_path, **kwargs)
    path = pacing.pressure_file(proc, cgroups)
    if expected is None:
        assert path is None
    else:
        assert path == proc / "pressure" / "cpu"
        assert pacing.read_pressure(path) == 7.0
        assert pacing.pressure_reader(path)() == 7.0


@pytest.mark.parametrize("text", ["", "some avg10=1\n", "some total=lots\n", "garbage"])
def test_unreadable_pressure_is_none(tmp_path, text):
    path = tmp_path / "cpu.pressure"
    path.write_text(text)
    assert pacing.read_pressure(path) is None
    assert pacing.read_pressure(tmp_path / "missing") is None


def test_pressure_paces_by_the_share_of_time_tasks_waited():
    state = {"stall": 0.0, "wall": 0.0, "own": 0.0}
    slept = []
    pace = Pacer(pressure=lambda: state["stall"], clock=lambda: state["wall"],
                 own=lambda: state["own"], sleep=slept.append, duty=0.5,
                 machine=lambda: pytest.fail("/proc/stat read although PSI is there"))
    state.update(stall=0.1, wall=1.0, own=TICKS * 0.2)  # tasks waited 10% of the second
    assert pace() == 0.0
    state.update(stall=0.5, wall=2.0, own=TICKS * 0.4)  # 40%: contended
    assert pace() == pytest.approx(0.2)  # 0.2 s of work, 0.2 s asleep: 50% duty
    assert slept == [pytest.approx(0.2)]
    state.update(stall=None)
    assert pace() == 0.0  # the file became unreadable: no pacing
