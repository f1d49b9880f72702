import streamlit as st

from cnnviz.teach import snippet
from cnnviz.teach.presets import CORRELATION as PRESETS
from cnnviz.teach.presets import CORRELATION_FIELDS as FIELDS
from ui import sliding_window as anim

P = "xc"  # session-state prefix of this page

st.title("Cross-correlation")
st.markdown(
    "A convolutional layer slides a small **kernel** over its input. At every position it "
    "multiplies the kernel with the input cells under it, element by element, and adds the "
    "products up: that sum is one output cell. Press play and follow the window; the line under "
    "the grids writes out the arithmetic of the current step.")

controls, stage = anim.page_start(P, FIELDS, PRESETS)
with controls:
    X, K = anim.input_and_kernel(P)
    flip = st.toggle("True convolution (flip the kernel)", key=anim.key(P, "flip"),
                     on_change=anim.mark_custom, args=(P,),
                     help="Deep learning libraries compute cross-correlation and still call it "
                     "convolution. A true convolution flips the kernel top-to-bottom and "
                     "left-to-right first; a network that learns its kernel would simply learn "
                     "the flipped one.")
anim.remember(P, FIELDS)


def compute():
    view = anim.correlation_view(X, K, (0, 0), (1, 1), (1, 1), "zeros", flip)
    return view, snippet.conv_snippet(X, K, flip=flip)


error = None if X and K else "Fix the matrices on the left; the last valid animation stays."
with stage:
    if anim.show_result(P, compute, error):
        anim.share_link({"preset": st.session_state[anim.key(P, "preset")], "X": X, "K": K,
                         "flip": flip}, FIELDS)
        st.caption(f"Output size: ({len(X[0])} − {len(K[0])} + 1) × ({len(X[0][0])} − "
                   f"{len(K[0][0])} + 1): per axis, the input size minus the kernel size plus 1.")
