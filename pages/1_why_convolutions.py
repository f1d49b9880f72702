import ast

import streamlit as st

from cnnviz.teach import frames, params, snippet, translation
from cnnviz.viz import animation, static_figures
from ui import charts, config_ui


@st.cache_data(max_entries=64)
def counts(h: int, w: int, delta: int):
    return params.parameter_counts(h, w, delta)


@st.cache_resource(max_entries=64, show_spinner=False)
def shift_demo(settings: str):
    """The shift experiment for ``repr(config)`` (shared read-only across sessions)."""
    return translation.demo_for(ast.literal_eval(settings))


def animation_of(shifted: list, kernel: list, padding: tuple, mode: str, big: bool,
                 px: int | None) -> dict:
    plan = frames.correlation_steps(shifted, kernel, padding=padding, padding_mode=mode)
    return animation.PrebuiltFigure(animation.window_figure(
        plan, input_name="shifted X", output_name="Y", projector=big, chart_px=px))


st.title("Why convolutions")
st.markdown(
    "A layer that maps an image to a hidden image of the same size needs far fewer weights once "
    "we ask two things of it: **translation invariance** (the same weights wherever we look) "
    "and **locality** (only a small neighbourhood matters). Count the weights, then check the "
    "first property numerically: shift the input and the output moves along with it.")

page = config_ui.start(translation.PAGE)
st.header("Counting weights")
inputs, chart = st.columns([1, 2], gap="medium")  # the chart beside the inputs: first screen
config_ui.widget(page, "h", "Image height h", where=inputs)
config_ui.widget(page, "w", "Image width w", where=inputs)
config_ui.widget(page, "delta", "Window half-width Δ", where=inputs)
counts_place = st.container()
big = charts.projector_on()  # figures sized for a lecture hall

st.header("Shift the input, the output shifts too")
# The picker spans the page: in the narrow column its names were cut off (a select box cannot
# wrap; at 1280 x 720 even 24 characters did not fit).
config_ui.preset_picker(page)
left, right = st.columns([2, 5], gap="medium")
with left:
    s1, s2 = st.columns(2)
    config_ui.widget(page, "dy", "Shift down", where=s1, help="Rows; negative: up.")
    config_ui.widget(page, "dx", "Shift right", where=s2, help="Columns; negative: left.")
    config_ui.widget(page, "mode", "Padding", style="radio", horizontal=True,
                     format_func={"circular": "circular (wraps around)", "zeros": "zeros"}.get)
    m1, m2 = st.columns([3, 2])
    config_ui.matrix(page, "x", "Input X (one row per line)", where=m1, channels=False)
    config_ui.matrix(page, "k", "Kernel (odd size)", where=m2, channels=False)
shown = config_ui.finish(page)
config = shown.config
with counts_place:
    config_ui.show_problems(shown)
    rows = counts(config["h"], config["w"], config["delta"])
    charts.cached_elements(repr(rows), lambda: st.table(
        {"layer": [r.layer for r in rows], "chapter's formula": [r.formula for r in rows],
         "weights (chapter)": [params.power_of_ten(r.chapter) for r in rows],
         "exact formula": [r.exact_formula for r in rows],
         "weights (exact)": [f"{r.exact:,}" for r in rows]}))
    st.caption(
        "The chapter rounds the offsets a in (−h, h) to 2h values and |a| ≤ Δ to 2Δ; counting "
        "both ends gives the exact numbers. Every step is a constraint: fewer weights, and a "
        f"built-in assumption about images. {shown.caption()}")
charts.cached_chart(repr(rows), lambda: static_figures.parameter_figure(rows, big),
                    key="why_counts_chart", where=chart)
with right:
    settings = repr(config)
    demo = shift_demo(settings)
    if demo.max_error == 0:
        st.success("Shifting before or after the convolution gives the same output: the "
                   "largest difference is 0.", icon=":material/check_circle:")
    else:
        st.warning(f"The two routes differ in {len(demo.broken_cells)} cells (largest "
                   f"difference {frames.format_number(demo.max_error)}): with zero padding a "
                   f"window that reaches over the border sees zeros, not the wrapped-around "
                   f"pixels.", icon=":material/warning:")
    if not shown.ok:
        st.caption(shown.caption())
    charts.cached_chart(settings, lambda: static_figures.shift_figure(config["x"][0], demo, big),
                    key="why_shift_chart")

st.header("The sliding window on the shifted input")
st.caption(f"'Same' padding of {demo.padding[0]} row(s) and {demo.padding[1]} column(s) per "
           f"side, {config['mode']} mode, keeps the output as large as the input.")
px = charts.narrow_chart_px()  # a phone's column: the figure's height fits its grids
charts.cached_chart(f"{settings} {px}", lambda: animation_of(demo.shifted_input, config["k"][0],
                                                            demo.padding, config["mode"], big, px),
                key="why_window_chart", config={"displayModeBar": False})
st.caption(charts.PLAY_HELP)
with st.expander("PyTorch code for these settings"):
    st.code(snippet.conv_snippet([demo.shifted_input], config["k"], padding=demo.padding,
                                 padding_mode=config["mode"]), language="python", wrap_lines=True)
