"""The kernel lab's paint mode: a canvas over the kernel grid (drawable-canvas component)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz.lab import kernels


def kernel_painter(shape: tuple[int, int]) -> np.ndarray | None:
    """A canvas over the kernel grid; returns the painted kernel when 'Use painting' is pressed."""
    from streamlit_drawable_canvas import st_canvas  # needs the Streamlit runtime

    p1, p2, p3 = st.columns(3, vertical_alignment="bottom")
    sign = p1.radio("Brush", ["+ red", "- blue"], horizontal=True, key="kl_paint_sign")
    strength = p2.number_input("Value of a full cell", 0.1, 100.0, 1.0, 0.5,
                               key="kl_paint_strength")
    use = p3.button("Use painting", key="kl_paint_use")
    rows, cols = shape
    cell = kernels.paint_cell(shape)
    result = st_canvas(
        stroke_width=max(6, cell // 2), background_color="#FFFFFF",
        stroke_color=kernels.PAINT_POSITIVE if sign.startswith("+") else kernels.PAINT_NEGATIVE,
        initial_drawing=kernels.paint_grid(shape, cell), drawing_mode="freedraw",
        height=rows * cell, width=cols * cell, return_image_data=True,
        key=f"kl_canvas_{rows}x{cols}")
    image = None if result is None else result.image_data
    painted = None if image is None else kernels.kernel_from_painting(image, shape, strength)
    if painted is None or not painted.any():
        if use:
            st.warning("Paint on the grid first, then press 'Use painting'.")
        return None
    rows_text = "; ".join(" ".join(f"{v:g}" for v in row) for row in painted)
    st.caption(f"This painting gives the kernel: {rows_text}")
    return painted if use else None
