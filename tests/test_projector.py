import plotly.graph_objects as go
import pytest

from cnnviz.viz.projector import (
    PROJECTOR,
    apply_projector,
    axis_overrides,
    layout_overrides,
    trace_overrides,
)


def animated_figure() -> go.Figure:
    frames = [go.Frame(name=str(i), data=[go.Scatter(x=[0, 1], y=[i, i + 1])]) for i in range(3)]
    steps = [{"method": "animate", "args": [[str(i)]], "label": str(i)} for i in range(3)]
    fig = go.Figure(data=[go.Scatter(x=[0, 1], y=[0, 1]), go.Heatmap(z=[[1, 2]])], frames=frames)
    fig.update_layout(sliders=[{"steps": steps}],
                      updatemenus=[{"type": "buttons", "buttons": [{"label": "Play",
                                                                    "method": "animate"}]}])
    return fig


def test_off_changes_nothing():
    fig = animated_figure()
    before = fig.to_plotly_json()
    assert apply_projector(fig, False) is fig
    assert fig.to_plotly_json() == before
    assert layout_overrides(False) == {} == axis_overrides(False)
    assert trace_overrides("scatter", False) == {}


def test_on_enlarges_type_and_thickens_lines_everywhere():
    fig = apply_projector(animated_figure(), True)
    assert fig.layout.font.size == PROJECTOR.font_size > 12
    assert fig.layout.xaxis.gridwidth == PROJECTOR.grid_width
    assert fig.layout.yaxis.tickfont.size == PROJECTOR.font_size
    assert fig.data[0].line.width == PROJECTOR.line_width
    assert fig.data[1].textfont.size == PROJECTOR.font_size
    assert all(frame.data[0].line.width is None for frame in fig.frames)  # frames inherit
    assert fig.layout.sliders[0].font.size == PROJECTOR.font_size
    assert fig.layout.updatemenus[0].font.size == PROJECTOR.font_size


def test_on_keeps_the_data():
    fig = apply_projector(animated_figure(), True)
    assert list(fig.frames[2].data[0].y) == [2, 3]
    assert [list(step.args[0]) for step in fig.layout.sliders[0].steps] == [["0"], ["1"], ["2"]]


@pytest.mark.parametrize("trace_type", ["image", "surface"])
def test_other_trace_types_are_left_alone(trace_type):
    assert trace_overrides(trace_type, True) == {}


def test_bar_labels_grow_to_the_projector_size():
    """Labels beside bars (LeNet's class probabilities) were 14-16 px in projector mode."""
    fig = go.Figure([go.Bar(x=[0.1], y=["cat"], text=["10%"], textfont={"size": 16}),
                     go.Bar(x=[0.2], y=["dog"], text=["20%"], textfont={"size": 30})])
    apply_projector(fig, True)
    assert [t.textfont.size for t in fig.data] == [PROJECTOR.font_size, 30]
    assert trace_overrides("bar", True) == {"textfont": {"size": PROJECTOR.font_size}}


def test_high_contrast_text_is_black():
    assert layout_overrides(True)["font"]["color"] == "#000000"


def test_figure_choices_are_kept_and_only_grow():
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"width": 0}),  # an invisible cover
        go.Scatter(x=[0], y=[0], mode="text", text=["7"], textfont={"size": 9}),  # fitted
        go.Scatter(x=[0, 1], y=[1, 0], mode="lines+markers", line={"width": 7},
                   marker={"size": 3}),
    ], frames=[go.Frame(data=[go.Scatter(x=[1, 2]), go.Scatter(line={"width": 1})])])
    apply_projector(fig, True)
    assert fig.data[0].line.width == 0
    assert fig.data[1].textfont.size == 9
    assert fig.data[2].line.width == 7
    assert fig.data[2].marker.size == PROJECTOR.marker_size
    assert fig.frames[0].data[0].line.width is None
    assert fig.frames[0].data[1].line.width == PROJECTOR.line_width


def test_hidden_axis_parts_stay_hidden():
    fig = go.Figure(go.Heatmap(z=[[1, 2]]))
    fig.update_xaxes(showgrid=False, showticklabels=False)
    fig.update_yaxes(showline=True, visible=True)
    apply_projector(fig, True)
    assert fig.layout.xaxis.linewidth is None  # no line shown, none drawn
    assert fig.layout.xaxis.gridwidth is None
    assert fig.layout.xaxis.tickfont.size is None
    assert fig.layout.yaxis.linewidth == PROJECTOR.axis_line_width
