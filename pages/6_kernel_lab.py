import streamlit as st

from cnnviz.device import available_devices
from cnnviz.lab import display, kernels
from cnnviz.lab.page import DISPLAY_FIELDS, OPERATIONS, PAGE
from cnnviz.viz import colors
from cnnviz.viz.lab_figures import frequency_figure, histogram_figure
from ui import charts, config_ui, lab_results
from ui import kernel_lab as parts

st.title("Kernel lab")
st.markdown("Filter a micrograph with any kernel up to 15 x 15 and compare the result with the "
            "original; the settings are below the pair.")
# The original and the result come first, side by side, so every change shows without scrolling.
original, result_slot = st.columns(2)  # filled once the result exists
page = config_ui.start(PAGE)
left, right = st.columns([1, 1])
with left:
    image = parts.image_picker(page)
    h, w = image["array"].shape
    size = f"{image['pixel_size_nm']:.4g} nm" if image["pixel_size_nm"] else "unknown"
    st.text(image["name"])  # a file name someone chose (the lecturer's, for followers): no Markdown
    st.caption(f"{image['source']}: {h} x {w} pixels, pixel size {size}")
    for note in image["notes"]:
        st.info(note)
with right:
    K = parts.kernel_editor(page)

with st.expander("Filter and noise", expanded=True):
    c1, c2, c3 = st.columns(3)
    config_ui.widget(page, "op", "Operation", where=c1, style="radio")
    config_ui.widget(page, "mode", "Border", where=c2)
    if len(devices := available_devices()) > 1:  # a GPU: offered, but not the default
        config_ui.widget(
            page, "device", "Filter on", where=c2, choices=devices,
            help="The CPU (OpenCV) is the faster choice for one image: on an H200 machine the "
            "GPU filtered a 4096 x 4096 image in a third of OpenCV's time, but copying it to "
            "the GPU and back made the whole 9-15 times slower.")
    config_ui.widget(page, "dose", "Dose (electrons/pixel, 0 = no added noise)", where=c3,
                     style="select_slider")
# Built only while open (five widgets, ~0.5 ms a rerun); a link that changes them opens it.
st.session_state.setdefault("kl_display_open", any(
    page.valid[n] != PAGE.fields[n].default for n in DISPLAY_FIELDS))
if (view_settings := parts.lazy_section("Zoom, pan and contrast", "kl_display_open")):
    with view_settings:
        c1, c2, c3 = st.columns(3)
        config_ui.widget(page, "zoom", "Zoom", where=c1, style="select_slider")
        config_ui.widget(page, "cy", "Pan: rows", where=c2, style="slider", step=0.01)
        config_ui.widget(page, "cx", "Pan: columns", where=c2, style="slider", step=0.01)
        config_ui.widget(page, "pct", "Contrast percentiles", where=c3, style="slider", step=0.5)
        config_ui.widget(page, "gamma", "Gamma", where=c3, style="slider", step=0.1)
shown = config_ui.finish(page)
op, mode, dose, (low, high), gamma, zoom, cy, cx = (
    shown.config[n] for n in ("op", "mode", "dose", "pct", "gamma", "zoom", "cy", "cx"))
device = shown.config["device"] if shown.config["device"] in available_devices() else "cpu"

if K is not None:
    try:
        source, result, arrays = lab_results.filtered(image, K, mode, op != OPERATIONS[0],
                                          dose or None, device)
    except ValueError as err:
        st.error(str(err))
        st.stop()
    shown_as = repr((arrays, zoom, cy, cx, low, high, gamma))
    view = lab_results.rendered(shown_as=shown_as, _source=source, _result=result, _view=dict(
        zoom=zoom, center=(cy, cx), low_pct=low, high_pct=high, gamma=gamma))
    (r0, r1), (c0, c1_) = view["rows"], view["cols"]
    dots = "pixel" if view["scale"] == 1 else "pixels"
    where = f"rows {r0}-{r1 - 1}, columns {c0}-{c1_ - 1}, {view['scale']:.3g} {dots} per dot"
    with result_slot:
        charts.cached_elements(shown_as, lambda: st.image(
            view["result"], caption=f"Result. {colors.SIGN_LEGEND} Full colour at "
            f"±{view['signed_limit']:.3g}.",
            width="stretch"))
    charts.cached_chart(repr(K.tolist()), lambda: frequency_figure(kernels.frequency_response(K),
                                                              kernels.frequency_axis()),
                    where=(response := st.columns([1, 2]))[0])
    noise = (f" Shot noise at {dose} electrons/pixel: the image was scaled to 0..1 and "
             "Poisson counts / dose drawn." if dose else "")
    footprint = display.nm_footprint(K.shape, image["pixel_size_nm"])
    response[1].caption(f"Kernel footprint: {footprint}. "
               f"Result range {view['result_min']:.4g} to {view['result_max']:.4g}.{noise} "
               f"{shown.caption()}")
    if (histogram := parts.lazy_section("Histogram of the original", "kl_hist_open")):
        charts.cached_chart(f"{arrays} {view['limits']}", where=histogram, build=lambda:
                            histogram_figure(*display.histogram(source), *view["limits"]))
    box = parts.patch_section(source, K, op != OPERATIONS[0], arrays)

    def draw_original():
        shown = view["image"] if box is None else display.mark_box(
            view["image"], view, (box[0], box[0] + box[2]), (box[1], box[1] + box[2]))
        st.image(shown, caption=f"Original ({where})", width="stretch")

    with original:
        charts.cached_elements(f"{shown_as} {box}", draw_original)

parts.learning_section()
