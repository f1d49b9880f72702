"""Kernel presets, normalisation, separability and the frequency response (torch.fft reference)."""

import numpy as np
import pytest
import torch

from cnnviz.lab import kernels
from cnnviz.lab.filtering import apply_kernel


@pytest.mark.parametrize("name", kernels.PRESETS)
def test_every_preset_is_a_valid_kernel(name):
    K = kernels.preset(name)
    assert K.dtype == np.float32
    assert 1 <= max(K.shape) <= kernels.MAX_SIZE


def test_known_values():
    np.testing.assert_array_equal(kernels.preset("difference [1, -1]"), [[1, -1]])
    np.testing.assert_array_equal(kernels.preset("difference [1, -1] transposed"), [[1], [-1]])
    np.testing.assert_array_equal(kernels.preset("Sobel x"), [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    np.testing.assert_array_equal(kernels.preset("Sobel y"), kernels.preset("Sobel x").T)
    np.testing.assert_array_equal(kernels.preset("Laplacian").sum(), 0)
    assert kernels.preset("sharpen").sum() == 1
    assert kernels.box(5).sum() == pytest.approx(1)


def test_gaussian_sums_to_one_and_is_symmetric():
    G = kernels.gaussian(1.0)
    assert G.shape == (7, 7)
    assert G.sum() == pytest.approx(1, abs=1e-6)
    np.testing.assert_allclose(G, G.T)
    assert kernels.gaussian(4.0).shape == (15, 15)


@pytest.mark.parametrize("v", [(1, 0), (0, 1), (1, 1), (2, -1), (-3, 0.5)])
def test_directional_derivative_measures_the_slope_along_v(v):
    """On a linear ramp f = a*row + b*col the response is the slope along v: (a, b) . v/|v|."""
    a, b = 0.7, -1.3
    rows, cols = np.mgrid[0:9, 0:9].astype(np.float32)
    ramp = a * rows + b * cols
    out = apply_kernel(ramp, kernels.directional_derivative(v))
    expected = (a * v[0] + b * v[1]) / np.hypot(*v)
    np.testing.assert_allclose(out[1:-1, 1:-1], expected, rtol=1e-5, atol=1e-5)


def test_directional_derivative_ignores_edges_along_the_orthogonal_direction():
    """An edge running along (v2, -v1), i.e. orthogonal to v = (1, 0), gives no response ..."""
    X = np.zeros((9, 9), np.float32)
    X[:, 5:] = 1  # a vertical edge: intensity changes along columns only
    assert np.abs(apply_kernel(X, kernels.directional_derivative((1, 0)))[1:-1]).max() == 0
    assert np.abs(apply_kernel(X, kernels.directional_derivative((0, 1)))).max() == 0.5
    with pytest.raises(ValueError, match="non-zero"):
        kernels.directional_derivative((0, 0))


def test_normalize():
    assert kernels.normalize(np.ones((3, 3))).sum() == pytest.approx(1)
    lap = kernels.normalize(kernels.preset("Laplacian"))
    assert np.abs(lap).sum() == pytest.approx(2)
    assert lap.sum() == pytest.approx(0)
    with pytest.raises(ValueError, match="all-zero"):
        kernels.normalize(np.zeros((2, 2)))


def test_separable_factors():
    col, row = kernels.separable_factors(kernels.preset("Sobel x"))
    np.testing.assert_allclose(np.outer(col, row), kernels.preset("Sobel x"), atol=1e-6)
    assert kernels.separable_factors(kernels.preset("Laplacian")) is None


@pytest.mark.parametrize("name", ["Sobel x", "Laplacian", "difference [1, -1]", "Gaussian blur"])
def test_frequency_response_equals_torch_fft(name):
    K = kernels.preset(name)
    padded = torch.zeros(32, 32, dtype=torch.float64)
    padded[: K.shape[0], : K.shape[1]] = torch.from_numpy(K).double()
    expected = torch.fft.fftshift(torch.fft.fft2(padded)).abs().float()
    torch.testing.assert_close(torch.from_numpy(kernels.frequency_response(K, 32)), expected,
                               rtol=1e-5, atol=1e-5)


def test_frequency_response_shapes_blur_versus_derivative():
    """A blur passes zero frequency; a difference kernel blocks it and passes the highest."""
    centre = 32  # fftshift puts frequency 0 at index size // 2
    blur = kernels.frequency_response(kernels.gaussian(1.0))
    diff = kernels.frequency_response([[1, -1]])
    assert blur[centre, centre] == pytest.approx(1, abs=1e-5)
    assert diff[centre, centre] == pytest.approx(0, abs=1e-6)
    assert diff[centre, 0] == pytest.approx(2, abs=1e-5)
    assert kernels.frequency_axis()[centre] == 0


def test_as_kernel_rejects_bad_grids():
    with pytest.raises(ValueError, match="number"):
        kernels.as_kernel([["a", 1]])
    with pytest.raises(ValueError, match="2-D"):
        kernels.as_kernel([1, 2, 3])
    with pytest.raises(ValueError, match="Unknown preset"):
        kernels.preset("emboss")


def test_parse_kernel_text():
    np.testing.assert_array_equal(kernels.parse_kernel_text("1 -1"), [[1, -1]])
    np.testing.assert_array_equal(kernels.parse_kernel_text("1, 0, -1; 2 0 -2\n1 0 -1"),
                                  kernels.preset("Sobel x"))
    with pytest.raises(ValueError, match=r"Row 2 has 2 number\(s\)"):
        kernels.parse_kernel_text("1 2 3; 4 5")
    with pytest.raises(ValueError, match="Not a number: 'x'"):
        kernels.parse_kernel_text("1 x")
    with pytest.raises(ValueError, match="at least one number"):
        kernels.parse_kernel_text(" ; ")


def _painted(shape, strokes):
    """An RGBA canvas of the kernel grid with whole cells painted: {(row, col): colour}."""
    cell = kernels.PAINT_CELL
    image = np.zeros((shape[0] * cell, shape[1] * cell, 4), np.uint8)
    image[..., :3], image[..., 3] = 255, 255  # white background
    image[::cell, :, :3] = 180  # the grey grid lines
    for (r, c), colour in strokes.items():
        rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
        image[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell, :3] = rgb
    return image


def test_painting_red_adds_blue_subtracts_per_cell():
    image = _painted((2, 3), {(0, 0): kernels.PAINT_POSITIVE, (1, 2): kernels.PAINT_NEGATIVE})
    K = kernels.kernel_from_painting(image, (2, 3), strength=2.0)
    np.testing.assert_allclose(K, [[2.0, 0.0, 0.0], [0.0, 0.0, -2.0]])


def test_half_painted_cell_gets_half_the_value():
    image = _painted((1, 2), {})
    half = kernels.PAINT_CELL // 2
    image[:, :half, :3] = [int(kernels.PAINT_POSITIVE[i:i + 2], 16) for i in (1, 3, 5)]
    np.testing.assert_allclose(kernels.kernel_from_painting(image, (1, 2)), [[0.5, 0.0]])


def test_paint_grid_has_one_square_per_cell():
    drawing = kernels.paint_grid((3, 4))
    assert len(drawing["objects"]) == 12
    assert {o["left"] for o in drawing["objects"]} == {0, 40, 80, 120}


def test_painting_of_the_wrong_size_is_a_clear_error():
    with pytest.raises(ValueError, match="does not match the kernel grid"):
        kernels.kernel_from_painting(np.zeros((10, 10, 4), np.uint8), (15, 15))
