"""1x1 convolution on a spectrum image equals torch's conv2d with a 1x1 kernel."""

import numpy as np
import pytest
import torch

from cnnviz.lab import samples
from cnnviz.teach.spectral import channel_maps, window_weights


@pytest.mark.parametrize(("h", "w", "c", "c_out"), [(4, 5, 7, 1), (6, 3, 20, 3), (1, 1, 2, 2)])
def test_channel_maps_equal_conv2d_with_a_1x1_kernel(h, w, c, c_out):
    rng = np.random.default_rng(h * w * c)
    cube = rng.random((h, w, c)).astype(np.float32)
    weights = rng.standard_normal((c_out, c)).astype(np.float32)
    expected = torch.nn.functional.conv2d(torch.from_numpy(cube).permute(2, 0, 1)[None],
                                          torch.from_numpy(weights)[:, :, None, None])[0]
    torch.testing.assert_close(torch.from_numpy(channel_maps(cube, weights)), expected)


def test_window_weights_select_channels_near_each_centre():
    weights = window_weights(np.arange(10.0), [(2.0, 1.0), (8.0, 0.4)])
    np.testing.assert_array_equal(weights, [[0, 1, 1, 1, 0, 0, 0, 0, 0, 0],
                                            [0, 0, 0, 0, 0, 0, 0, 0, 1, 0]])


def test_element_windows_separate_the_synthetic_phases():
    si, phase = samples.spectrum_image(size=48)
    lines = [(lines[0][0], 0.15) for _, lines in samples.SPECTRUM_PHASES]
    maps = channel_maps(si.cube, window_weights(si.channels, lines))
    for p in range(3):  # each phase is brightest in its own element's map
        assert np.argmax([m[phase == p].mean() for m in maps]) == p


def test_wrong_channel_count_is_refused():
    with pytest.raises(ValueError, match="spectrum image has 5"):
        channel_maps(np.zeros((2, 2, 5), np.float32), np.zeros((1, 4), np.float32))
