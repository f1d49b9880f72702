"""Recycled float32 result buffers for full-resolution images (see OutputPool)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


class OutputPool:
    """Reuses big result buffers once nobody holds them, so a new result skips page faults.

    A fresh 64 MB array costs the kernel a page fault per 4 KB page on first write, which is
    about as long as the 3x3 filter itself. A buffer is handed out again only when the pool's
    own references are the only ones left: any caller's array or view of it keeps it busy.
    """

    # glibc's malloc reuses freed blocks below 32 MB itself (its largest mmap threshold);
    # from 32 MB up every allocation is a fresh mmap, so only those are worth recycling here.
    def __init__(self, max_buffers: int = 3, min_bytes: int = 1 << 25):
        self.max_buffers, self.min_bytes = max_buffers, min_bytes
        self._buffers: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.enabled = True

    @contextmanager
    def disabled(self) -> Iterator[None]:
        """Hand out fresh arrays inside the block (benchmarks: the first-use cost)."""
        self.enabled = False
        try:
            yield
        finally:
            self.enabled = True

    def empty(self, shape: tuple[int, int]) -> np.ndarray:
        """A float32 array of ``shape`` (contents undefined), recycled where possible."""
        if not self.enabled or shape[0] * shape[1] * 4 < self.min_bytes:
            return np.empty(shape, np.float32)
        with self._lock:
            for i in range(len(self._buffers)):
                # 2 references: the pool's list and getrefcount's own argument
                if self._buffers[i].shape == shape and sys.getrefcount(self._buffers[i]) <= 2:
                    return self._buffers[i]
            buf = np.empty(shape, np.float32)
            if len(self._buffers) >= self.max_buffers:
                busy = [sys.getrefcount(b) > 2 for b in self._buffers]
                if all(busy):
                    return buf  # every pooled buffer is in use: this one is not pooled
                self._buffers.pop(busy.index(False))  # drop an idle buffer of another shape
            self._buffers.append(buf)
            return buf


# Shared by filter results and decoded images: at most 4 idle buffers stay allocated
# (256 MB for 4096 x 4096 float32), the price of skipping page faults on every new result.
OUTPUTS = OutputPool(max_buffers=4)
