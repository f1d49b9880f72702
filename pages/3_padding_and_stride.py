import streamlit as st

from cnnviz.ops import PADDING_MODES
from cnnviz.teach import formula, snippet
from cnnviz.teach.presets import PADDING as PRESETS
from cnnviz.teach.presets import PADDING_FIELDS as FIELDS
from ui import sliding_window as anim

P = "ps"  # session-state prefix of this page

st.title("Padding, stride and dilation")
st.markdown(
    "**Padding** adds a border of extra cells around the input, so the window can also sit on "
    "the edges and the output does not shrink. **Stride** is how far the window jumps between "
    "positions; larger strides give smaller outputs. **Dilation** spreads the kernel's cells "
    "apart, so it looks at a larger area with the same number of weights. Grey cells below are "
    "padding; the padding mode decides what they hold.")

controls, stage = anim.page_start(P, FIELDS, PRESETS)
with controls:
    X, K = anim.input_and_kernel(P)
    padding = anim.pair_input(P, "padding", "Padding", 0, 8)
    stride = anim.pair_input(P, "stride", "Stride", 1, 8)
    dilation = anim.pair_input(P, "dilation", "Dilation", 1, 8)
    mode = st.selectbox("Padding mode", PADDING_MODES, key=anim.key(P, "mode"),
                        on_change=anim.mark_custom, args=(P,),
                        help="zeros: fill with 0; reflect: mirror the input without repeating "
                        "the edge; replicate: repeat the edge; circular: wrap around.")
anim.remember(P, FIELDS)


def compute():
    view = anim.correlation_view(X, K, padding, stride, dilation, mode, False)
    return view, snippet.conv_snippet(X, K, padding, stride, dilation, mode)


error = None if X and K else "Fix the matrices on the left; the last valid animation stays."
with stage:
    ok = anim.show_result(P, compute, error)
if ok:
    anim.share_link({"preset": st.session_state[anim.key(P, "preset")], "X": X, "K": K,
                     "padding": padding, "stride": stride, "dilation": dilation, "mode": mode},
                    FIELDS)
    st.subheader("Output size")
    st.caption("n: input size, k: kernel size (with dilation d, the window spans d(k − 1) + 1 "
               "cells), p: padding added in total (both sides), s: stride.")
    for line in formula.output_shape_latex((len(X[0]), len(X[0][0])), (len(K[0]), len(K[0][0])),
                                           padding, stride, dilation):
        st.latex(line)
