import ast

import streamlit as st

from cnnviz.teach import channels, frames, snippet
from cnnviz.viz import animation, static_figures
from ui import charts, matrix_pages, spectral_mixing

P = "chan"  # session-state prefix of this page
FIELDS = channels.FIELDS
LABELS = {"x": "Input", **{n: f"Kernel for output channel {n[1:]}" for n in channels.KERNEL_NAMES}}


# Figures are built by charts.cached_chart (once per settings text); only the 1x1 product, whose
# numbers the page writes out, is cached as an object.
def animation_of(x: list, kernel: list, d: int):
    plan = frames.correlation_steps(x, kernel)
    return animation.PrebuiltFigure(animation.window_figure(plan, output_name=f"Y{d}"))


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

for message in matrix_pages.open_state(P, FIELDS, channels.preset_config, channels.check_config):
    st.warning(message, icon=":material/link_off:")
co, show_key = st.session_state[matrix_pages.key(P, "co")], matrix_pages.key(P, "show")
if st.session_state.get(show_key, 1) > co:  # fewer output channels than the one animated
    st.session_state[show_key] = 1
names = ["preset", "co", "show", "x", *channels.KERNEL_NAMES[:co]]
config, errors = matrix_pages.read(P, FIELDS, names, LABELS)

left, right = st.columns([1, 2], gap="large")
with left:
    st.selectbox("Example", list(channels.PRESETS), format_func=channels.PRESET_LABELS.get,
                 key=matrix_pages.key(P, "preset"), on_change=matrix_pages.load_preset,
                 args=(P, FIELDS, channels.preset_config))
    st.text_area("Input X: one matrix per channel, channels separated by a blank line",
                 key=matrix_pages.key(P, "x"), height=matrix_pages.fit(P, "x"))
    for d, name in enumerate(channels.KERNEL_NAMES[:co], start=1):
        st.text_area(f"Kernel for output channel {d}: one slice per input channel",
                     key=matrix_pages.key(P, name), height=matrix_pages.fit(P, name))
    valid = st.session_state[matrix_pages.key(P, "valid")]
    current = channels.sizes_of(config if not errors else valid)
    matrix_pages.size_controls(P, FIELDS, channels.SIZES, current, channels.resized,
                          channels.randomized, columns=2)
with right:
    config = matrix_pages.settle(P, FIELDS, config, errors, channels.check_config)
    kernels = channels.kernels_of(config)
    c_o, c_i, (kh, kw) = len(kernels), len(config["x"]), channels.kernel_tensor(kernels).shape[2:]
    st.markdown(f"**{c_i} input channel(s), {c_o} output channel(s)**: the kernel has shape "
                f"{c_o} x {c_i} x {kh} x {kw}, that is {c_o * c_i * kh * kw} weights.")
    settings = repr((config["x"], kernels))
    charts.cached_chart(settings, lambda: static_figures.outputs_figure(
        channels.multi_in_out(config["x"], kernels)), key="chan_outputs_chart")
    st.radio("Animate output channel", list(range(1, c_o + 1)), horizontal=True, key=show_key)
    d = st.session_state[show_key]
    st.caption(f"Y{d} is output channel {d}. Each step adds one bracket per input channel: that "
               "channel's window times its kernel slice (the chapter's figure writes channel 2's "
               "bracket first; the sum is the same).")
    charts.cached_chart(f"{settings} {d}", lambda: animation_of(config["x"], kernels[d - 1], d),
                    key="chan_window_chart", config={"displayModeBar": False})
    st.caption(charts.PLAY_HELP)

st.header("1x1 convolution = matrix product")
if (kh, kw) != (1, 1):
    st.info("With a 1x1 kernel each output pixel mixes only the channels at the same position. "
            "Choose the 1x1 example (or set the kernel size to 1 x 1) to see it as a matrix "
            "product.", icon=":material/info:")
else:
    h, w = len(config["x"][0]), len(config["x"][0][0])
    p = st.slider("Pixel (flattened index, row by row)", 0, h * w - 1, 0, key="chan_pixel")
    mp = matrix_product(settings)
    st.markdown(f"The {c_o} x {c_i} weight matrix times the input flattened to {c_i} x {h * w} "
                f"(one column per pixel) gives the output, {c_o} x {h * w}. Pixel {p} is "
                f"row {mp.pixel(p)[0]}, column {mp.pixel(p)[1]} of the image.")
    charts.cached_chart(f"{settings} {p}", lambda: static_figures.matrix_product_figure(mp, p),
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
