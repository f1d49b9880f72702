"""Teaching operations: cross-correlation, convolution, padding and pooling, written step by step.

Each function mirrors a section of the CNN chapter and equals its ``torch.nn.functional``
counterpart on every valid input (see tests/test_ops.py). They are deliberately plain loops:
the animation pages replay exactly these steps.
"""

from __future__ import annotations

import torch

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
POOL_MODES = ("max", "avg")


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """Turn an int or a pair of ints into a validated (height, width) pair."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} takes one number or a pair (height, width), got {value!r}.")
        pair = tuple(value)
    else:
        pair = (value, value)
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{name} must be a whole number, got {v!r}.")
        if v < minimum:
            rule = "0 or more" if minimum == 0 else f"at least {minimum}"
            raise ValueError(f"{name} must be {rule}, got {v}.")
    return pair  # type: ignore[return-value]


def _as_tensor(X, name: str, ndim: int) -> torch.Tensor:
    """Accept a tensor (or nested lists) with exactly ``ndim`` dimensions, none of them empty."""
    T = X if isinstance(X, torch.Tensor) else torch.as_tensor(X, dtype=torch.float32)
    if T.dim() != ndim:
        raise ValueError(f"The {name} must have {ndim} dimensions, got shape {tuple(T.shape)}.")
    if T.numel() == 0:
        raise ValueError(f"The {name} is empty (shape {tuple(T.shape)}).")
    if not T.is_floating_point():
        T = T.to(torch.float32)
    return T


def output_size(n: int, k: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    """Output length along one axis: floor((n + 2p - d(k-1) - 1) / s) + 1 (padding p per side)."""
    for value, name, minimum in ((n, "input size", 1), (k, "kernel size", 1),
                                 (padding, "padding", 0), (stride, "stride", 1),
                                 (dilation, "dilation", 1)):
        _pair(value, name, minimum)
    span = dilation * (k - 1) + 1  # how many input cells the (dilated) window covers
    padded = n + 2 * padding
    if span > padded:
        detail = f" (a {k}-wide kernel with dilation {dilation})" if dilation > 1 else ""
        raise ValueError(
            f"The window spans {span} cells{detail} but the padded input has only "
            f"{padded} ({n} + 2x{padding} padding): make the kernel smaller or add padding.")
    return (padded - span) // stride + 1


def _source_index(i: int, n: int, mode: str) -> int | None:
    """Input index that padded position ``i`` copies, or None where the padding is a constant."""
    if 0 <= i < n:
        return i
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    if mode == "circular":
        return i % n
    if mode == "reflect":  # mirror around the edge cell, which itself is not repeated
        return -i if i < 0 else 2 * (n - 1) - i
    return None


def _check_padding_mode(mode: str, padding: tuple[int, int], shape: tuple[int, int]) -> None:
    """Reject padding modes that do not exist or cannot produce the requested padding."""
    if mode not in PADDING_MODES:
        choices = ", ".join(PADDING_MODES)
        raise ValueError(f"Unknown padding mode {mode!r}: choose one of {choices}.")
    for p, n, axis in zip(padding, shape, ("height", "width"), strict=False):
        if mode == "reflect" and p >= n:
            raise ValueError(f"Reflect padding of {p} needs an input {axis} above {p}, got {n}.")
        if mode == "circular" and p > n:
            raise ValueError(f"Circular padding of {p} needs an input {axis} of at least {p}, "
                             f"got {n}.")


def pad2d(X, padding=0, padding_mode: str = "zeros", value: float = 0.0) -> torch.Tensor:
    """Pad a 2-D tensor on every side; equals ``F.pad`` with the matching mode."""
    X = _as_tensor(X, "input", 2)
    ph, pw = _pair(padding, "padding", 0)
    _check_padding_mode(padding_mode, (ph, pw), tuple(X.shape))
    n_h, n_w = X.shape
    rows = [_source_index(i, n_h, padding_mode) for i in range(-ph, n_h + ph)]
    cols = [_source_index(j, n_w, padding_mode) for j in range(-pw, n_w + pw)]
    Y = torch.full((len(rows), len(cols)), value, dtype=X.dtype, device=X.device)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if r is not None and c is not None:
                Y[i, j] = X[r, c]
    return Y


def window_slice(i: int, j: int, kernel: tuple[int, int], stride=1, dilation=1):
    """Row and column slices of the padded input that output cell (i, j) reads."""
    kh, kw = kernel
    (sh, sw), (dh, dw) = _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    return (slice(i * sh, i * sh + dh * (kh - 1) + 1, dh),
            slice(j * sw, j * sw + dw * (kw - 1) + 1, dw))


def corr2d(X, K, *, padding=0, stride=1, dilation=1, padding_mode: str = "zeros") -> torch.Tensor:
    """2-D cross-correlation of one input channel with one kernel (chapter: cross-correlation)."""
    X, K = _as_tensor(X, "input", 2), _as_tensor(K, "kernel", 2)
    ph, pw = _pair(padding, "padding", 0)
    sh, sw = _pair(stride, "stride", 1)
    dh, dw = _pair(dilation, "dilation", 1)
    kh, kw = K.shape
    out_h = output_size(X.shape[0], kh, ph, sh, dh)
    out_w = output_size(X.shape[1], kw, pw, sw, dw)
    Xp = pad2d(X, (ph, pw), padding_mode)
    dtype = torch.promote_types(X.dtype, K.dtype)
    Y = torch.zeros((out_h, out_w), dtype=dtype, device=X.device)
    for i in range(out_h):
        for j in range(out_w):
            rows, cols = window_slice(i, j, (kh, kw), (sh, sw), (dh, dw))
            Y[i, j] = (Xp[rows, cols] * K).sum()
    return Y


def convolve2d(X, K, **kwargs) -> torch.Tensor:
    """True 2-D convolution: cross-correlation with the kernel flipped in both axes."""
    K = _as_tensor(K, "kernel", 2)
    return corr2d(X, torch.flip(K, (0, 1)), **kwargs)


def _check_channels(X: torch.Tensor, K: torch.Tensor) -> None:
    """Input and kernel must agree on the number of input channels."""
    if X.shape[0] != K.shape[-3]:
        raise ValueError(f"The input has {X.shape[0]} channels but the kernel expects "
                         f"{K.shape[-3]}: they must match.")


def corr2d_multi_in(X, K, **kwargs) -> torch.Tensor:
    """Cross-correlate each input channel with its kernel slice and sum over channels."""
    X, K = _as_tensor(X, "input", 3), _as_tensor(K, "kernel", 3)
    _check_channels(X, K)
    return sum(corr2d(x, k, **kwargs) for x, k in zip(X, K, strict=False))


def corr2d_multi_in_out(X, K, **kwargs) -> torch.Tensor:
    """One multi-input cross-correlation per output channel, stacked: K is (c_o, c_i, k_h, k_w)."""
    X, K = _as_tensor(X, "input", 3), _as_tensor(K, "kernel", 4)
    _check_channels(X, K)
    return torch.stack([corr2d_multi_in(X, k, **kwargs) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K) -> torch.Tensor:
    """1x1 convolution as a matrix product: (c_o, c_i) @ (c_i, h*w), reshaped to (c_o, h, w)."""
    X, K = _as_tensor(X, "input", 3), _as_tensor(K, "kernel", 4)
    _check_channels(X, K)
    if K.shape[-2:] != (1, 1):
        raise ValueError(f"A 1x1 convolution needs a 1x1 kernel, got {K.shape[-2]}x{K.shape[-1]}.")
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = K.reshape(c_o, c_i) @ X.reshape(c_i, h * w)
    return Y.reshape(c_o, h, w)


def pool2d(X, pool_size, mode: str = "max", *, padding=0, stride=1, dilation=1,
           padding_mode: str | None = None) -> torch.Tensor:
    """Max or average pooling of a (H, W) or (C, H, W) tensor; stride 1 unless given (chapter).

    Padding follows PyTorch: -inf for max pooling, zeros counted in the average for avg pooling.
    ``padding_mode`` ('zeros', 'reflect', 'replicate', 'circular') fills the border instead.
    """
    if mode not in POOL_MODES:
        raise ValueError(f"Unknown pooling mode {mode!r}: choose 'max' or 'avg'.")
    T = X if isinstance(X, torch.Tensor) else torch.as_tensor(X, dtype=torch.float32)
    if T.dim() == 3:
        return torch.stack([pool2d(x, pool_size, mode, padding=padding, stride=stride,
                                   dilation=dilation, padding_mode=padding_mode) for x in T])
    X = _as_tensor(T, "input", 2)
    kh, kw = _pair(pool_size, "pool size", 1)
    ph, pw = _pair(padding, "padding", 0)
    sh, sw = _pair(stride, "stride", 1)
    dh, dw = _pair(dilation, "dilation", 1)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"Pooling padding ({ph}, {pw}) may be at most half the window "
                         f"({kh // 2}, {kw // 2}); otherwise some windows would see only padding.")
    if mode == "avg" and (dh, dw) != (1, 1):
        raise ValueError("Average pooling has no dilation (PyTorch's AvgPool2d has none); "
                         "use max pooling or dilation 1.")
    out_h = output_size(X.shape[0], kh, ph, sh, dh)
    out_w = output_size(X.shape[1], kw, pw, sw, dw)
    if padding_mode is None:
        fill = float("-inf") if mode == "max" else 0.0
        Xp = pad2d(X, (ph, pw), "zeros", value=fill)
    else:
        Xp = pad2d(X, (ph, pw), padding_mode)
    Y = torch.zeros((out_h, out_w), dtype=X.dtype, device=X.device)
    for i in range(out_h):
        for j in range(out_w):
            window = Xp[window_slice(i, j, (kh, kw), (sh, sw), (dh, dw))]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y
