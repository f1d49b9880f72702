"""Built-in sample images made by code (no downloads), so the kernel lab works offline."""

from __future__ import annotations

import numpy as np

SAMPLES = ("lattice with grain boundary", "step edge", "checkerboard", "chapter 6x8 stripes")


def chapter_stripes() -> np.ndarray:
    """The chapter's 6x8 image: ones with columns 2..5 set to 0 (edge detection section)."""
    X = np.ones((6, 8), dtype=np.float32)
    X[:, 2:6] = 0
    return X


def step_edge(size: int = 128, *, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Left half ``low``, right half ``high``: one vertical edge."""
    X = np.full((size, size), low, dtype=np.float32)
    X[:, size // 2:] = high
    return X


def checkerboard(size: int = 128, square: int = 16) -> np.ndarray:
    """Alternating 0/1 squares of ``square`` pixels."""
    idx = np.arange(size) // square
    return ((idx[:, None] + idx[None, :]) % 2).astype(np.float32)


def lattice_micrograph(size: int = 256, *, spacing: float = 8.0, angle_deg: float = 25.0,
                       dose: float = 50.0, seed: int = 0) -> np.ndarray:
    """Synthetic HRTEM-like image: two crystal grains meeting at a boundary, with shot noise.

    Each grain is a square lattice of Gaussian atom columns (``spacing`` pixels apart); the right
    grain is rotated by ``angle_deg``. The boundary runs diagonally. Counts are Poisson with a
    mean of ``dose`` electrons per pixel at full brightness.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)

    def grain(theta: float) -> np.ndarray:
        c, s = np.cos(theta), np.sin(theta)
        u, v = (c * xx + s * yy) / spacing, (-s * xx + c * yy) / spacing
        du, dv = u - np.round(u), v - np.round(v)  # offset to the nearest atom column
        return np.exp(-(du**2 + dv**2) / (2 * 0.18**2))

    boundary = xx - 0.4 * yy - size * 0.35  # > 0 on the right grain
    weight = 0.5 * (1 + np.tanh(boundary / 3.0))  # logistic step: a soft, 2-3 pixel boundary
    clean = (1 - weight) * grain(0.0) + weight * grain(np.deg2rad(angle_deg))
    clean = 0.2 + 0.8 * clean
    return shot_noise(clean, dose, seed=seed)


def shot_noise(image, dose: float, *, seed: int = 0) -> np.ndarray:
    """Poisson counts at ``dose`` electrons per pixel for value 1 (image scaled to 0..1 first).

    The result is in counts divided by dose, so it keeps the image's 0..1 brightness scale and
    only the noise changes: relative noise falls as 1/sqrt(dose).
    """
    if not dose > 0:
        raise ValueError(f"The dose must be above 0 electrons per pixel, got {dose}.")
    X = np.asarray(image, dtype=np.float64)
    lo, hi = float(X.min()), float(X.max())
    scaled = (X - lo) / (hi - lo) if hi > lo else np.zeros_like(X)
    counts = np.random.default_rng(seed).poisson(scaled * dose)
    return (counts / dose).astype(np.float32)


def sample(name: str, size: int = 256) -> np.ndarray:
    """A built-in sample by name (see SAMPLES)."""
    if name == "lattice with grain boundary":
        return lattice_micrograph(size)
    if name == "step edge":
        return step_edge(size)
    if name == "checkerboard":
        return checkerboard(size, max(size // 8, 1))
    if name == "chapter 6x8 stripes":
        return chapter_stripes()
    raise ValueError(f"Unknown sample {name!r}: choose one of {', '.join(SAMPLES)}.")


# Synthetic EDS-like phases: (name, X-ray lines in keV with relative heights).
SPECTRUM_PHASES = (("silicon matrix", ((1.74, 1.0),)),
                   ("iron particle", ((6.40, 1.0), (7.06, 0.15), (0.70, 0.3))),
                   ("copper grain", ((8.05, 1.0), (8.90, 0.15), (0.93, 0.4))))


def spectrum_image(size: int = 64, channels: int = 200, *, dose: float = 20.0, seed: int = 0):
    """A synthetic EDS spectrum image: three phases with their own X-ray lines, Poisson noise.

    The matrix fills the field; an iron disc sits left of centre and a copper band crosses the
    right. Each pixel's spectrum is its phase's lines (Gaussians, 0.07 keV wide) on a falling
    bremsstrahlung background, drawn as counts with ``dose`` counts at a line's peak.
    Returns (SpectrumImage with channels 0..10 keV, the (size, size) phase index map).
    """
    from cnnviz.formats.spectra import SpectrumImage

    energy = np.linspace(0.2, 10.0, channels)  # keV
    spectra = []
    for _, lines in SPECTRUM_PHASES:
        peaks = sum(h * np.exp(-((energy - e) ** 2) / (2 * 0.07**2)) for e, h in lines)
        spectra.append(peaks + 0.08 * np.exp(-energy / 3.0))
    yy, xx = np.mgrid[0:size, 0:size] / size
    phase = np.zeros((size, size), np.int64)
    phase[(yy - 0.5) ** 2 + (xx - 0.3) ** 2 < 0.18**2] = 1
    phase[np.abs(xx - 0.75 - 0.2 * (yy - 0.5)) < 0.08] = 2
    clean = np.asarray(spectra)[phase]  # (size, size, channels)
    counts = np.random.default_rng(seed).poisson(clean * dose).astype(np.float32)
    return SpectrumImage(counts, 1.0, energy, "Energy", "keV", "synthetic"), phase
