"""PyTorch code that reproduces a page's current settings (to copy into a notebook)."""

from __future__ import annotations

from cnnviz.frames import format_number


def _arg(value: tuple[int, int] | int) -> str:
    """An int when both entries agree (as people write it), else the pair."""
    if isinstance(value, tuple) and value[0] == value[1]:
        return str(value[0])
    return str(tuple(value) if isinstance(value, tuple) else value)


def _tensor(channels: list[list[list[float]]]) -> str:
    """A torch.tensor literal of shape (1, C, H, W)."""
    def rows(m):
        return "[" + ", ".join("[" + ", ".join(format_number(v) + "." if float(v).is_integer()
                                               else format_number(v) for v in r) + "]"
                               for r in m) + "]"
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
