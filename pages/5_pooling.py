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
shown = config_ui.finish(page)
X, window, mode, padding, stride, dilation = (
    shown.config[n] for n in ("X", "window", "mode", "padding", "stride", "dilation"))
notes = []  # about the settings shown, not about one example
if padding != (0, 0):
    notes.append("PyTorch pads max pooling with −∞: padding never wins." if mode == "max"
                 else "PyTorch pads average pooling with zeros that count in the mean.")
if stride == window:
    notes.append("The stride equals the window, as nn.MaxPool2d and nn.AvgPool2d default to.")
if notes:
    controls.caption(" ".join(notes))


def compute():
    view = anim.pooling_view(X, window, mode, padding, stride, dilation)
    return view, snippet.pool_snippet(X, window, mode, padding, stride, dilation)


with stage:
    anim.show_result(SPEC.prefix, compute, shown)
