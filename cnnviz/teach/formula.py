"""The output-size formula of the chapter with the current numbers filled in (as LaTeX)."""

from __future__ import annotations

from cnnviz import ops


def output_size_latex(n: int, k: int, padding: int, stride: int, dilation: int,
                      axis: str = "h") -> str:
    """floor((n - k + p + s) / s) with p the total padding, k the (dilated) window span."""
    total_pad = 2 * padding
    result = ops.output_size(n, k, padding, stride, dilation)  # raises for impossible settings
    symbolic = (rf"\left\lfloor \frac{{n_{axis} - k_{axis} + p_{axis} + s_{axis}}}"
                rf"{{s_{axis}}} \right\rfloor")
    k_text = str(k) if dilation == 1 else rf"({dilation}\cdot({k}-1)+1)"
    filled = (rf"\left\lfloor \frac{{{n} - {k_text} + {total_pad} + {stride}}}{{{stride}}}"
              rf" \right\rfloor")
    return rf"{symbolic} = {filled} = {result}"


def output_shape_latex(shape, kernel, padding, stride, dilation) -> list[str]:
    """The formula for height and width; ``padding`` is per side, the formula uses the total."""
    return [output_size_latex(shape[a], kernel[a], padding[a], stride[a], dilation[a], axis)
            for a, axis in ((0, "h"), (1, "w"))]
