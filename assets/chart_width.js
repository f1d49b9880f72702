// The chart column's width on a narrow screen (ui/charts.py): the server sizes the
// sliding-window animations' height for it, as plotly cannot keep square cells and a fitted
// height on its own. Reported only below Streamlit's 640 px breakpoint (a desktop never
// reruns for it), in 10 px steps, and only when it differs from ``data``, the width the
// server has: a rerun that redraws the figure reports nothing again (no loop).
const NARROW_PX = 640;  // Streamlit stacks its columns below this viewport width
const STEP_PX = 10;

export default function ({ parentElement, data, setStateValue }) {
  const host = parentElement.host || parentElement;  // the shadow root's element, or itself
  let sent = data || 0;
  function report() {
    const column = host.closest("[data-testid='stVerticalBlock']") || host;
    const width = window.innerWidth < NARROW_PX
      ? Math.floor(column.clientWidth / STEP_PX) * STEP_PX : 0;
    if (width === sent || (window.innerWidth < NARROW_PX && width <= 0)) return;
    sent = width;
    setStateValue("width", width);
  }
  window.addEventListener("resize", report);
  report();
  return () => window.removeEventListener("resize", report);
}
