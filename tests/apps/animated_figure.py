"""A tiny page with a plotly frame animation and slider, for the keyboard-stepping browser test."""

import plotly.graph_objects as go
import streamlit as st

from ui import charts, sidebar

FRAMES = 5


def animated_figure() -> go.Figure:
    """A bar moving over five frames, with a slider whose steps animate to each frame."""
    frames = [go.Frame(name=str(i), data=[go.Bar(x=list(range(FRAMES)),
                                                 y=[1 if j == i else 0 for j in range(FRAMES)])])
              for i in range(FRAMES)]
    steps = [{"method": "animate", "label": str(i),
              "args": [[str(i)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                  "transition": {"duration": 0}}]}
             for i in range(FRAMES)]
    fig = go.Figure(data=frames[0].data, frames=frames)
    fig.update_layout(sliders=[{"active": 0, "steps": steps}], height=400)
    return fig


sidebar.sidebar()
st.title("Animated figure")
st.number_input("A widget that owns its arrow keys", value=1, key="animated_number")
charts.plotly_chart(animated_figure(), key="animated_chart")
