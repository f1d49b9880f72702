"""A class training at once: batched distinct runs, shared identical runs, first curve point."""

from __future__ import annotations

import time

import torch

from cnnviz.bench import Result
from cnnviz.device import choose_device
from cnnviz.jobs import pool
from cnnviz.jobs.training import TrainingGate, TrainingJob
from cnnviz.lenet import data, shapes
from cnnviz.lenet.batched import TrainTogether
from cnnviz.lenet.model import VARIANTS, build_lenet
from cnnviz.lenet.train import TrainConfig, train_lenet

SUITE = "classroom"
LEARNING_RATES = (1e-3, 2e-3, 3e-3, 5e-3)  # distinct requests: students choose their own


def course_data() -> tuple[data.ImageSet, data.ImageSet, str]:
    """The Fashion-MNIST in the data directory, else generated shapes."""
    spec, root = data.DATASETS["fashion"], data.data_dir()
    if data.is_available(spec, root):
        return data.load_split(spec, root, True), data.load_split(spec, root, False), \
            f"Fashion-MNIST in {root}"
    return shapes.shapes_split(True), shapes.shapes_split(False), "generated shapes"


def requests(count: int, steps: int, device: str, distinct: bool = True) -> list[TrainConfig]:
    """``count`` students' runs of the modern LeNet: own seed and learning rate, or all alike."""
    return [TrainConfig(lr=LEARNING_RATES[i % len(LEARNING_RATES)] if distinct else 2e-3,
                        seed=i if distinct else 0, steps=steps, device=device,
                        report_every_s=0.25, test_every=10 ** 5)
            for i in range(count)]


def batched_seconds(train_set: data.ImageSet, configs: list[TrainConfig]) -> float:
    """Wall time of TrainTogether over ``configs``."""
    start = time.perf_counter()
    together = TrainTogether(VARIANTS["modern"], train_set, None, configs)
    for _ in together.run():
        pass
    together.models()
    _sync(together.device)
    return time.perf_counter() - start


def sequential_seconds(train_set: data.ImageSet, configs: list[TrainConfig]) -> float:
    """Wall time of the same runs with train_lenet, one after another."""
    start = time.perf_counter()
    for config in configs:
        for _ in train_lenet(build_lenet(VARIANTS["modern"], seed=config.seed), train_set, None,
                             config):
            pass
    _sync(choose_device(None if configs[0].device == "auto" else configs[0].device))
    return time.perf_counter() - start


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def throughput(train_set: data.ImageSet, counts: tuple[int, ...], steps: int,
               device: str) -> list[Result]:
    """Models x images/s for ``counts`` concurrent runs, batched against one after another."""
    results = []
    kind = choose_device(None if device == "auto" else device).type
    batched_seconds(train_set, requests(2, 3, device))  # warm-up: kernels, allocator
    target = 2.0 if kind == "cuda" else 0.6  # a CPU thread does the same sums either way
    for count in counts:
        configs = requests(count, steps, device)
        batch_size = configs[0].batch_size
        work = count * steps * batch_size  # model-images
        together, alone = batched_seconds(train_set, configs), sequential_seconds(train_set,
                                                                                  configs)
        results.append(Result(SUITE, f"{count} distinct runs batched, {kind}", work / together,
                              "model-img/s"))
        results.append(Result(SUITE, f"{count} distinct runs one after another, {kind}",
                              work / alone, "model-img/s"))
        ratio = alone / together  # one run alone never batches: no target there
        results.append(Result(SUITE, f"{count} distinct: batched / one after another", ratio,
                              "x", f">= {target}" if count > 1 else "",
                              ratio >= target if count > 1 else None))
    count = counts[-1]
    same = requests(count, steps, device, distinct=False)
    ratio = sequential_seconds(train_set, same[:1]) * count / batched_seconds(train_set, same)
    results.append(Result(SUITE, f"{count} identical runs shared / one after another", ratio,
                          "x", f">= {count / 2:g}", ratio >= count / 2))
    return results


def page_job(train_set: data.ImageSet, test_set: data.ImageSet, gate: TrainingGate,
             seed: int = 0, steps: int = TrainConfig().steps) -> TrainingJob:
    """A modern LeNet training as the page starts one: a fresh model others may join."""
    architecture = VARIANTS["modern"]
    return TrainingJob(build_lenet(architecture, seed=seed), train_set, test_set,
                       TrainConfig(device="cpu", seed=seed, steps=steps), f"bench {seed}",
                       gate=gate, architecture=architecture)


def seconds_to_first_point(job: TrainingJob) -> float:
    """Start ``job``; seconds until its first curve point (worker start included)."""
    start = time.perf_counter()
    job.start()
    while not job.view().history and job.view().active:
        time.sleep(0.01)
    return time.perf_counter() - start


def first_point_seconds(train_set: data.ImageSet, test_set: data.ImageSet) -> float:
    """Seconds from starting a training job to its first curve point (worker start included)."""
    job = page_job(train_set, test_set, TrainingGate(1))
    seconds = seconds_to_first_point(job)
    job.stop()
    job.join(30)
    return seconds


def joining_seconds(train_set: data.ImageSet, test_set: data.ImageSet, running: int) -> float:
    """Seconds to the first point of a request that comes while ``running`` others train."""
    gate = TrainingGate(1)
    others = [page_job(train_set, test_set, gate, seed=i, steps=100_000).start()
              for i in range(running)]
    deadline = time.monotonic() + 120
    while not all(j.view().history for j in others) and time.monotonic() < deadline:
        time.sleep(0.05)
    late = page_job(train_set, test_set, gate, seed=running)
    seconds = seconds_to_first_point(late)
    for job in (late, *others):
        job.stop()
    for job in (late, *others):
        job.join(30)
    return seconds


def first_point(train_set: data.ImageSet, test_set: data.ImageSet) -> list[Result]:
    """The first curve point with a process started ahead (as the page does) and without."""
    pool.prepare()  # what opening the LeNet page does
    deadline = time.monotonic() + 120
    while not pool.waiting() and time.monotonic() < deadline:
        time.sleep(0.05)
    warm = first_point_seconds(train_set, test_set)
    cold = first_point_seconds(train_set, test_set)  # the pool is refilling: a fresh one
    joining = joining_seconds(train_set, test_set, 8)
    return [Result(SUITE, "first curve point after Train, process started ahead", warm, "s",
                   "<= 1.0", warm <= 1.0),
            Result(SUITE, "first curve point after Train, fresh interpreter", cold, "s"),
            Result(SUITE, "first curve point after Train while 8 others train (joins them)",
                   joining, "s", "<= 5.0", joining <= 5.0)]


def run(quick: bool = False) -> list[Result]:
    """Class throughput on CPU (and CUDA when present) and the time to the first point."""
    train_set, test_set, what = course_data()
    print(f"{SUITE:<10} data: {what}", flush=True)
    counts, steps = ((1, 8), 10) if quick else ((1, 8, 30), 40)
    results = throughput(train_set, counts, steps, "cpu")
    if torch.cuda.is_available():
        results += throughput(train_set, counts, steps, "cuda")
    return results + first_point(train_set, test_set)
