"""PyTorch code that reproduces a page's current settings (to copy into a notebook)."""

from __future__ import annotations


def _number(v: float) -> str:
    """A float literal that reads back as exactly ``v``: 3. for whole numbers, else repr."""
    v = float(v)
    return f"{int(v)}." if v.is_integer() and abs(v) < 1e15 else repr(v)


def _arg(value: tuple[int, int] | int) -> str:
    """An int when both entries agree (as people write it), else the pair."""
    if isinstance(value, tuple) and value[0] == value[1]:
        return str(value[0])
    return str(tuple(value) if isinstance(value, tuple) else value)


def _tensor(channels: list[list[list[float]]]) -> str:
    """A torch.tensor literal of shape (1, C, H, W)."""
    def rows(m):
        return "[" + ", ".join("[" + ", ".join(_number(v) for v in r) + "]" for r in m) + "]"
    return "torch.tensor([[" + ", ".join(rows(m) for m in channels) + "]])"


def _options(padding, stride, dilation, stride_default) -> list[str]:
    """Keyword arguments that differ from PyTorch's defaults."""
    out = []
    if tuple(padding) != (0, 0):
        out.append(f"padding={_arg(padding)}")
    if stride is not None and tuple(stride) != stride_default:
        out.append(f"stride={_arg(stride)}")
    if tuple(dilation) != (1, 1):
        out.append(f"dilation={_arg(dilation)}")
    return out


def conv_snippet(X, K, padding=(0, 0), stride=(1, 1), dilation=(1, 1),
                 padding_mode: str = "zeros", flip: bool = False) -> str:
    """nn.Conv2d code for input X (c_i, H, W) and one output channel's kernel K (c_i, kh, kw)."""
    c_i, k_h, k_w = len(K), len(K[0]), len(K[0][0])
    args = [f"{c_i}", "1", f"kernel_size={_arg((k_h, k_w))}",
            *_options(padding, stride, dilation, (1, 1)), "bias=False"]
    if padding_mode != "zeros":
        args.append(f"padding_mode={padding_mode!r}")
    weight = "K.flip((-2, -1))" if flip else "K"
    lines = ["import torch", "from torch import nn", "",
             f"X = {_tensor(X)}  # (N, C, H, W)",
             f"K = {_tensor(K)}  # (c_o, c_i, k_h, k_w)",
             f"conv = nn.Conv2d({', '.join(args)})"]
    if flip:
        lines.append("# PyTorch cross-correlates; a true convolution uses the flipped kernel")
    lines += ["with torch.no_grad():", f"    conv.weight.copy_({weight})", "print(conv(X))"]
    return "\n".join(lines)


def pool_snippet(X, pool_size, mode: str = "max", padding=(0, 0), stride=None,
                 dilation=(1, 1)) -> str:
    """nn.MaxPool2d / nn.AvgPool2d code for input X (C, H, W); stride None means 1 (chapter)."""
    stride = (1, 1) if stride is None else tuple(stride)
    layer = "MaxPool2d" if mode == "max" else "AvgPool2d"
    args = [_arg(tuple(pool_size))]
    # PyTorch's pooling stride defaults to the window, so state it unless it equals the window.
    args += _options(padding, stride, dilation if mode == "max" else (1, 1), tuple(pool_size))
    return "\n".join(["import torch", "from torch import nn", "",
                      f"X = {_tensor(X)}  # (N, C, H, W)",
                      f"pool = nn.{layer}({', '.join(args)})", "print(pool(X))"])


def _literal(nested) -> str:
    """Nested lists of numbers as a Python literal with float entries (1. not 1)."""
    if isinstance(nested, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in nested) + "]"
    return _number(nested)


def multi_channel_snippet(X, kernels) -> str:
    """nn.Conv2d(c_i, c_o, ...) code for input X (c_i, H, W) and kernels (c_o, c_i, k_h, k_w).

    For a 1x1 kernel it adds the same result as a matrix product (chapter: 1x1 convolution).
    """
    c_o, c_i = len(kernels), len(kernels[0])
    k_h, k_w = len(kernels[0][0]), len(kernels[0][0][0])
    lines = ["import torch", "from torch import nn", "",
             f"X = torch.tensor([{_literal(X)}])  # (N, C, H, W) = (1, {c_i}, {len(X[0])}, "
             f"{len(X[0][0])})",
             f"K = torch.tensor({_literal(kernels)})  # (c_o, c_i, k_h, k_w) = ({c_o}, {c_i}, "
             f"{k_h}, {k_w})",
             f"conv = nn.Conv2d({c_i}, {c_o}, kernel_size={_arg((k_h, k_w))}, bias=False)",
             "with torch.no_grad():", "    conv.weight.copy_(K)", "    Y = conv(X)[0]",
             "print(Y)  # (c_o, out_h, out_w)"]
    if (k_h, k_w) == (1, 1):
        lines += ["", "# a 1x1 convolution is a matrix product over the channels:",
                  "h, w = X.shape[-2:]",
                  f"Y_matmul = (K.reshape({c_o}, {c_i}) @ X[0].reshape({c_i}, h * w))"
                  f".reshape({c_o}, h, w)",
                  "print(torch.allclose(Y, Y_matmul))  # True"]
    return "\n".join(lines)
