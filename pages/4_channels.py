import ast

import streamlit as st

from cnnviz.teach import channels, frames, snippet
from cnnviz.viz import animation, static_figures
from ui import charts, config_ui, spectral_mixing


# Figures are built by charts.cached_chart (once per settings text); only the 1x1 product, whose
# numbers the page writes out, is cached as an object.
def animation_of(x: list, kernel: list, d: int, big: bool, px: int | None):
    plan = frames.correlation_steps(x, kernel)
    return animation.PrebuiltFigure(animation.window_figure(plan, output_name=f"Y{d}",
                                                            projector=big, chart_px=px))


@st.cache_resource(max_entries=64, show_spinner=False)
def matrix_product(settings: str):
    """The 1x1 convolution as a matrix product, for ``repr((x, kernels))`` (read-only)."""
    return channels.matrix_product(*ast.literal_eval(settings))


st.title("Channels")
st.markdown(
    "A colour image has three channels, and every convolutional layer can take several in and "
    "give several out. With c_i input channels the kernel has one k_h x k_w slice per input "
    "channel: each slice slides over its own channel and the c_i results are **added** into "
    "one output channel. For c_o output channels there is one such kernel per output channel, "
    "so the whole kernel has shape c_o x c_i x k_h x k_w.")

page = config_ui.start(channels.PAGE)
big = charts.projector_on()  # figures sized for a lecture hall
# The picker spans the page: in the input column its names were cut off at 1280 x 720.
config_ui.preset_picker(page)
left, right = st.columns([1, 2], gap="large")
summary = right.container()
with left:
    fit = channels.fit_kernels  # kernels follow the input's channels and kernel 1's size
    config_ui.matrix(page, "x", "Input X: one matrix per channel, channels separated by a blank "
                     "line", adjust=fit)
    co = config_ui.widget(page, "co", "Output channels", adjust=fit)
    show_place = st.container()  # with the controls, so that the animation starts higher
    for d, name in enumerate(channels.KERNEL_NAMES[:co], start=1):
        config_ui.matrix(page, name, f"Kernel for output channel {d}: one slice per input "
                         "channel", channels=False, adjust=fit if d == 1 else None)
config_ui.widget(page, "show", "Animate output channel", where=show_place, style="radio",
                 choices=list(range(1, co + 1)), horizontal=True)
shown = config_ui.finish(page)
config = shown.config
with summary:
    config_ui.show_problems(shown)
with right:
    kernels = channels.kernels_of(config)
    c_o, c_i, (kh, kw) = len(kernels), len(config["x"]), channels.kernel_tensor(kernels).shape[2:]
    st.markdown(f"**{c_i} input channel(s), {c_o} output channel(s)**: the kernel has shape "
                f"{c_o} x {c_i} x {kh} x {kw}, that is {c_o * c_i * kh * kw} weights.")
    settings = repr((config["x"], kernels))
    d = config["show"]
    px = charts.narrow_chart_px()  # a phone's column: the figure's height fits its grids
    charts.cached_chart(f"{settings} {d} {px}", lambda: animation_of(config["x"], kernels[d - 1],
                                                                     d, big, px),
                    key="chan_window_chart", config={"displayModeBar": False})
    st.caption(f"Y{d} is output channel {d}. " + (
        "With one input channel each step is the window times the kernel." if c_i == 1 else
        f"Each step adds {c_i} brackets, one per input channel: that channel's window times "
        "its kernel slice." + (" The chapter's figure writes channel 2's bracket first; the "
                               "sum is the same." if c_i == 2 else "")) + f" {shown.caption()}")
    st.caption(charts.PLAY_HELP)
    # Every output channel after the animation, the page's main figure, which then starts
    # on the first screen in projector mode at 1280 x 720.
    charts.cached_chart(settings, lambda: static_figures.outputs_figure(
        channels.multi_in_out(config["x"], kernels), big), key="chan_outputs_chart")

st.header("1x1 convolution = matrix product")
if (kh, kw) != (1, 1):
    st.info("With a 1x1 kernel each output pixel mixes only the channels at the same position. "
            "Choose the 1x1 example (or set the kernel size to 1 x 1) to see it as a matrix "
            "product.", icon=":material/info:")
else:
    h, w = len(config["x"][0]), len(config["x"][0][0])
    p = config_ui.widget(page, "pixel", "Pixel (flattened index, row by row)", style="slider",
                         limits=(0, h * w - 1))
    config_ui.finish(page)
    mp = matrix_product(settings)
    st.markdown(f"The {c_o} x {c_i} weight matrix times the input flattened to {c_i} x {h * w} "
                f"(one column per pixel) gives the output, {c_o} x {h * w}. Pixel {p} is "
                f"row {mp.pixel(p)[0]}, column {mp.pixel(p)[1]} of the image.")
    charts.cached_chart(f"{settings} {p}", lambda: static_figures.matrix_product_figure(mp, p, big),
                    key="chan_matmul_chart")
    st.code("\n".join(mp.arithmetic(p)), language=None)
    if mp.max_difference == 0:
        st.success("The matrix product equals corr2d_multi_in_out on every cell (largest "
                   "difference 0).", icon=":material/check_circle:")
    else:
        st.warning(f"Matrix product and corr2d_multi_in_out differ by at most "
                   f"{mp.max_difference:.2g} (floating-point rounding).")

with st.expander("PyTorch code for these settings"):
    st.code(snippet.multi_channel_snippet(config["x"], kernels), language="python",
            wrap_lines=True)

spectral_mixing.spectrum_section()
