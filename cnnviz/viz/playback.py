"""Playback controls of an animation, all run in the browser: play buttons, step buttons, slider.

The step buttons do nothing by themselves (plotly has no relative step, method "skip");
assets/keyboard_stepping.js, loaded on every page, acts on their clicks.
"""

from __future__ import annotations

from cnnviz.viz.projector import AnimationText

SPEEDS = (("▶ Slow", 1200), ("▶ Play", 500), ("▶▶ Fast", 120))
STEP_BACK, STEP_NEXT = "◀ Step", "Step ▶"
INK = "#111111"  # text and borders of the controls: dark enough for a washed-out projector
GAP_PX = 8  # between the button rows, and between them and the panel titles


def row_px(text: AnimationText) -> int:
    """Height of one row of buttons (plotly: the text's line plus its padding and border)."""
    return int(text.buttons * 1.3 + 12)


def top_margin(text: AnimationText) -> int:
    """Space above the plot for two rows of buttons: play on top, step below it.

    Two rows, because a chart does not know its width in advance: the six buttons on one row
    are ~650 px wide in projector mode, wider than a 1280 x 720 screen's chart column, and
    wider than a phone at any size.
    """
    return 2 * row_px(text) + 3 * GAP_PX


def bottom_margin(text: AnimationText) -> int:
    """Space under the plot for the slider: "Step k / n", the rail, the tick labels."""
    return int(1.4 * (text.title + text.slider) + 36)


def _animate_args(duration: int, names) -> list:
    """Arguments of Plotly.animate: scatter-only updates need no full redraw."""
    return [names, {"frame": {"duration": duration, "redraw": False}, "mode": "immediate",
                    "fromcurrent": True, "transition": {"duration": 0}}]


def buttons(text: AnimationText, above_plot_px: int = 0) -> list[dict]:
    """Play at three speeds and pause (first row); step back and forth (second row).

    ``above_plot_px``: space kept free between the buttons and the plot (e.g. for a legend).
    """
    play = [{"label": label, "method": "animate", "args": _animate_args(ms, None)}
            for label, ms in SPEEDS]
    play.append({"label": "■ Pause", "method": "animate", "args": _animate_args(0, [None])})
    step = [{"label": label, "method": "skip", "args": []} for label in (STEP_BACK, STEP_NEXT)]
    common = {"type": "buttons", "direction": "left", "showactive": False, "x": 0, "y": 1.0,
              "xanchor": "left", "yanchor": "bottom", "bgcolor": "#FFFFFF",
              "bordercolor": INK, "borderwidth": text.border,
              "font": {"size": text.buttons, "color": INK}}
    below = GAP_PX + above_plot_px
    return [{**common, "pad": {"t": 0, "b": below + GAP_PX + row_px(text)}, "buttons": play},
            {**common, "pad": {"t": 0, "b": below}, "buttons": step}]


def slider(n: int, text: AnimationText) -> dict:
    """One slider step per frame; its label reads 'Step k / n'; tick labels while they fit."""
    steps = [{"label": str(k + 1), "method": "animate",
              "args": [[str(k)], {"frame": {"duration": 0, "redraw": False},
                                  "mode": "immediate", "transition": {"duration": 0}}]}
             for k in range(n)]
    ticks = n * 2.2 * text.slider <= text.narrow_px  # more would run into each other
    return {"active": 0, "steps": steps, "x": 0, "len": 1.0, "y": 0, "yanchor": "top",
            "pad": {"t": 10}, "currentvalue": {"prefix": "Step ", "suffix": f" / {n}",
                                               "font": {"size": text.title, "color": INK}},
            "ticklen": 4 if ticks else 0, "bordercolor": INK, "borderwidth": text.border,
            "font": {"size": text.slider, "color": "#333333" if ticks else "rgba(0, 0, 0, 0)"}}
