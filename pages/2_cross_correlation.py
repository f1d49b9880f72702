import streamlit as st

from cnnviz.teach import snippet
from cnnviz.teach.presets import CORRELATION_PAGE as SPEC
from ui import config_ui
from ui import sliding_window as anim

st.title("Cross-correlation")
st.markdown(
    "A convolutional layer slides a small **kernel** over its input. At every position it "
    "multiplies the kernel with the input cells under it, element by element, and adds the "
    "products up: that sum is one output cell. Press play and follow the window; the line under "
    "the grids writes out the arithmetic of the current step.")

page, (controls, stage) = anim.page_start(SPEC)
with controls:
    anim.input_and_kernel(page)
    config_ui.widget(page, "flip", "True convolution (flip the kernel)",
                     help="Deep learning libraries compute cross-correlation and still call it "
                     "convolution. A true convolution flips the kernel top-to-bottom and "
                     "left-to-right first; a network that learns its kernel would simply learn "
                     "the flipped one.")
shown = config_ui.finish(page)
X, K, flip = (shown.config[n] for n in ("X", "K", "flip"))


def compute():
    view = anim.correlation_view(X, K, (0, 0), (1, 1), (1, 1), "zeros", flip)
    return view, snippet.conv_snippet(X, K, flip=flip)


with stage:
    if anim.show_result(SPEC.prefix, compute, shown):
        st.caption(f"Output size: ({len(X[0])} − {len(K[0])} + 1) × ({len(X[0][0])} − "
                   f"{len(K[0][0])} + 1): per axis, the input size minus the kernel size plus 1.")
