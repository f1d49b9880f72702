"""Matrices typed by people: parsing with readable errors, formatting back, and random fill.

Text form: one row per line, numbers separated by spaces or commas. Several channels are
separated by a blank line. The compact form used in links writes rows separated by ``;`` and
channels by ``|``.
"""

from __future__ import annotations

import math
import random
import re

MAX_SIDE = 32  # the largest height or width the animated pages accept (32x32 = 1024 frames)
MAX_CHANNELS = 4

Matrix = list[list[float]]


class MatrixError(ValueError):
    """A typed matrix that cannot be read; the message says what to fix."""


def _parse_number(token: str, row: int, col: int, name: str) -> float:
    """One entry, or a MatrixError that names its row and column."""
    try:
        value = float(token)
    except ValueError:
        raise MatrixError(f"{name}: row {row}, entry {col} is '{token}', which is not a "
                          f"number.") from None
    if not math.isfinite(value):
        raise MatrixError(f"{name}: row {row}, entry {col} is '{token}'; use finite numbers.")
    return value


def parse_matrix(text: str, name: str = "Matrix", max_side: int = MAX_SIDE) -> Matrix:
    """Rows of numbers (one per line or separated by ';') into a list of equal-length rows."""
    lines = [line.strip() for line in re.split(r"[\n;]", text or "")]
    lines = [line for line in lines if line]
    if not lines:
        raise MatrixError(f"{name} is empty: type at least one number.")
    if len(lines) > max_side:
        raise MatrixError(f"{name} has {len(lines)} rows; at most {max_side} fit the animation.")
    rows = []
    for r, line in enumerate(lines, start=1):
        tokens = [t for t in re.split(r"[\s,]+", line) if t]
        if len(tokens) > max_side:
            raise MatrixError(f"{name}: row {r} has {len(tokens)} numbers; at most {max_side} "
                              f"fit the animation.")
        rows.append([_parse_number(t, r, c, name) for c, t in enumerate(tokens, start=1)])
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise MatrixError(f"{name}: row {r} has {len(row)} numbers but row 1 has "
                              f"{len(rows[0])}; every row needs the same count.")
    return rows


def parse_channels(text: str, name: str = "Input", max_side: int = MAX_SIDE,
                   max_channels: int = MAX_CHANNELS) -> list[Matrix]:
    """Channels separated by a blank line (or '|'), each a matrix; all must share one shape."""
    blocks = [b for b in re.split(r"\n\s*\n|\|", (text or "").strip()) if b.strip()]
    if not blocks:
        raise MatrixError(f"{name} is empty: type at least one number.")
    if len(blocks) > max_channels:
        raise MatrixError(f"{name} has {len(blocks)} channels; at most {max_channels} are shown.")
    label = (lambda c: f"{name}, channel {c}") if len(blocks) > 1 else (lambda c: name)
    channels = [parse_matrix(b, label(c), max_side) for c, b in enumerate(blocks, start=1)]
    shape = (len(channels[0]), len(channels[0][0]))
    for c, m in enumerate(channels[1:], start=2):
        if (len(m), len(m[0])) != shape:
            raise MatrixError(f"{name}: channel {c} is {len(m)}x{len(m[0])} but channel 1 is "
                              f"{shape[0]}x{shape[1]}; all channels need the same size.")
    return channels


def exact_number(v: float) -> str:
    """A number written so that reading it back gives the same float: 19, -0.5, 0.1234."""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def format_matrix(M: Matrix) -> str:
    """A matrix as editable text (lossless): one row per line, numbers separated by spaces."""
    return "\n".join(" ".join(exact_number(v) for v in row) for row in M)


def format_channels(channels: list[Matrix]) -> str:
    """Channels as editable text, separated by a blank line."""
    return "\n\n".join(format_matrix(m) for m in channels)


def compact(channels: list[Matrix]) -> str:
    """Short lossless form for a link: rows joined by ';', channels by '|', numbers by ','."""
    return "|".join(";".join(",".join(exact_number(v) for v in row) for row in m)
                    for m in channels)


def random_matrix(rows: int, cols: int, low: int = 0, high: int = 9,
                  seed: int | None = None) -> Matrix:
    """Whole numbers drawn uniformly from [low, high], easy to follow in the arithmetic."""
    if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE):
        raise MatrixError(f"Sizes must be between 1 and {MAX_SIDE}, got {rows}x{cols}.")
    rng = random.Random(seed)
    return [[float(rng.randint(low, high)) for _ in range(cols)] for _ in range(rows)]


def resize_channels(channels: list[Matrix], c: int, h: int, w: int) -> list[Matrix]:
    """Channels cropped or zero-padded to c channels of h x w (size controls keep typed values)."""
    out = []
    for ch in range(c):
        src = channels[ch] if ch < len(channels) else []
        out.append([[float(src[r][col]) if r < len(src) and col < len(src[r]) else 0.0
                     for col in range(w)] for r in range(h)])
    return out
