"""Stand-in animation page for load tests until the lesson pages land: a cross-correlation of a
6x6 input with a 3x3 kernel as 16 heatmap frames with a slider, built by a cached function."""

import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from cnnviz.ops import corr2d
from ui import charts, sidebar


@st.cache_resource(max_entries=32)
def correlation_animation(size: int, kernel: int) -> go.Figure:
    """The figure, shared read-only: input with the window, output filled cell by cell."""
    X = torch.arange(size * size, dtype=torch.float32).reshape(size, size)  # (H, W)
    K = torch.ones(kernel, kernel)
    Y = corr2d(X, K)
    out = Y.shape[0]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("input X", "output Y"))
    frames, steps = [], []
    for idx in range(out * out):
        i, j = divmod(idx, out)
        shown = [[Y[r, c].item() if r * out + c <= idx else None for c in range(out)]
                 for r in range(out)]
        window = [[X[r, c].item() if i <= r < i + kernel and j <= c < j + kernel else None
                   for c in range(size)] for r in range(size)]
        data = [go.Heatmap(z=X.tolist(), texttemplate="%{z:.0f}", showscale=False,
                           colorscale="Greys", opacity=0.4),
                go.Heatmap(z=window, texttemplate="%{z:.0f}", showscale=False,
                           colorscale="Blues"),
                go.Heatmap(z=shown, texttemplate="%{z:.0f}", showscale=False,
                           colorscale="Oranges", xaxis="x2", yaxis="y2")]
        frames.append(go.Frame(name=str(idx), data=data, traces=[0, 1, 2]))
        steps.append({"method": "animate", "label": f"({i},{j})",
                      "args": [[str(idx)], {"mode": "immediate", "frame": {"duration": 0}}]})
    for trace in frames[0].data[:2]:
        fig.add_trace(trace, row=1, col=1)
    fig.add_trace(go.Heatmap(frames[0].data[2].to_plotly_json()), row=1, col=2)
    fig.frames = frames
    fig.update_layout(sliders=[{"active": 0, "steps": steps}], height=420)
    fig.update_yaxes(autorange="reversed")
    return fig


sidebar.sidebar()
st.title("Cross-correlation (load-test stand-in)")
size = st.slider("input size", 4, 8, 6, key="standin_size")
charts.plotly_chart(correlation_animation(size, 3), key="standin_chart")

if st.button("Train (stand-in for LeNet)", key="standin_train"):
    # A LeNet-sized network on random 28x28 images for a fixed number of steps: the server load of
    # one lecturer training while students rerun, until the real LeNet page lands.
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.Sigmoid(), torch.nn.AvgPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.Sigmoid(), torch.nn.AvgPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.Sigmoid(), torch.nn.Linear(120, 84),
        torch.nn.Sigmoid(), torch.nn.Linear(84, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
    progress = st.progress(0.0, text="training")
    steps = 300
    for step in range(steps):
        X, y = torch.randn(256, 1, 28, 28), torch.randint(0, 10, (256,))  # (N, C, H, W)
        loss = torch.nn.functional.cross_entropy(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            progress.progress((step + 1) / steps, text=f"loss {loss.item():.3f}")
    st.success("trained")
