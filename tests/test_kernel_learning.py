"""Learning a kernel reproduces the chapter's printed numbers and recovers 3x3 presets."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.lab import kernels
from cnnviz.lab.kernel_learning import (
    CHAPTER_INITIAL_KERNEL,
    chapter_experiment,
    chapter_pair,
    learn_kernel,
    micrograph_experiment,
    micrograph_pair,
)


def test_chapter_pair_matches_the_chapter():
    X, Y = chapter_pair()
    assert X.shape == (6, 8)
    assert Y.shape == (6, 7)
    np.testing.assert_array_equal(Y[0], [0, 1, 0, 0, 0, -1, 0])


def test_chapter_experiment_prints_the_chapters_numbers():
    history = list(chapter_experiment())
    assert [r["step"] for r in history] == list(range(1, 11))
    losses = [round(r["loss"], 3) for r in history]
    assert losses[1::2] == [3.505, 0.666, 0.144, 0.037, 0.012]  # steps 2, 4, 6, 8, 10
    assert history[-1]["kernel"].astype(float).round(4).tolist() == [[0.9809, -1.0006]]


def test_generator_equals_the_chapters_torch_loop():
    """Same updates as nn.Conv2d + l.sum().backward() + weight.data -= lr * grad."""
    X, Y = chapter_pair()
    conv = torch.nn.Conv2d(1, 1, (1, 2), bias=False)
    conv.weight.data[:] = torch.tensor(CHAPTER_INITIAL_KERNEL).reshape(1, 1, 1, 2)
    Xt, Yt = torch.from_numpy(X)[None, None], torch.from_numpy(Y)[None, None]
    for record in chapter_experiment():
        loss = ((conv(Xt) - Yt) ** 2).sum()
        conv.zero_grad()
        loss.backward()
        conv.weight.data[:] -= 3e-2 * conv.weight.grad
        assert record["loss"] == pytest.approx(loss.item(), rel=1e-6)
        torch.testing.assert_close(torch.from_numpy(record["kernel"]), conv.weight.data[0, 0])


def test_random_start_still_converges_to_one_minus_one():
    last = list(chapter_experiment(initial=None, seed=3, steps=40))[-1]
    np.testing.assert_allclose(last["kernel"], [[1, -1]], atol=0.02)


@pytest.mark.parametrize("target", ["Sobel x", "Laplacian"])
def test_micrograph_experiment_recovers_a_3x3_preset(target):
    history = list(micrograph_experiment(target))
    assert history[-1]["loss"] < 1e-3 * history[0]["loss"]
    np.testing.assert_allclose(history[-1]["kernel"], kernels.preset(target), atol=0.1)


def test_micrograph_pair_is_valid_filtering():
    X, Y, K = micrograph_pair("Sobel y", size=32)
    expected = F.conv2d(torch.from_numpy(X)[None, None], torch.from_numpy(K)[None, None])
    torch.testing.assert_close(torch.from_numpy(Y), expected[0, 0])
    assert X.mean() == pytest.approx(0, abs=1e-5)


def test_bad_arguments():
    X, Y = chapter_pair()
    with pytest.raises(ValueError, match="6x7"):
        next(learn_kernel(X, Y[:, :5], (1, 2), lr=0.1, steps=1))
    with pytest.raises(ValueError, match="at least 1 step"):
        next(learn_kernel(X, Y, (1, 2), lr=0.1, steps=0))
