"""Channels page: a 1x1 convolution turns a spectrum image's energy channels into a few maps."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz.imageio import ImageLoadError, load_spectrum_image
from cnnviz.lab import budget, samples
from cnnviz.teach.spectral import channel_maps, window_weights
from cnnviz.viz.spectral_figures import mixing_figure
from ui import charts
from ui.upload_store import EVICTED, session_owner

SLOT = "channels spectrum image"
N_MAPS = 3


@st.cache_resource(max_entries=1, show_spinner=False)
def _synthetic():
    """The built-in 3-phase EDS cube, shared read-only by every session."""
    si, _ = samples.spectrum_image()
    si.cube.setflags(write=False)
    return si


def _spectrum_image():
    """The synthetic cube or this session's uploaded one; None (with a message) when absent."""
    choice = st.radio("Spectrum image", ["Synthetic EDS map (3 phases)", "My upload (DM3/DM4)"],
                      key="chan_si_source", horizontal=True)
    if choice.startswith("Synthetic"):
        return _synthetic(), [(lines[0][0], 0.15) for _, lines in samples.SPECTRUM_PHASES]
    upload = st.file_uploader("A DM3/DM4 spectrum image", type=["dm3", "dm4"],
                              key="chan_si_uploader")
    if upload is not None and st.session_state.get("chan_si_id") != upload.file_id:
        st.session_state.chan_si_id = upload.file_id
        try:
            budget.UPLOADS.put(session_owner(), SLOT,
                               {"si": load_spectrum_image(upload.getvalue(), upload.name)})
            st.session_state.chan_si_held = True
        except (ImageLoadError, budget.BudgetError) as err:
            st.error(f"Could not use '{upload.name}': {err}")
    stored = budget.UPLOADS.get(session_owner(), SLOT)
    if stored is None:
        if st.session_state.get("chan_si_held"):
            st.warning(EVICTED)
        else:
            st.info("Upload a spectrum image (EELS, EDS or CL) saved by Digital Micrograph.")
        return None, []
    channels = stored["si"].channels
    thirds = np.linspace(channels[0], channels[-1], 2 * N_MAPS + 1)[1::2]  # centres of thirds
    return stored["si"], [(float(c), float(channels[-1] - channels[0]) / 6) for c in thirds]


def spectrum_section() -> None:
    """Windows on the spectral axis as a (c_o, C) weight matrix, and the maps it makes."""
    st.header("1x1 convolution on a spectrum image")
    st.markdown("A spectrum image has one input channel per energy: hundreds of channels. A "
                "1x1 convolution mixes them at every pixel: output map o is the sum over "
                "channels c of W[o, c] X[c, y, x]. With weights 1 inside an energy window and "
                "0 outside, each output channel is an element map.")
    si, defaults = _spectrum_image()
    if si is None:
        return
    cols, windows = st.columns(N_MAPS), []
    lo, hi = float(si.channels[0]), float(si.channels[-1])
    for o, (col, (centre, half)) in enumerate(zip(cols, defaults, strict=True)):
        c = col.number_input(f"Map {o + 1}: window centre ({si.units})", lo, hi,
                             float(np.clip(centre, lo, hi)), key=f"chan_si_c{o}")
        h = col.number_input(f"Map {o + 1}: half width ({si.units})", 0.0, hi - lo, half,
                             key=f"chan_si_w{o}")
        windows.append((c, h))
    weights = window_weights(si.channels, windows)
    names = [f"map {o + 1}: {c:g} +- {h:g} {si.units}" for o, (c, h) in enumerate(windows)]
    h, w, n = si.cube.shape
    st.caption(f"{h} x {w} pixels x {n} channels ({si.axis_name}, {si.units}); the weight "
               f"matrix is {N_MAPS} x {n}, that is a 1x1 kernel of shape {N_MAPS} x {n} x 1 x 1.")

    def figure():
        return mixing_figure(si.channels, si.units, si.cube.mean(axis=(0, 1)), weights,
                             channel_maps(si.cube, weights), names)
    if si.source == "synthetic":  # the same cube for everyone: one figure per set of windows
        charts.cached_chart(repr(windows), figure, key="chan_si_chart")
    else:
        charts.plotly_chart(figure(), key="chan_si_chart")
