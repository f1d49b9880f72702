"""How much slower the step-by-step teaching loops are than torch (why animations stay small)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnviz import ops
from cnnviz.bench import Result, best_time


def run(quick: bool = False) -> list[Result]:
    """Time ops.corr2d and ops.pool2d against F.conv2d / F.max_pool2d on small square inputs."""
    results = []
    for n in (8, 16) if quick else (8, 16, 32):
        X, K = torch.rand(n, n), torch.rand(3, 3)
        ours = best_time(lambda X=X, K=K: ops.corr2d(X, K, padding=1), repeat=3)
        ref = best_time(lambda X=X, K=K: F.conv2d(X[None, None], K[None, None], padding=1))
        results.append(Result("ops", f"corr2d {n}x{n} k3 p1 time", ours * 1e3, "ms"))
        results.append(Result("ops", f"corr2d {n}x{n} / F.conv2d", ours / ref, "x"))
        ours = best_time(lambda X=X: ops.pool2d(X, 2, stride=2), repeat=3)
        ref = best_time(lambda X=X: F.max_pool2d(X[None, None], 2, 2))
        results.append(Result("ops", f"pool2d {n}x{n} max 2/2 / F.max_pool2d", ours / ref, "x"))
    return results
