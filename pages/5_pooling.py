import streamlit as st

from cnnviz.teach import snippet
from cnnviz.teach.presets import POOLING_PAGE as SPEC
from ui import config_ui
from ui import sliding_window as anim

st.title("Pooling")
st.markdown(
    "A pooling layer slides a window like a convolution but has no weights: it keeps the "
    "**largest** value under the window (max pooling) or their **mean** (average pooling). "
    "It makes the output less sensitive to small shifts and shrinks it. With several channels, "
    "each channel is pooled on its own, so the number of channels stays the same.")

page, (controls, stage) = anim.page_start(SPEC)
with controls:
    config_ui.matrix(page, "X", "Input X")
    config_ui.widget(page, "mode", "Pooling", style="radio", horizontal=True,
                     format_func={"max": "maximum", "avg": "average"}.get)
    for name in ("window", "stride", "padding", "dilation"):
        config_ui.widget(page, name, name.capitalize())
    st.caption("PyTorch pads max pooling with −∞ (padding never wins) and average pooling with "
               "zeros that count in the mean. nn.MaxPool2d's stride defaults to the window size.")
shown = config_ui.finish(page)
X, window, mode, padding, stride, dilation = (
    shown.config[n] for n in ("X", "window", "mode", "padding", "stride", "dilation"))


def compute():
    view = anim.pooling_view(X, window, mode, padding, stride, dilation)
    return view, snippet.pool_snippet(X, window, mode, padding, stride, dilation)


with stage:
    anim.show_result(SPEC.prefix, compute, shown)
