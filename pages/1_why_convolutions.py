import ast

import streamlit as st

from cnnviz.teach import frames, params, snippet, translation
from cnnviz.viz import animation, static_figures
from ui import charts, matrix_pages

P = "why"  # session-state prefix of this page
FIELDS = translation.FIELDS
LABELS = {"x": "Input", "k": "Kernel"}


def preset_config(name: str) -> dict:
    return {"preset": name, **translation.PRESETS[name]}


@st.cache_data(max_entries=64)
def counts(h: int, w: int, delta: int):
    return params.parameter_counts(h, w, delta)


@st.cache_resource(max_entries=64, show_spinner=False)
def shift_demo(settings: str):
    """The shift experiment for ``repr(config)`` (shared read-only across sessions)."""
    return translation.demo_for(ast.literal_eval(settings))


def animation_of(shifted: list, kernel: list, padding: tuple, mode: str) -> dict:
    plan = frames.correlation_steps(shifted, kernel, padding=padding, padding_mode=mode)
    return animation.PrebuiltFigure(
        animation.window_figure(plan, input_name="shifted X", output_name="Y"))


st.title("Why convolutions")
st.markdown(
    "A layer that maps an image to a hidden image of the same size needs far fewer weights once "
    "we ask two things of it: **translation invariance** (the same weights wherever we look) "
    "and **locality** (only a small neighbourhood matters). Count the weights, then check the "
    "first property numerically: shift the input and the output moves along with it.")

for message in matrix_pages.open_state(P, FIELDS, preset_config, translation.demo_for):
    st.warning(message, icon=":material/link_off:")
config, errors = matrix_pages.read(P, FIELDS, list(FIELDS), LABELS)

st.header("Counting weights")
c1, c2, c3 = st.columns(3)
c1.number_input("Image height h", 1, params.MAX_SIDE, key=matrix_pages.key(P, "h"))
c2.number_input("Image width w", 1, params.MAX_SIDE, key=matrix_pages.key(P, "w"))
c3.number_input("Window half-width Δ", 0, params.MAX_SIDE - 1, key=matrix_pages.key(P, "delta"))
h, w, delta = (st.session_state[matrix_pages.key(P, n)] for n in ("h", "w", "delta"))
try:
    rows = counts(h, w, delta)
except ValueError as err:
    st.error(str(err), icon=":material/error:")
    rows = counts(1000, 1000, min(delta, 999))
charts.cached_elements(repr(rows), lambda: st.table(
    {"layer": [r.layer for r in rows], "chapter's formula": [r.formula for r in rows],
     "weights (chapter)": [params.power_of_ten(r.chapter) for r in rows],
     "exact formula": [r.exact_formula for r in rows],
     "weights (exact)": [f"{r.exact:,}" for r in rows]}))
st.caption(
    "The chapter rounds the offsets a in (−h, h) to 2h values and |a| ≤ Δ to 2Δ; counting "
    "both ends gives the exact numbers. Every step is a constraint: fewer weights, and a "
    "built-in assumption about images.")
charts.cached_chart(repr(rows), lambda: static_figures.parameter_figure(rows),
                key="why_counts_chart")

st.header("Shift the input, the output shifts too")
left, right = st.columns([2, 5], gap="medium")
with left:
    st.selectbox("Example", list(translation.PRESETS), format_func=translation.PRESET_LABELS.get,
                 key=matrix_pages.key(P, "preset"), on_change=matrix_pages.load_preset,
                 args=(P, FIELDS, preset_config))
    s1, s2 = st.columns(2)
    s1.number_input("Shift down", -32, 32, key=matrix_pages.key(P, "dy"),
                    help="Rows; negative: up.")
    s2.number_input("Shift right", -32, 32, key=matrix_pages.key(P, "dx"),
                    help="Columns; negative: left.")
    st.radio("Padding", translation.SHIFT_MODES, horizontal=True, key=matrix_pages.key(P, "mode"),
             format_func={"circular": "circular (wraps around)", "zeros": "zeros"}.get)
    m1, m2 = st.columns([3, 2])
    height = matrix_pages.fit(P, "x")
    m1.text_area("Input X (one row per line)", key=matrix_pages.key(P, "x"), height=height)
    m2.text_area("Kernel (odd size)", key=matrix_pages.key(P, "k"), height=height)
    current = translation.sizes_of(st.session_state[matrix_pages.key(P, "valid")])
    if not errors:
        current = translation.sizes_of(config)
    matrix_pages.size_controls(P, FIELDS, translation.SIZES, current, translation.resized,
                          translation.randomized, columns=2)
with right:
    config = matrix_pages.settle(P, FIELDS, {**config, "h": h, "w": w, "delta": delta}, errors,
                            lambda c: shift_demo(repr(c)))
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
    charts.cached_chart(settings, lambda: static_figures.shift_figure(config["x"][0], demo),
                    key="why_shift_chart")

st.header("The sliding window on the shifted input")
st.caption(f"'Same' padding of {demo.padding[0]} row(s) and {demo.padding[1]} column(s) per "
           f"side, {config['mode']} mode, keeps the output as large as the input.")
charts.cached_chart(settings, lambda: animation_of(demo.shifted_input, config["k"][0],
                                              demo.padding, config["mode"]),
                key="why_window_chart", config={"displayModeBar": False})
st.caption(charts.PLAY_HELP)
with st.expander("PyTorch code for these settings"):
    st.code(snippet.conv_snippet([demo.shifted_input], config["k"], padding=demo.padding,
                                 padding_mode=config["mode"]), language="python", wrap_lines=True)
