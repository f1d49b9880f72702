"""Runs one page after setting configurations from outside, as a lecturer's broadcast would.

Session state "test_broadcast" ({prefix: config}) is sent with config_ui.set_config before the
page named by "test_page" runs; the replies land in "test_broadcast_replies".
"""

import runpy
from pathlib import Path

import streamlit as st

from ui import config_ui

ROOT = Path(__file__).resolve().parents[2]
replies = {prefix: config_ui.set_config(prefix, config)
           for prefix, config in st.session_state.pop("test_broadcast", {}).items()}
st.session_state["test_broadcast_replies"] = replies
runpy.run_path(str(ROOT / st.session_state.get("test_page", "pages/2_cross_correlation.py")))
st.session_state["test_current"] = {prefix: config_ui.current(prefix)
                                    for prefix in st.session_state.get("test_read", ())}
