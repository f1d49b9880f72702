// Class mode, mounted only on the lecturer's page (ui/classroom.py): every step the lecturer's
// figure reaches (assets/keyboard_stepping.js announces it as a "cnnviz-step" event) goes to the
// server as this component's state, which reruns only the component's fragment. At most one
// message per SEND_MS, and always the last step: Play at full speed sends ~4 a second.
const SEND_MS = 250;

export default function ({ setStateValue }) {
  let sent = null, pending = null, timer = null;
  function flush() {
    timer = null;
    if (pending === null || pending === sent) return;
    sent = pending;
    setStateValue("step", sent);
    timer = setTimeout(flush, SEND_MS);
  }
  function onStep(event) {
    pending = event.detail.step;
    if (timer === null) flush();
  }
  window.addEventListener("cnnviz-step", onStep);
  return () => {
    window.removeEventListener("cnnviz-step", onStep);
    clearTimeout(timer);
  };
}
