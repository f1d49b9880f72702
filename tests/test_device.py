import pytest
import torch

from cnnviz import device


def test_auto_prefers_best_available(monkeypatch):
    monkeypatch.delenv("CNNVIZ_DEVICE", raising=False)
    assert device.choose_device().type == device.available_devices()[0]


def test_cuda_first_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.available_devices()[0] == "cuda"
    assert device.choose_device("auto").type == "cuda"


def test_environment_override(monkeypatch):
    monkeypatch.setenv("CNNVIZ_DEVICE", "cpu")
    assert device.choose_device().type == "cpu"


def test_unavailable_or_unknown_device_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="not available"):
        device.choose_device("cuda")
    with pytest.raises(ValueError, match="Unknown device"):
        device.choose_device("tpu")


def test_threads_default_to_one_and_follow_env(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("CNNVIZ_TORCH_THREADS", raising=False)
        assert device.configure_threads() == 1
        monkeypatch.setenv("CNNVIZ_TORCH_THREADS", "2")
        assert device.configure_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_describe_cpu_names_threads():
    text = device.describe_device(torch.device("cpu"))
    assert text.startswith("CPU:")
    assert "thread" in text
