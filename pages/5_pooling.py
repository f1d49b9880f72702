import streamlit as st

from cnnviz.ops import POOL_MODES
from cnnviz.teach import snippet
from cnnviz.teach.matrices import MAX_CHANNELS
from cnnviz.teach.presets import KERNEL_SIDE
from cnnviz.teach.presets import POOLING as PRESETS
from cnnviz.teach.presets import POOLING_FIELDS as FIELDS
from ui import sliding_window as anim

P = "po"  # session-state prefix of this page

st.title("Pooling")
st.markdown(
    "A pooling layer slides a window like a convolution but has no weights: it keeps the "
    "**largest** value under the window (max pooling) or their **mean** (average pooling). "
    "It makes the output less sensitive to small shifts and shrinks it. With several channels, "
    "each channel is pooled on its own, so the number of channels stays the same.")

controls, stage = anim.page_start(P, FIELDS, PRESETS)
with controls:
    X = anim.matrix_editor(P, "X", "Input X", max_channels=MAX_CHANNELS)
    mode = st.radio("Pooling", POOL_MODES, key=anim.key(P, "mode"), horizontal=True,
                    on_change=anim.mark_custom, args=(P,),
                    format_func={"max": "maximum", "avg": "average"}.get)
    window = anim.pair_input(P, "window", "Window", 1, KERNEL_SIDE)
    stride = anim.pair_input(P, "stride", "Stride", 1, 8)
    padding = anim.pair_input(P, "padding", "Padding", 0, 4)
    dilation = anim.pair_input(P, "dilation", "Dilation", 1, 8)
    st.caption("PyTorch pads max pooling with −∞ (padding never wins) and average pooling with "
               "zeros that count in the mean. nn.MaxPool2d's stride defaults to the window size.")
anim.remember(P, FIELDS)


def compute():
    view = anim.pooling_view(X, window, mode, padding, stride, dilation)
    return view, snippet.pool_snippet(X, window, mode, padding, stride, dilation)


error = None if X else "Fix the input on the left; the animation keeps the last valid one."
with stage:
    ok = anim.show_result(P, compute, error)
if ok:
    anim.share_link({"preset": st.session_state[anim.key(P, "preset")], "X": X,
                     "window": window, "padding": padding, "stride": stride,
                     "dilation": dilation, "mode": mode}, FIELDS)
