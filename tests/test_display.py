"""Browser renderings: view windows, downsampling, contrast, diverging colours, histogram."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.lab import display, samples


def test_view_window_zoom_and_pan():
    assert display.view_window((100, 200)) == (slice(0, 100), slice(0, 200))
    rows, cols = display.view_window((100, 200), zoom=4, center=(0.0, 1.0))
    assert (rows, cols) == (slice(0, 25), slice(150, 200))
    with pytest.raises(ValueError, match="Zoom"):
        display.view_window((10, 10), zoom=0.5)


def test_downsample_keeps_coarse_detail_like_avg_pool():
    rows, cols = np.indices((1024, 512))
    X = (np.sin(rows / 40) * np.cos(cols / 25)).astype(np.float32)  # detail far above 4 px
    small = display.downsample(X, 256)
    assert small.shape == (256, 128)
    expected = F.avg_pool2d(torch.from_numpy(X)[None, None], 4)[0, 0]
    inner = (slice(2, -2), slice(2, -2))  # the low-pass reflects at the borders
    torch.testing.assert_close(torch.from_numpy(small)[inner], expected[inner], rtol=0,
                               atol=0.02)
    assert display.downsample(X[:10, :10], 256).shape == (10, 10)


@pytest.mark.parametrize("side", [768, 1024, 1900])  # 1.5, 2 and 3.7 pixels per dot
def test_downsampled_fine_stripes_keep_their_mean_without_alias_stripes(side):
    rows, cols = np.indices((side, side))
    checkerboard = ((rows + cols) % 2 * 2 - 1).astype(np.float32)  # the Nyquist rate
    stripes = (cols % 3 == 0).astype(np.float32)  # a 3-pixel period: moire at 1.5 and 2
    for pattern in (checkerboard, stripes):
        small = display.downsample(pattern, 512)
        assert abs(small.mean() - pattern.mean()) < 1e-3
        # Plain area averaging leaves std 0.11 (checkerboard) and 0.33 / 0.24 (stripes).
        assert small.std() < 0.07


def test_contrast_and_gamma():
    X = np.linspace(0, 100, 1001, dtype=np.float32)[None]
    lo, hi = display.contrast_limits(X, 10, 90)
    assert (lo, hi) == pytest.approx((10, 90))
    gray = display.to_gray8(X, lo, hi)
    assert gray.min() == 0
    assert gray.max() == 255
    assert gray[0, 500] == 128
    assert display.to_gray8(X, 0, 100, gamma=2.0)[0, 500] == round(0.25 * 255)


def test_result_is_white_at_zero_with_a_symmetric_limit():
    result = np.zeros((4, 6))
    result[0, 0], result[0, 1] = -2.0, 2.0
    view = display.render_pair(np.ones((4, 6)), result)
    assert view["signed_limit"] == 2.0  # the 99.5th percentile of |values|
    rgb = view["result"]
    assert tuple(rgb[2, 3]) == (247, 247, 247)
    assert rgb[0, 0, 2] > rgb[0, 0, 0]  # negative: blue
    assert rgb[0, 1, 0] > rgb[0, 1, 2]  # positive: red
    assert display.render_pair(np.ones((4, 4)), np.zeros((4, 4)))["signed_limit"] == 1.0


def test_render_pair_sends_at_most_max_side_pixels():
    image = samples.checkerboard(2048, 64)
    view = display.render_pair(image, image - 0.5, zoom=2, max_side=256)
    assert view["image"].shape == (256, 256)
    assert view["result"].shape == (256, 256, 3)
    assert view["rows"] == (512, 1536)
    assert view["scale"] == 4


def test_histogram_counts_every_pixel():
    counts, edges = display.histogram(samples.checkerboard(64, 8), bins=4)
    assert counts.sum() == 64 * 64
    assert counts[0] == counts[-1] == 2048


def test_nm_footprint():
    assert display.nm_footprint((3, 5), 0.2) == "3 x 5 pixels = 0.6 x 1 nm"
    assert "unknown" in display.nm_footprint((3, 3), None)
