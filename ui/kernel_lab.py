"""Widgets of the kernel lab page (pages/6_kernel_lab.py): image picker, kernel editor, learning."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz import pageconfig
from cnnviz.lab import budget, display, kernels, samples
from cnnviz.lab.kernel_learning import chapter_experiment, micrograph_experiment
from cnnviz.lab.page import PRESET_PARAMETERS, PRESET_USES, SOURCES, preset_kernel, preset_note
from cnnviz.teach.frames import correlation_steps
from cnnviz.viz.animation import PrebuiltFigure, window_figure
from cnnviz.viz.lab_figures import kernel_figure, loss_figure, with_raw_hover
from ui import charts, classroom, config_ui
from ui.kernel_painter import kernel_painter
from ui.upload_store import EVICTED, session_owner
from ui.uploads import UPLOAD_KINDS, decode, image_uploader


# Shared, read-only arrays: st.cache_data would unpickle a fresh 256 KB copy on every rerun.
@st.cache_resource(max_entries=8, show_spinner=False)
def _sample(name: str, size: int) -> np.ndarray:
    array = samples.sample(name, size)
    array.flags.writeable = False
    return array


PARAMETER_LABELS = {"sigma": "σ (Gaussian)", "box": "size (box)", "v1": "direction v1 (rows)",
                    "v2": "direction v2 (columns)"}
IMAGE_SLOT = "kernel lab image"


def _store_upload(data: bytes, name: str, frame: int,
                  band: tuple[float, float] | None = None) -> None:
    """Decode an upload into the server-wide store, or show why it cannot be used.

    Session state keeps the image's description; the pixels (and, to switch frames or the
    window of a spectrum image, the file's bytes) live in ``budget.UPLOADS``.
    """
    img = decode(data, name, frame, band)
    if img is None:
        return
    again = img.n_frames > 1 or img.spectral_range is not None
    try:
        budget.UPLOADS.put(session_owner(), IMAGE_SLOT,
                           {"array": img.array, "data": data if again else None})
    except budget.BudgetError as err:
        st.error(f"Could not use '{name}': {err}")
        return
    st.session_state.kl_image = {"pixel_size_nm": img.pixel_size_nm, "source": img.source,
                                 "name": name, "notes": img.notes, "n_frames": img.n_frames,
                                 "frame": img.frame, "spectral_range": img.spectral_range,
                                 "band": band, "token": uuid.uuid4().hex}


def _fallback(name: str) -> dict:
    return {"array": _sample(name=name, size=256), "pixel_size_nm": None, "source": "built-in",
            "name": name, "notes": [], "n_frames": 1, "frame": 0, "spectral_range": None,
            "band": None, "token": f"sample:{name}"}


def image_picker(page: config_ui.Page) -> dict:
    """The image to filter: a built-in sample or the user's upload (kept in the upload store)."""
    choice = config_ui.widget(page, "source", "Image", style="radio", horizontal=True)
    if choice == SOURCES[0]:
        return _fallback(config_ui.widget(page, "sample", "Sample"))
    if (shared := classroom.followed_image()) is not None:
        st.caption("The lecturer's image. To filter your own, turn off 'Follow the lecturer'.")
        return {**_fallback("step edge"), **shared, "token": f"class:{shared['token']}",
                "source": f"{shared['source']}, the lecturer's upload"}
    st.caption("The page's link keeps every setting but not the picture: whoever opens it "
               "uploads their own.")
    upload = image_uploader(UPLOAD_KINDS, key="kl_uploader")
    if upload is not None and st.session_state.get("kl_upload_id") != upload.file_id:
        st.session_state.kl_upload_id = upload.file_id
        _store_upload(upload.getvalue(), upload.name, 0)
    image = st.session_state.get("kl_image")
    stored = budget.UPLOADS.get(session_owner(), IMAGE_SLOT) if image is not None else None
    if stored is None:
        if image is not None:
            st.warning(EVICTED)
        else:
            st.info("Upload a micrograph to filter it; until then the step-edge sample is shown.")
        return _fallback("step edge")
    if image["n_frames"] > 1:
        frame = st.number_input(f"Frame (0 to {image['n_frames'] - 1})", 0,
                                image["n_frames"] - 1, image["frame"], key="kl_frame")
        if frame != image["frame"]:
            _store_upload(stored["data"], image["name"], int(frame))
            image = st.session_state.kl_image
            stored = budget.UPLOADS.get(session_owner(), IMAGE_SLOT) or stored
    if image.get("spectral_range"):
        image, stored = _spectral_window(image, stored)
    classroom.share_image(image["token"], image["name"], stored["array"], image)
    return {**image, "array": stored["array"]}


