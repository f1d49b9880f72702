"""Kernel lab speed: our filter vs cv2.filter2D, and load_image vs tifffile.imread (same run).

The targets are measured the way the app runs: each result is dropped before the next call
(a new kernel or upload replaces the old one), so cnnviz.lab.buffers can recycle its memory. The
"fresh output" figures show the first call's cost, with every result in new memory.
On a CUDA machine (choose_device() gives cuda) the torch GPU path is timed as well.
"""

from __future__ import annotations

import io
import time

import cv2
import numpy as np
import tifffile
import torch

from cnnviz.bench import Result, best_time
from cnnviz.device import choose_device
from cnnviz.imageio import load_image
from cnnviz.lab import kernels
from cnnviz.lab.buffers import OUTPUTS
from cnnviz.lab.filtering import apply_kernel, border_widths, torch_filter

SUITE = "kernels"


def _interleaved_best(fns: list, repeat: int) -> list[float]:
    """Best time of each function, run interleaved in alternating order (ABBA) like machine load."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for r in range(repeat):
        order = list(enumerate(fns))
        for i, fn in order if r % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def _kernels() -> dict[str, np.ndarray]:
    """3x3 and 5x5 kernels: separable presets and dense random ones (rank 3 / 5)."""
    rng = np.random.default_rng(0)
    return {"Sobel 3x3": kernels.preset("Sobel x"),
            "random 3x3": rng.standard_normal((3, 3)).astype(np.float32),
            "Gaussian 5x5": kernels.gaussian(1.0, 5),
            "random 5x5": rng.standard_normal((5, 5)).astype(np.float32)}


def _filter_results(n: int, repeat: int, quick: bool) -> list[Result]:
    """Our CPU filter and F.conv2d against filter2D with the same (reflect) border."""
    X = np.random.default_rng(1).random((n, n)).astype(np.float32)
    Xt = torch.from_numpy(X)
    device = choose_device()
    results = []
    for name, K in _kernels().items():
        top, _, left, _ = border_widths(K.shape)

        def opencv(K=K, top=top, left=left):
            return cv2.filter2D(X, cv2.CV_32F, K, anchor=(left, top),
                                borderType=cv2.BORDER_REFLECT_101)

        def ours(K=K):
            return apply_kernel(X, K, mode="reflect")

        t_ours, t_cv = _interleaved_best([ours, opencv], repeat)
        tag = f"{name} {n}x{n}"
        results.append(Result(SUITE, f"filter {tag} time", t_ours * 1e3, "ms"))
        results.append(Result(SUITE, f"filter {tag} / cv2.filter2D", t_ours / t_cv, "x",
                              "<= 1.0", t_ours / t_cv <= 1.0))
        if device.type == "cuda":
            results.extend(_gpu_results(X, K, tag, t_cv, device))
        if quick:  # the targets only; the reference figures take seconds
            continue
        with OUTPUTS.disabled():  # every result in fresh memory, as on a first call
            t_fresh, t_cv = _interleaved_best([ours, opencv], max(repeat // 3, 3))
        results.append(Result(SUITE, f"filter {tag} fresh output / cv2.filter2D",
                              t_fresh / t_cv, "x"))
        Kt = torch.from_numpy(K)
        t_torch = best_time(lambda Kt=Kt: torch_filter(Xt, Kt, "reflect"), repeat=2)
        results.append(Result(SUITE, f"F.conv2d {tag} / cv2.filter2D (CPU)", t_torch / t_cv,
                              "x"))
    return results


def _gpu_results(X: np.ndarray, K: np.ndarray, tag: str, t_cv: float,
                 device: torch.device) -> list[Result]:
    """GPU time with and without the host-device copies, and its ratio to CPU filter2D."""
    Xg, Kg = torch.from_numpy(X).to(device), torch.from_numpy(K).to(device)

    def resident():
        torch_filter(Xg, Kg, "reflect")
        torch.cuda.synchronize(device)

    t_resident = best_time(resident, repeat=10, warmup=3)
    t_round_trip = best_time(lambda: apply_kernel(X, K, mode="reflect", device=device), repeat=5)
    return [Result(SUITE, f"GPU {tag} on-device time", t_resident * 1e3, "ms"),
            Result(SUITE, f"GPU {tag} with copies / cv2.filter2D", t_round_trip / t_cv, "x"),
            Result(SUITE, f"GPU {tag} on-device / cv2.filter2D", t_resident / t_cv, "x")]


def _tiff_results(n: int, repeat: int, quick: bool) -> list[Result]:
    """Decoding an n x n 16-bit TIFF: load_image (to float32) vs tifffile.imread."""
    arr = np.random.default_rng(2).integers(0, 65535, (n, n), dtype=np.uint16)
    buf = io.BytesIO()
    tifffile.imwrite(buf, arr)
    data = buf.getvalue()
    t_ours, t_ref = _interleaved_best([lambda: load_image(data, "bench.tif"),
                                       lambda: tifffile.imread(io.BytesIO(data))], repeat)
    results = [Result(SUITE, f"load_image 16-bit TIFF {n}x{n} time", t_ours * 1e3, "ms"),
               Result(SUITE, f"load_image TIFF {n}x{n} / tifffile.imread", t_ours / t_ref, "x",
                      "<= 1.2", t_ours / t_ref <= 1.2)]
    if quick:
        return results
    with OUTPUTS.disabled():
        t_fresh, t_ref2 = _interleaved_best([lambda: load_image(data, "bench.tif"),
                                             lambda: tifffile.imread(io.BytesIO(data))],
                                            max(repeat // 3, 3))
    return results + [Result(SUITE, f"load_image TIFF {n}x{n} fresh output / tifffile.imread",
                             t_fresh / t_ref2, "x")]


def run(quick: bool = False) -> list[Result]:
    """4096x4096 float32; --quick keeps the size (the targets are about it) but repeats less."""
    repeat = 5 if quick else 25
    return _filter_results(4096, repeat, quick) + _tiff_results(4096, repeat, quick)
