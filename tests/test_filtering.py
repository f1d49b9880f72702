"""The lab's fast filter equals F.conv2d after F.pad with the same mode (torch is the reference)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.lab import buffers, filtering, kernels
from cnnviz.lab.filtering import BORDER_MODES, apply_kernel

RNG = np.random.default_rng(1)
TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular"}


def reference(X: np.ndarray, K: np.ndarray, mode: str) -> np.ndarray:
    """Pad (k-1)//2 before and the rest after, with torch, then cross-correlate with F.conv2d."""
    kh, kw = K.shape
    pad = ((kw - 1) // 2, kw - 1 - (kw - 1) // 2, (kh - 1) // 2, kh - 1 - (kh - 1) // 2)
    x = F.pad(torch.from_numpy(X)[None, None].double(), pad, mode=TORCH_MODE[mode])
    return F.conv2d(x, torch.from_numpy(K)[None, None].double())[0, 0].numpy()


KERNEL_SHAPES = [(1, 1), (1, 2), (2, 1), (3, 3), (2, 4), (4, 3), (5, 5), (7, 7), (15, 15)]


@pytest.mark.parametrize("mode", BORDER_MODES)
@pytest.mark.parametrize("shape", KERNEL_SHAPES)
@pytest.mark.parametrize("separable", [False, True])
def test_equals_torch_conv2d_after_pad(mode, shape, separable):
    X = RNG.random((23, 31)).astype(np.float32)
    if separable:
        K = np.outer(RNG.standard_normal(shape[0]), RNG.standard_normal(shape[1]))
    else:
        K = RNG.standard_normal(shape)
    K = K.astype(np.float32)
    torch.testing.assert_close(apply_kernel(X, K, mode=mode), reference(X, K, mode)
                               .astype(np.float32), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", BORDER_MODES)
def test_convolution_is_correlation_with_flipped_kernel(mode):
    X = RNG.random((12, 17)).astype(np.float32)
    K = RNG.standard_normal((3, 4)).astype(np.float32)
    expected = reference(X, K[::-1, ::-1].copy(), mode).astype(np.float32)
    torch.testing.assert_close(apply_kernel(X, K, mode=mode, convolution=True), expected,
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", BORDER_MODES)
def test_torch_device_path_matches_opencv_path(mode):
    """The GPU code path (torch), run here on the CPU, gives the OpenCV result."""
    X = RNG.random((40, 33)).astype(np.float32)
    for K in (kernels.preset("Laplacian"), kernels.gaussian(1.5), kernels.preset("Sobel y")):
        gpu_path = filtering._apply_torch(X, K, mode, torch.device("cpu"))
        torch.testing.assert_close(gpu_path, apply_kernel(X, K, mode=mode), rtol=1e-4,
                                   atol=1e-4)


def test_chapter_edges_with_one_minus_one():
    """Full-size version of the chapter's Y: the valid part equals its printed 6x7 result."""
    X = np.ones((6, 8), np.float32)
    X[:, 2:6] = 0
    Y = apply_kernel(X, [[1, -1]])
    expected = np.tile(np.array([0, 1, 0, 0, 0, -1, 0], np.float32), (6, 1))
    np.testing.assert_array_equal(Y[:, :7], expected)
    np.testing.assert_array_equal(apply_kernel(X.T.copy(), [[1, -1]])[:, :5], 0)


def test_image_smaller_than_kernel_is_refused():
    with pytest.raises(ValueError, match=r"smaller than the kernel \(5x5\)"):
        apply_kernel(np.ones((3, 8), np.float32), np.ones((5, 5)))


def test_unknown_mode_and_bad_kernel():
    with pytest.raises(ValueError, match="Unknown border mode"):
        apply_kernel(np.ones((8, 8)), np.ones((3, 3)), mode="mirror")
    with pytest.raises(ValueError, match="finite number"):
        apply_kernel(np.ones((8, 8)), [[1, np.nan]])
    with pytest.raises(ValueError, match="up to 15x15"):
        apply_kernel(np.ones((20, 20)), np.ones((16, 16)))


def test_recycled_outputs_never_overwrite_a_result_still_in_use():
    pool = buffers.OutputPool(max_buffers=2, min_bytes=0)
    a = pool.empty((64, 64))
    a[:] = 1
    a_address = a.ctypes.data
    b = pool.empty((64, 64))
    assert b.ctypes.data != a_address  # a is still held
    view = a[10:20]
    del a
    c = pool.empty((64, 64))  # both pooled buffers are busy (a through its slice, and b)
    assert c.ctypes.data not in (a_address, b.ctypes.data)
    assert (view == 1).all()
    del view, c
    assert pool.empty((64, 64)).ctypes.data == a_address  # free again once nothing holds it


def test_apply_kernel_results_stay_valid_across_calls(monkeypatch):
    monkeypatch.setattr(buffers.OUTPUTS, "min_bytes", 0)  # recycle even small results
    X = RNG.random((110, 100)).astype(np.float32)
    first = apply_kernel(X, kernels.preset("Sobel x"))
    kept = first.copy()
    for K in (kernels.preset("Laplacian"), kernels.gaussian(1.0), [[1, -1]]):
        apply_kernel(X, K)
    np.testing.assert_array_equal(first, kept)
    torch.testing.assert_close(apply_kernel(X, kernels.preset("Laplacian"), mode="reflect"),
                               reference(X, kernels.preset("Laplacian"), "reflect")
                               .astype(np.float32), rtol=1e-4, atol=1e-4)


def test_disabled_pool_hands_out_fresh_arrays():
    pool = buffers.OutputPool(min_bytes=0)
    address = pool.empty((8, 8)).ctypes.data  # dropped at once: free in the pool
    with pool.disabled():
        assert pool.empty((8, 8)).ctypes.data != address
    assert pool.empty((8, 8)).ctypes.data == address
