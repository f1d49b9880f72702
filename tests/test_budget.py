"""The server-wide upload budget: LRU eviction across sessions, refusal of one huge upload."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnviz.lab.budget import BudgetError, SessionStore, size_of

MB = 2**20


def test_size_of_counts_each_buffer_once():
    a = np.zeros((256, 256), np.float32)
    assert size_of({"array": a, "view": a[10:], "data": b"x" * 100, "none": None}) == a.nbytes + 100


def test_least_recently_used_session_is_evicted_first():
    store = SessionStore(3 * MB)
    for owner in "abc":
        store.put(owner, "image", np.zeros(MB, np.uint8))
    store.get("a", "image")  # a is used again: b is now the oldest
    store.put("d", "image", np.zeros(MB, np.uint8))
    assert store.get("b", "image") is None
    assert store.was_evicted("b", "image")
    assert all(store.get(o, "image") is not None for o in "acd")
    assert store.used_bytes == 3 * MB


def test_a_session_replaces_its_own_value_and_keeps_it_over_others():
    store = SessionStore(2 * MB)
    store.put("a", "image", np.zeros(MB, np.uint8))
    store.put("b", "image", np.zeros(MB, np.uint8))
    store.put("b", "result", np.zeros(MB, np.uint8))  # evicts a, not b's image
    assert store.was_evicted("a", "image")
    assert store.get("b", "image") is not None
    store.put("b", "image", np.zeros(MB, np.uint8))  # replaces, nothing else to evict
    assert store.used_bytes == 2 * MB
    assert not store.was_evicted("b", "result")


def test_one_value_larger_than_the_budget_is_refused():
    store = SessionStore(MB)
    store.put("a", "image", np.zeros(MB // 2, np.uint8))
    with pytest.raises(BudgetError, match="more than the 1 MB that all sessions share"):
        store.put("b", "image", np.zeros(2 * MB, np.uint8))
    assert store.get("a", "image") is not None  # nothing was evicted for a refused value


_CHILD = """
import json, sys
sys.path.insert(0, "tests")
import numpy as np
from imagefiles import tiff_bytes
from memprobe import memory_kb
from cnnviz.imageio import load_image
from cnnviz.lab.budget import SessionStore
from cnnviz.lab.filtering import apply_kernel

sessions, side, budget_mb = (int(a) for a in sys.argv[1:4])
store = SessionStore(budget_mb * 2**20)
rng = np.random.default_rng(0)
upload = tiff_bytes((rng.random((side, side)) * 65535).astype(np.uint16))
sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)
evicted = 0
for s in range(sessions):
    owner = f"student {s}"
    image = load_image(upload, "micrograph.tif")
    store.put(owner, "image", {"array": image.array, "data": None})
    result = apply_kernel(image.array, sobel)
    store.put(owner, "result", (None, image.array, result))
    del image, result
    evicted = sum(store.was_evicted(f"student {o}", "image") for o in range(s + 1))
print(json.dumps({"peak_mb": memory_kb() / 1024,
                  "used_mb": store.used_bytes / 2**20, "evicted": evicted}))
"""


def run_sessions(sessions: int, side: int, budget_mb: int) -> dict:
    """Sessions upload and filter one image each in a fresh interpreter; its peak memory."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(sessions), str(side),
                           str(budget_mb)], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_150_sessions_of_4096_pixel_uploads_stay_under_budget_plus_1_gb():
    """Each session keeps a 64 MB image and a 64 MB result; 150 of them would need 19 GB."""
    budget_mb = 2048
    measured = run_sessions(150, 4096, budget_mb)
    assert measured["used_mb"] <= budget_mb
    assert measured["peak_mb"] < budget_mb + 1024
    assert measured["evicted"] >= 150 - budget_mb // 64


def test_the_budget_follows_the_setting(monkeypatch):
    store = SessionStore()
    monkeypatch.setenv("CNNVIZ_UPLOAD_BUDGET_MB", "16")
    assert store.budget_bytes == 16 * MB
    with pytest.raises(BudgetError, match="16 MB"):
        store.put("a", "image", np.zeros(17 * MB, np.uint8))
    monkeypatch.delenv("CNNVIZ_UPLOAD_BUDGET_MB")
    assert store.budget_bytes == 2048 * MB


def test_a_buffer_shared_by_two_slots_of_a_session_is_charged_once():
    store = SessionStore(3 * MB)
    image = np.zeros(MB, np.uint8)
    store.put("a", "image", {"array": image})
    store.put("a", "result", (image, np.zeros(MB, np.uint8)))  # the source is the image
    assert store.used_bytes == 2 * MB
    store.drop("a", "image")  # the result still holds the image's buffer
    assert store.used_bytes == 2 * MB
    store.drop("a", "result")
    assert store.used_bytes == 0
