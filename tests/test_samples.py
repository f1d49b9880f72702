"""Built-in samples and the shot-noise (dose) model."""

import numpy as np
import pytest

from cnnviz.lab import samples


@pytest.mark.parametrize("name", samples.SAMPLES)
def test_every_sample_is_a_finite_float_image(name):
    X = samples.sample(name, 64)
    assert X.dtype == np.float32
    assert X.ndim == 2
    assert np.isfinite(X).all()


def test_chapter_stripes():
    np.testing.assert_array_equal(samples.chapter_stripes()[0], [1, 1, 0, 0, 0, 0, 1, 1])


def _lattice_angle(patch: np.ndarray) -> float:
    """Direction of the strongest lattice frequency, in degrees modulo 90."""
    power = np.abs(np.fft.fft2(patch - patch.mean()))
    power[0, 0] = 0
    ky, kx = np.unravel_index(np.argmax(power[: patch.shape[0] // 2]), power.shape)
    ky = ky if ky <= patch.shape[0] // 2 else ky - patch.shape[0]
    kx = kx if kx <= patch.shape[1] // 2 else kx - patch.shape[1]
    return float(np.degrees(np.arctan2(ky, kx)) % 90)


def test_lattice_has_two_grains_rotated_by_25_degrees():
    X = samples.lattice_micrograph(128, dose=1e6)  # nearly noise-free
    assert X.min() >= 0
    assert X.max() <= 1.01
    left, right = X[:40, :40], X[88:, 88:]  # either side of the diagonal grain boundary
    assert min(_lattice_angle(left), 90 - _lattice_angle(left)) < 5
    assert 15 < _lattice_angle(right) < 35 or 55 < _lattice_angle(right) < 75


def test_shot_noise_falls_as_one_over_sqrt_dose():
    flat = np.full((200, 200), 0.5, np.float32)
    flat[0, 0], flat[0, 1] = 0.0, 1.0  # so the 0..1 scaling keeps 0.5 at 0.5
    for dose in (10, 1000):
        noisy = samples.shot_noise(flat, dose, seed=1)
        assert noisy[1:].mean() == pytest.approx(0.5, rel=0.02)
        assert noisy[1:].std() == pytest.approx(np.sqrt(0.5 * dose) / dose, rel=0.05)
    with pytest.raises(ValueError, match="dose"):
        samples.shot_noise(flat, 0)
