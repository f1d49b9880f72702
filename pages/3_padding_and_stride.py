import streamlit as st

from cnnviz.teach import formula, snippet
from cnnviz.teach.presets import PADDING_PAGE as SPEC
from ui import config_ui
from ui import sliding_window as anim

st.title("Padding, stride and dilation")
st.markdown(
    "**Padding** adds a border of extra cells around the input, so the window can also sit on "
    "the edges and the output does not shrink. **Stride** is how far the window jumps between "
    "positions; larger strides give smaller outputs. **Dilation** spreads the kernel's cells "
    "apart, so it looks at a larger area with the same number of weights. Grey cells below are "
    "padding; the padding mode decides what they hold.")

page, (controls, stage) = anim.page_start(SPEC)
with controls:
    anim.input_and_kernel(page)
    for name in ("padding", "stride", "dilation"):
        config_ui.widget(page, name, name.capitalize())
    config_ui.widget(page, "mode", "Padding mode",
                     help="zeros: fill with 0; reflect: mirror the input without repeating "
                     "the edge; replicate: repeat the edge; circular: wrap around.")
shown = config_ui.finish(page)
X, K, padding, stride, dilation, mode = (
    shown.config[n] for n in ("X", "K", "padding", "stride", "dilation", "mode"))


def compute():
    view = anim.correlation_view(X, K, padding, stride, dilation, mode, False)
    return view, snippet.conv_snippet(X, K, padding, stride, dilation, mode)


with stage:
    ok = anim.show_result(SPEC.prefix, compute, shown)
st.subheader("Output size")
st.caption("n: input size, k: kernel size (with dilation d, the window spans d(k − 1) + 1 "
           "cells), p: padding added in total (both sides), s: stride."
           + ("" if ok else " " + shown.caption()))
for line in formula.output_shape_latex((len(X[0]), len(X[0][0])), (len(K[0]), len(K[0][0])),
                                       padding, stride, dilation):
    st.latex(line)
