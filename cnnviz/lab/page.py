"""The kernel lab page's configuration, declared once: picture, kernel, filter and display."""

from __future__ import annotations

from cnnviz.lab import kernels, samples
from cnnviz.lab.filtering import BORDER_MODES
from cnnviz.pageconfig import Field, PageSpec

SOURCES = ("Built-in sample", "My upload")  # the upload itself never travels in a link
OPERATIONS = ("cross-correlation", "convolution (kernel flipped)")
DEVICES = ("cpu", "cuda", "mps")  # the page offers those this machine has
DOSES = (0, 1, 3, 10, 30, 100, 300, 1000)  # electrons per pixel; 0: no added noise
ZOOMS = (1, 2, 4, 8, 16, 32)
PRESET_PARAMETERS = ("preset", "sigma", "box", "v1", "v2")
DISPLAY_FIELDS = ("zoom", "cy", "cx", "pct", "gamma")  # how the pair is shown, not filtered
# The parameters each preset uses (the page shows only these); the others have none.
PRESET_USES = {"Gaussian blur": ("sigma",), "box blur": ("box",),
               "directional derivative": ("v1", "v2")}


def preset_note(config: dict) -> str | None:
    """What the page says about the preset's size: the Gaussian's follows sigma, maybe capped."""
    if config["preset"] != "Gaussian blur":
        return None
    used, wanted = kernels.gaussian_size(config["sigma"])
    if used == wanted:
        return f"σ = {config['sigma']:g}: {used} x {used} kernel (covers ±3σ, 2·ceil(3σ)+1)."
    return (f"σ = {config['sigma']:g} would need {wanted} x {wanted} to cover ±3σ; capped at the "
            f"largest kernel, {used} x {used} (covers ±{(used - 1) / 2 / config['sigma']:.2g}σ).")


def preset_kernel(config: dict) -> list[list[float]]:
    """The kernel of the configuration's preset with its parameters (sigma, size, direction)."""
    return kernels.preset(config["preset"], sigma=config["sigma"], size=int(config["box"]),
                          direction=(config["v1"], config["v2"])).tolist()


FIELDS = {
    "source": Field("choice", SOURCES[0], choices=SOURCES),
    "sample": Field("choice", samples.SAMPLES[0], choices=samples.SAMPLES),
    "preset": Field("choice", "Sobel x", choices=kernels.PRESETS),
    "sigma": Field("float", 1.0, low=0.3, high=5.0),
    "box": Field("int", 3, low=1, high=kernels.MAX_SIZE),
    "v1": Field("float", 1.0, low=-10.0, high=10.0),
    "v2": Field("float", 1.0, low=-10.0, high=10.0),
    "kernel": Field("kernel", kernels.preset("Sobel x").tolist(), max_side=kernels.MAX_SIZE),
    "op": Field("choice", OPERATIONS[0], choices=OPERATIONS),
    "mode": Field("choice", "zeros", choices=BORDER_MODES),
    "device": Field("choice", "cpu", choices=DEVICES),
    "dose": Field("choice", 0, choices=DOSES),
    "pct": Field("range", (0.5, 99.5), low=0.0, high=100.0),
    "gamma": Field("float", 1.0, low=0.2, high=3.0),
    "zoom": Field("choice", 1, choices=ZOOMS),
    "cy": Field("float", 0.5, low=0.0, high=1.0),
    "cx": Field("float", 0.5, low=0.0, high=1.0),
}
PAGE = PageSpec("kl", FIELDS)
