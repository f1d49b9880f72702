"""The GPU path (CUDA or MPS) gives the CPU's results; skipped where no GPU is present."""

import numpy as np
import pytest
import torch
from labstate import stored_result

from cnnviz.device import available_devices
from cnnviz.lab import filtering
from cnnviz.lenet import data
from cnnviz.lenet.model import VARIANTS, build_lenet
from cnnviz.lenet.train import TrainConfig, train_lenet

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
        config = TrainConfig(optimizer="adam", lr=0.003, batch_size=16, steps=16, device=device,
                             seed=0)
        runs[device] = list(train_lenet(build_lenet(VARIANTS["modern"], seed=0), train, test,
                                        config))[-1]
    assert runs[GPU].images == runs["cpu"].images
    assert runs[GPU].train_loss == pytest.approx(runs["cpu"].train_loss, rel=0.05, abs=0.02)
    assert runs[GPU].test_acc == pytest.approx(runs["cpu"].test_acc, abs=0.1)
    assert torch.cuda.is_available() or GPU == "mps"


def test_training_job_worker_process_trains_on_gpu(tmp_path, start_method):
    from cnnviz.jobs import training as jobs
    from tests.tiny_idx import write_tiny_datasets

    spec = data.DATASETS["fashion"]
    root = write_tiny_datasets(tmp_path)
    train, test = data.load_split(spec, root, True), data.load_split(spec, root, False)
    config = TrainConfig(optimizer="adam", lr=0.003, batch_size=16, steps=16, device=GPU,
                         seed=0, report_every_s=0)
    job = jobs.TrainingJob(build_lenet(seed=0), train, test, config, "gpu",
                           gate=jobs.TrainingGate(1)).start()
    job.join(120)
    view = job.view()
    assert view.state == "done", view.error
    cpu = list(train_lenet(build_lenet(seed=0), train, test,
                           TrainConfig(optimizer="adam", lr=0.003, batch_size=16, steps=16,
                                       device="cpu", seed=0)))[-1]
    assert view.last.train_loss == pytest.approx(cpu.train_loss, rel=0.05, abs=0.02)
    assert next(job.model.parameters()).device.type == "cpu"  # the weights came back here


def test_lenet_page_trains_on_gpu_and_shows_the_network(tmp_path, monkeypatch, start_method):
    """The user's path: pick the GPU on the LeNet page, train, see curves and feature maps."""
    import json
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from tests.tiny_idx import write_tiny_datasets

    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(write_tiny_datasets(tmp_path)))
    page = str(Path(__file__).resolve().parents[1] / "pages" / "7_lenet.py")
    at = AppTest.from_file(page, default_timeout=60).run()
    at.selectbox(key="lenet_device").set_value(GPU).run()
    at.select_slider(key="lenet_steps").set_value(100).run()
    at.button(key="lenet_train").click().run()
    assert not at.exception
    job = at.session_state["lenet_job"]
    job.join(120)
    view = job.view()
    assert view.state == "done", view.error
    at.run()
    assert not at.exception
    assert at.session_state["lenet_model"] is job.model
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert any("train loss" in t.get("name", "") for s in specs for t in s["data"])
    titles = [a.get("text", "") for s in specs for a in s["layout"].get("annotations", [])]
    assert any("Conv2d" in t for t in titles)  # feature maps of the trained network


def test_kernel_lab_filters_on_the_gpu_when_chosen():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    page = str(Path(__file__).resolve().parents[1] / "pages" / "6_kernel_lab.py")
    at = AppTest.from_file(page, default_timeout=60).run()
    cpu = stored_result(at)[2].copy()
    assert stored_result(at)[4] == "cpu"  # the default, also with a GPU
    at.selectbox(key="kl_device").set_value(GPU).run()
    assert not at.exception
    assert stored_result(at)[4] == GPU
    np.testing.assert_allclose(stored_result(at)[2], cpu, rtol=1e-4, atol=1e-4)
