"""Two cached charts with the same settings text but different figures, for charts.cached_chart."""

import plotly.graph_objects as go
import streamlit as st

from ui import charts, sidebar

builds = st.session_state.setdefault("builds", [])
height = st.number_input("Bar height", 1, 9, 3, key="height")


def bars(name: str) -> go.Figure:
    builds.append(name)
    return go.Figure(go.Bar(x=[name], y=[height]))


sidebar.sidebar()
left, right = st.columns(2)
charts.cached_chart(f"h={height}", lambda: bars("first"), where=left)
charts.cached_chart(f"h={height}", lambda: bars("second"), where=right,
                config={"displayModeBar": False})
