"""The GPU path (CUDA or MPS) gives the CPU's results; skipped where no GPU is present."""

import numpy as np
import pytest
import torch

from cnnviz import data, filtering
from cnnviz.device import available_devices
from cnnviz.model import VARIANTS, build_lenet
from cnnviz.train import TrainConfig, train_lenet

GPU = next((kind for kind in available_devices() if kind != "cpu"), None)
pytestmark = pytest.mark.skipif(GPU is None, reason="no CUDA or MPS device on this machine")


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape", [(3, 3), (5, 5), (1, 2), (4, 7)])
def test_filter_on_gpu_equals_opencv_path(mode, shape):
    rng = np.random.default_rng(0)
    image = rng.normal(size=(257, 391)).astype(np.float32)
    kernel = rng.normal(size=shape).astype(np.float32)
    cpu = filtering.apply_kernel(image, kernel, mode=mode)
    gpu = filtering.apply_kernel(image, kernel, mode=mode, device=GPU)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-4)


def test_lenet_trains_on_gpu_like_on_cpu(tmp_path):
    from tests.tiny_idx import write_tiny_datasets

    spec = data.DATASETS["fashion"]
    root = write_tiny_datasets(tmp_path)
    train, test = data.load_split(spec, root, True), data.load_split(spec, root, False)
    runs = {}
    for device in ("cpu", GPU):
        config = TrainConfig(optimizer="adam", lr=0.003, batch_size=16, epochs=2, device=device,
                             seed=0)
        runs[device] = list(train_lenet(build_lenet(VARIANTS["modern"], seed=0), train, test,
                                        config))[-1]
    assert runs[GPU].images == runs["cpu"].images
    assert runs[GPU].train_loss == pytest.approx(runs["cpu"].train_loss, rel=0.05, abs=0.02)
    assert runs[GPU].test_acc == pytest.approx(runs["cpu"].test_acc, abs=0.1)
    assert torch.cuda.is_available() or GPU == "mps"


def test_training_job_worker_process_trains_on_gpu(tmp_path, start_method):
    from cnnviz import jobs
    from tests.tiny_idx import write_tiny_datasets

    spec = data.DATASETS["fashion"]
    root = write_tiny_datasets(tmp_path)
    train, test = data.load_split(spec, root, True), data.load_split(spec, root, False)
    config = TrainConfig(optimizer="adam", lr=0.003, batch_size=16, epochs=2, device=GPU,
                         seed=0, report_every=1)
    job = jobs.TrainingJob(build_lenet(seed=0), train, test, config, "gpu",
                           gate=jobs.TrainingGate(1)).start()
    job.join(120)
    view = job.view()
    assert view.state == "done", view.error
    cpu = list(train_lenet(build_lenet(seed=0), train, test,
                           TrainConfig(optimizer="adam", lr=0.003, batch_size=16, epochs=2,
                                       device="cpu", seed=0)))[-1]
    assert view.last.train_loss == pytest.approx(cpu.train_loss, rel=0.05, abs=0.02)
    assert next(job.model.parameters()).device.type == "cpu"  # the weights came back here