def _spectral_window(image: dict, stored: dict) -> tuple[dict, dict]:
    """A spectrum image is shown as a sum over a window of its spectral axis: pick the window."""
    first, last, units = image["spectral_range"]
    band = st.slider(f"Sum the channels from .. to ({units})", first, last,
                     image["band"] or (first, last), key="kl_band")
    if tuple(band) != tuple(image["band"] or (first, last)):
        _store_upload(stored["data"], image["name"], 0, (float(band[0]), float(band[1])))
        image = st.session_state.kl_image
        stored = budget.UPLOADS.get(session_owner(), IMAGE_SLOT) or stored
    return image, stored


def _apply_preset(spec) -> None:
    """Callback of the preset menu and its parameters: the preset becomes the kernel."""
    config = config_ui.typed(spec)
    if not any(pageconfig.field_error(spec.fields[n], config[n]) for n in PRESET_PARAMETERS):
        config_ui.update(spec, {"kernel": preset_kernel(config)})  # else: messages show


# How the kernel is changed besides presets; only the chosen editor is built on a rerun (the
# grid editor alone cost about 1 ms of server CPU per rerun, typing and painting 0.5 ms more).
EDIT_MODES = ("Show", "Edit cells", "Type", "Paint with the mouse")


def kernel_editor(page: config_ui.Page) -> np.ndarray | None:
    """Preset menu plus one editor at a time; the kernel is a field of the page's configuration."""
    state = st.session_state
    # Columns only for a preset with parameters (the menu's value is known before it is drawn).
    uses = PRESET_USES.get(state.get(page.k("preset"), page.valid["preset"]), ())
    c1, *spots = st.columns([2, 1, 1]) if uses else (st,)
    apply = {"on_change": _apply_preset, "args": (page.spec,)}
    preset = config_ui.widget(page, "preset", "Preset", where=c1, **apply)
    for name, where in zip(PRESET_USES.get(preset, ()), spots, strict=False):
        config_ui.widget(page, name, PARAMETER_LABELS[name], where=where, **apply)
    if (note := preset_note({**page.valid, **page.values})) is not None:
        st.caption(note)
    current = np.asarray(config_ui.kernel(page, "kernel"), np.float64)  # the link's exact values
    with st.container(horizontal=True, vertical_alignment="bottom"):  # one layout block
        how = st.radio("Kernel", EDIT_MODES, horizontal=True, key="kl_edit",
                       help="Show: the values. Edit cells: click a cell to change it. Type: "
                       "rows separated by ';'. Paint: red adds, blue subtracts; a fully "
                       "painted cell gets the full value, a partly painted one its fraction.")
        normalize = st.button("Normalize")
    new = None
    try:
        typed = _typed_kernel() if how == EDIT_MODES[2] else None
        new = kernels.normalize(current) if normalize else typed
    except ValueError as err:
        st.error(str(err))
    if how == EDIT_MODES[3]:
        new = kernel_painter(current.shape) if new is None else new
    if how == EDIT_MODES[1]:
        new = _resized(current) if new is None else new
    if new is not None:
        config_ui.kernel(page, "kernel", new.tolist())
        st.rerun()
    if how == EDIT_MODES[1]:
        values = _cell_editor(page, current)
    else:
        state.kl_editor_out = None  # the grid starts from the current kernel when it comes back
        charts.cached_elements(repr(current.tolist()),
                               lambda: st.dataframe(pd.DataFrame(current), height="content"))
        values = current
    try:
        K = kernels.as_kernel(values)
    except ValueError as err:
        st.error(f"Kernel not applied: {err}")
        return None
    if how == EDIT_MODES[1]:  # the grid's values become the page's kernel
        state.kl_editor_out = config_ui.kernel(page, "kernel", values.tolist())
    return K


def _typed_kernel() -> np.ndarray | None:
    """A text field for the kernel's rows; the parsed kernel once 'Use typed' is pressed."""
    t1, t2 = st.columns([2, 1], vertical_alignment="bottom")
    typed = t1.text_input("Type a kernel (rows separated by ';')", key="kl_typed",
                          placeholder="1 0 -1; 2 0 -2; 1 0 -1")
    return kernels.parse_kernel_text(typed) if t2.button("Use typed", key="kl_use_typed") else None


def _resized(current: np.ndarray) -> np.ndarray | None:
    """Row and column counts of the grid; the kernel cropped or zero-padded when they change."""
    with st.container(horizontal=True):  # one layout block
        rows = st.number_input("rows", 1, kernels.MAX_SIZE, current.shape[0])
        cols = st.number_input("columns", 1, kernels.MAX_SIZE, current.shape[1])
    if (rows, cols) == current.shape:
        return None
    new = np.zeros((rows, cols), np.float32)
    h, w = min(rows, current.shape[0]), min(cols, current.shape[1])
    new[:h, :w] = current[:h, :w]
    return new


