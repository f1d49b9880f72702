// The share panel's step watcher (ui/sidebar.py): reports the animation's step in the address
// (?step=k, written by keyboard_stepping.js, which also announces "cnnviz-step") to the
// server, so the share link and its QR code show the step on screen without the next rerun.
// ``data`` is the step the server's link holds: only a different one is reported (no loop).
export default function (component) {
  const {setStateValue, data} = component;
  let sent = data || "";
  function report() {
    const step = new URL(window.location.href).searchParams.get("step") || "";
    if (step === sent) return;
    sent = step;
    setStateValue("step", step);
  }
  const soon = () => setTimeout(report, 0);  // after the address has taken the step
  window.addEventListener("cnnviz-step", soon);
  // Also polled: a new configuration takes the step out of the address without an event.
  const timer = setInterval(report, 500);
  report();
  return () => { window.removeEventListener("cnnviz-step", soon); clearInterval(timer); };
}
