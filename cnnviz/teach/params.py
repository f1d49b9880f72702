"""Parameter counts of one layer mapping an h x w image to an h x w hidden map (chapter: why conv).

Three layers, each a constraint on the one before: fully connected (every hidden cell has its own
weight for every pixel), translation invariant (one weight per offset (a, b), shared by all hidden
cells) and local (only offsets with |a|, |b| <= Delta). The chapter rounds the offset ranges to
(2h)(2w) and (2 Delta)^2; the exact counts are given beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SIDE = 100_000  # larger images only make the numbers unreadable


@dataclass(frozen=True)
class LayerCount:
    """One layer's weight count, as the chapter rounds it and exactly."""

    layer: str
    formula: str  # the chapter's formula
    chapter: int  # the chapter's (rounded) count
    exact_formula: str
    exact: int


def _check(h: int, w: int, delta: int) -> None:
    """Whole-number sizes in range, or a ValueError a student can act on."""
    for value, name in ((h, "image height"), (w, "image width")):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIDE:
            raise ValueError(f"The {name} must be a whole number from 1 to {MAX_SIDE:,}, "
                             f"got {value!r}.")
    if isinstance(delta, bool) or not isinstance(delta, int) or delta < 0:
        raise ValueError(f"Delta must be a whole number, 0 or more, got {delta!r}.")
    if delta >= max(h, w):
        raise ValueError(f"Delta = {delta} reaches past a {h}x{w} image: choose Delta below "
                         f"{max(h, w)}.")


def fully_connected(h: int, w: int) -> int:
    """Weights V[i, j, a, b]: every one of the hw hidden cells sees every one of the hw pixels."""
    return (h * w) ** 2


def translation_invariant(h: int, w: int) -> int:
    """Weights V[a, b], a in (-h, h), b in (-w, w), rounded as in the chapter: (2h)(2w) = 4hw."""
    return (2 * h) * (2 * w)


def translation_invariant_exact(h: int, w: int) -> int:
    """Offsets that reach from some pixel to another one: a in -(h-1)..h-1, b in -(w-1)..w-1."""
    return (2 * h - 1) * (2 * w - 1)


def local(delta: int) -> int:
    """Weights V[a, b] with |a|, |b| <= Delta, rounded as in the chapter: (2 Delta)^2."""
    return 4 * delta ** 2


def local_exact(delta: int) -> int:
    """Offsets -Delta..Delta in each axis: a (2 Delta + 1) x (2 Delta + 1) kernel."""
    return (2 * delta + 1) ** 2


def parameter_counts(h: int, w: int, delta: int) -> list[LayerCount]:
    """The three layers of the chapter's argument for an h x w image and window half-width Delta."""
    _check(h, w, delta)
    fc = fully_connected(h, w)
    return [
        LayerCount("fully connected", "(h·w)²", fc, "(h·w)²", fc),
        LayerCount("translation invariant", "(2h)·(2w) = 4·h·w", translation_invariant(h, w),
                   "(2h−1)·(2w−1)", translation_invariant_exact(h, w)),
        LayerCount("local (convolution)", "(2Δ)² = 4·Δ²", local(delta), "(2Δ+1)²",
                   local_exact(delta)),
    ]


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(n: int) -> str:
    """A count as the chapter writes it when it can: 10¹², 4·10⁶; otherwise with separators."""
    if n > 0:
        text = str(n)
        digits = text.rstrip("0")
        zeros = len(text) - len(digits)
        if zeros >= 3 and len(digits) == 1:
            power = f"10{str(zeros).translate(_SUPERSCRIPT)}"
            return power if digits == "1" else f"{digits}·{power}"
    return f"{n:,}"
