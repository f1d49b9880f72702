"""Size and build time of the sliding-window animations (figure JSON must grow linearly)."""

from __future__ import annotations

import json
import time

import plotly.io as pio
import torch

from cnnviz import ops
from cnnviz.bench import Result, best_time
from cnnviz.teach import frames
from cnnviz.viz import animation

BYTES_PER_FRAME = 1024  # target: at most ~1 KB of figure JSON per frame
TOTAL_32 = 1.5e6  # target: a 32x32 input with a 3x3 kernel under 1.5 MB
SECONDS_32 = 0.3  # target: built server-side in under 0.3 s


def _build(X: torch.Tensor, K: torch.Tensor) -> str:
    """Step data, figure and its JSON: everything the server does for one animation."""
    figure = animation.window_figure(frames.correlation_steps(X, K, padding=1))
    return json.dumps(figure, separators=(",", ":"))


def run(quick: bool = False) -> list[Result]:
    """Figure JSON bytes (total and per frame) and build time for 8x8, 16x16, 32x32 inputs."""
    results = []
    gen = torch.Generator().manual_seed(0)
    for n in (8, 16, 32):
        X = torch.randint(0, 10, (n, n), generator=gen).float()
        K = torch.randint(-2, 3, (3, 3), generator=gen).float()
        frames.format_number.cache_clear()  # the first build of a session: cold number cache
        start = time.perf_counter()
        text = _build(X, K)
        cold = time.perf_counter() - start
        steps = n * n  # padding 1 keeps the size: one frame per output cell
        per_frame = len(text) / steps
        seconds = best_time(lambda X=X, K=K: _build(X, K), repeat=2 if quick else 5)
        # baseline: the plain teaching loop on the same input, timed in the same run
        baseline = best_time(lambda X=X, K=K: ops.corr2d(X, K, padding=1), repeat=2 if quick else 5)
        figure = json.loads(text)
        largest = max(len(json.dumps(f, separators=(",", ":"))) for f in figure["frames"])
        slider_step = len(json.dumps(figure["layout"]["sliders"][0]["steps"][-1],
                                     separators=(",", ":")))
        results.append(Result("animation", f"{n}x{n} k3 p1 figure JSON", len(text) / 1e3, "kB",
                              f"<= {TOTAL_32 / 1e3:.0f}" if n == 32 else "",
                              len(text) <= TOTAL_32 if n == 32 else None))
        results.append(Result("animation", f"{n}x{n} k3 p1 JSON per frame (all bytes / frames)",
                              per_frame, "B", f"<= {BYTES_PER_FRAME}",
                              per_frame <= BYTES_PER_FRAME))
        results.append(Result("animation", f"{n}x{n} largest frame + its slider step",
                              largest + slider_step, "B", f"<= {BYTES_PER_FRAME}",
                              largest + slider_step <= BYTES_PER_FRAME))
        results.append(Result("animation", f"{n}x{n} k3 p1 build time", seconds * 1e3, "ms",
                              f"<= {SECONDS_32 * 1e3:.0f}" if n == 32 else "",
                              seconds <= SECONDS_32 if n == 32 else None))
        results.append(Result("animation", f"{n}x{n} k3 p1 first build (cold caches)", cold * 1e3,
                              "ms", f"<= {SECONDS_32 * 1e3:.0f}" if n == 32 else "",
                              cold <= SECONDS_32 if n == 32 else None))
        fig = animation.window_figure(frames.correlation_steps(X, K, padding=1))
        encode = best_time(lambda fig=fig: pio.to_json(animation.PrebuiltFigure(fig).to_dict(),
                                                       validate=False), repeat=2 if quick else 5)
        results.append(Result("animation", f"{n}x{n} chart encoding as st.plotly_chart does it",
                              encode * 1e3, "ms"))
        results.append(Result("animation", f"{n}x{n} build time / ops.corr2d (same run)",
                              seconds / baseline, "x"))
    return results
