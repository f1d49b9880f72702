"""Memory follows what a file holds: hostile declared sizes are refused before allocating.

Each case runs load_image in a fresh interpreter and reads its peak resident memory
(VmHWM, see memprobe); the bound is relative to the decoded float32 array, not a timing.
"""

import numpy as np
import pytest
from hostilefiles import (
    mrc_declaring_extended_header,
    mrc_declaring_frames,
    png_zeros,
    tiff_tiled_zeros,
)
from imagefiles import tiff_bytes
from memprobe import peak_memory

from cnnviz.formats import values
from cnnviz.imageio import ImageLoadError, load_image

MB = 2**20
REFUSED_EXTRA = 64 * MB  # a refused file may cost parsing, never its declared size

CASES = {
    "nz100000.mrc": (mrc_declaring_frames, "shorter than its header declares"),
    "ext_header.mrc": (mrc_declaring_extended_header, "shorter than its header declares"),
    "rgba_float64.tif": (tiff_tiled_zeros, "would take 2,048 MB"),
    "rgba_8192.png": (png_zeros, None),  # valid: it loads, within the bound
}


@pytest.mark.parametrize("name", CASES)
def test_peak_memory_of_hostile_declared_sizes(tmp_path, name):
    make, refusal = CASES[name]
    path = tmp_path / name
    path.write_bytes(make())
    probe = peak_memory(path, name)
    extra = (probe["peak_kb"] - probe["baseline_kb"]) * 1024
    assert probe["peak_kb"] * 1024 < 1024 * MB
    if refusal is None:
        assert probe["outcome"] == "loaded"
        assert extra < 8 * probe["array_bytes"]
    else:
        assert refusal in probe["outcome"]
        assert extra < REFUSED_EXTRA


def test_memory_error_becomes_image_load_error(monkeypatch):
    def exhausted(shape):
        raise MemoryError
    monkeypatch.setattr(values.OUTPUTS, "empty", exhausted)
    with pytest.raises(ImageLoadError, match="ran out of memory"):
        load_image(tiff_bytes(np.zeros((8, 8), np.uint16)), "a.tif")
