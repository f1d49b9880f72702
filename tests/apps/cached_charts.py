"""Two cached charts with the same settings text but different figures, for ui.cached_chart."""

import plotly.graph_objects as go
import streamlit as st

from pages import ui

builds = st.session_state.setdefault("builds", [])
height = st.number_input("Bar height", 1, 9, 3, key="height")


def bars(name: str) -> go.Figure:
    builds.append(name)
    return go.Figure(go.Bar(x=[name], y=[height]))


ui.sidebar()
left, right = st.columns(2)
ui.cached_chart(f"h={height}", lambda: bars("first"), where=left)
ui.cached_chart(f"h={height}", lambda: bars("second"), where=right,
                config={"displayModeBar": False})
