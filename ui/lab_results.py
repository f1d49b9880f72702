"""The kernel lab's filtered result and its browser views: computed once, remembered.

Cached functions live here, not in the page script: a decorator inside a page runs again on
every rerun, and Streamlit then hashes the function's source (about 0.5 ms a rerun). Callers
pass keywords (see ui/charts.py).
"""

from __future__ import annotations

import uuid

import numpy as np
import streamlit as st

from cnnviz.lab import budget, display, samples
from cnnviz.lab.filtering import apply_kernel
from ui.upload_store import session_owner

RESULT_SLOT = "kernel lab result"


def stored_result():
    """The page's last filter result for this session, or None (never stored, or evicted)."""
    return budget.UPLOADS.get(session_owner(), RESULT_SLOT)


def store_result(memo) -> None:
    """Keep the page's filter result under the server-wide budget (evicted when memory runs out)."""
    try:
        budget.UPLOADS.put(session_owner(), RESULT_SLOT, memo)
    except budget.BudgetError as err:
        st.error(str(err))


# Views and their images are shared by every session that shows the same arrays the same way
# (the built-in samples): a 512-pixel view with its percentiles and two JPEG encodings costs
# several milliseconds per rerun otherwise.
@st.cache_resource(max_entries=32, show_spinner=False)
def rendered(shown_as: str, _source: np.ndarray, _result: np.ndarray, _view: dict) -> dict:
    """Browser-sized views of the arrays; ``_view`` holds display.render_pair's settings.

    Only ``shown_as`` (text naming the arrays and those settings) is hashed.
    """
    view = display.render_pair(_source, _result, **_view)
    return {**view, "result_min": float(_result.min()), "result_max": float(_result.max())}


@st.cache_resource(max_entries=32, show_spinner=False)
def shared_result(settings: str, _source: np.ndarray, _K: np.ndarray, mode: str,
                  convolution: bool, device: str) -> np.ndarray:
    """A built-in sample's filtered version, computed once per server (``settings`` names it)."""
    result = apply_kernel(_source, _K, mode=mode, convolution=convolution, device=device)
    result.flags.writeable = False
    return result


def filtered(image: dict, K: np.ndarray, mode: str, convolution: bool, dose: float | None,
             device: str):
    """Filter once per (image, kernel, settings); remembered for this session only.

    Returns the source (noisy when ``dose`` is set), the result, and text that identifies
    both (for charts.cached_chart). The result does not depend on ``device`` (tested to 1e-4).
    """
    key = (image["token"], image["frame"], K.tobytes(), K.shape, mode, convolution, dose)
    memo = stored_result()
    if memo is None or memo[0] != key or memo[4] != device:
        source = image["array"] if dose is None else samples.shot_noise(image["array"], dose)
        if dose is None and image["token"].startswith("sample:"):  # the same for every session
            result = shared_result(settings=repr((key, device)), _source=source, _K=K, mode=mode,
                                   convolution=convolution, device=device)
        else:
            result = apply_kernel(source, K, mode=mode, convolution=convolution, device=device)
        # Uploads have unique tokens, so the key names the arrays, except that added noise is
        # drawn anew for each memo: then a random name (charts of samples stay shared).
        name = repr(key) + (f" noise {uuid.uuid4().hex}" if dose is not None else "")
        memo = (key, source, result, name, device)
        store_result(memo)
    return memo[1], memo[2], memo[3]