def _cell_editor(page: config_ui.Page, current: np.ndarray) -> np.ndarray:
    """The grid editor, started from the current kernel; returns its values, edits included."""
    state = st.session_state
    if state.get("kl_editor_out") != page.values["kernel"]:  # set by a preset, link or switch
        state.kl_version, state.kl_base = state.get("kl_version", 0) + 1, current
    st.caption("Click a cell to change its value (rows and columns resize the grid).")
    edited = st.data_editor(pd.DataFrame(state.kl_base), key=f"kl_editor_{state.kl_version}")
    return edited.to_numpy(dtype=float)


def lazy_section(label: str, key: str):
    """An expander whose content is built only while it is open; None while it is closed.

    Closed (the default) it costs one element per rerun: the sections below the pair cost
    about 1 ms of server CPU per rerun when built.
    """
    section = st.expander(label, key=key, on_change="rerun")
    return section if section.open else None


def learning_section() -> None:
    """The chapter's experiment and learning a 3x3 kernel from a micrograph, drawn live."""
    if (section := lazy_section("Learning a kernel", "kl_learn_open")) is None:
        return
    with section:
        st.markdown("Can gradient descent recover a kernel from an image and its filtered version "
                    "alone? Start from a wrong kernel, compare the output with the target by "
                    "squared error, and step the kernel against the gradient.")
        which = st.radio("Experiment", ["Chapter: 6x8 stripes, target from [1, -1]",
                                        "3x3 kernel from a micrograph"], key="kl_learn_which")
        target = None
        if which.startswith("3x3"):
            target = st.selectbox("Kernel to recover", ["Sobel x", "Sobel y", "Laplacian",
                                                        "sharpen", "Scharr x"], key="kl_learn_t")
        if st.button("Train", key="kl_train"):
            run = chapter_experiment() if target is None else micrograph_experiment(target)
            bar, history = st.progress(0.0), []
            for record in run:
                history.append(record)
                total = 10 if target is None else 150
                bar.progress(record["step"] / total, text=f"step {record['step']}: "
                             f"loss {record['loss']:.4g}")
            st.session_state.kl_learned = {"which": which, "target": target, "history": history}
        learned = st.session_state.get("kl_learned")
        if learned:
            hist = learned["history"]
            c1, c2 = st.columns(2)
            learned_id = repr((learned["which"], hist))
            charts.cached_chart(learned_id, lambda: loss_figure([r["step"] for r in hist],
                                                            [r["loss"] for r in hist]), where=c1)
            charts.cached_chart(learned_id, lambda: kernel_figure(
                hist[-1]["kernel"], f"Learned kernel after step {hist[-1]['step']}"), where=c2)
            every_second = ", ".join(f"{r['loss']:.3f}" for r in hist[1::2][:5])
            st.caption(f"Loss at steps 2, 4, 6, 8, 10: {every_second}.")
            step = st.slider("Kernel at step", 1, len(hist), len(hist), key="kl_learn_step")
            st.dataframe(pd.DataFrame(hist[step - 1]["kernel"]).style.format("{:.4f}"))


def _patch_animation(patch: np.ndarray, K: np.ndarray, flip: bool, scale: float,
                     projector: bool) -> PrebuiltFigure:
    """The patch divided by ``scale`` (so its numbers fit their cells), raw values on hover."""
    figure = window_figure(correlation_steps(patch / scale, K, flip=flip), "patch", "result",
                           projector=projector)
    return PrebuiltFigure(with_raw_hover(figure, patch, scale))


def patch_section(image: np.ndarray, K: np.ndarray, flip: bool,
                  image_id: str) -> tuple[int, int, int] | None:
    """Sliding-window animation with the raw values of a small patch the user picks.

    ``image_id``: text that identifies ``image`` (the chart is cached under it).
    """
    section = lazy_section("Step by step on a patch of your image", "kl_patch_open")
    if section is None:
        return None
    with section:
        if max(K.shape) > 5:
            st.info("The step-by-step view works for kernels up to 5 x 5; pick a smaller kernel.")
            return None
        h, w = image.shape
        c1, c2, c3 = st.columns(3)
        size = c1.number_input("Patch size", max(K.shape), min(12, h, w), min(8, h, w),
                               key="kl_patch_size")
        top = c2.number_input("Patch top row", 0, h - size, min(h // 2, h - size), key="kl_patch_r")
        left = c3.number_input("Patch left column", 0, w - size, min(w // 2, w - size),
                               key="kl_patch_c")
        patch = np.array(image[top: top + size, left: left + size])  # a copy: samples are read-only
        exponent = display.patch_exponent(patch)
        values = (f"values x 10^{exponent} (the patch and the result alike; hover a number for "
                  "its raw value)" if exponent else "with the raw values")
        st.caption(f"Rows {top}-{top + size - 1}, columns {left}-{left + size - 1} (orange box in "
                   f"the original), no padding: the output is the valid part, {values}.")
        charts.cached_chart(f"{image_id} {top} {left} {size} {flip}",
                            lambda: _patch_animation(patch, K, flip, 10.0**exponent,
                                                     charts.projector_on()), key="kl_patch_anim")
        return int(top), int(left), int(size)
