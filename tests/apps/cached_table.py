"""A table drawn through charts.cached_elements; counts how often it was really drawn."""

import streamlit as st

from ui import charts


def draw():
    st.session_state["drawn"] = st.session_state.get("drawn", 0) + 1
    st.table({"n": [1, 2]})


charts.cached_elements("n=1,2", draw)
