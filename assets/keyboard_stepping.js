// Keyboard stepping of plotly animations: arrow keys and PageUp/PageDown (what presentation
// clickers send) move the animation on the page one frame back or forth. Works for any plotly
// figure with frames and a slider whose steps animate to a frame; the slider follows the frame.
// The figure's own "◀ Step" / "Step ▶" buttons (method "skip" in cnnviz/viz/playback.py) step it
// too, and so does pointing at an output cell; the step on screen goes into the address (?step=).
// Class mode: every step a figure reaches (any of the above, Play, the slider) is announced as a
// "cnnviz-step" window event, which only the lecturer's page sends on to the server
// (assets/class_step_reporter.js); window.cnnvizShowStep(k) shows step k on followers' pages.
(function () {
  if (window.__cnnvizKeyboardStepping) return;  // install once per browser tab
  window.__cnnvizKeyboardStepping = true;
  const NEXT = new Set(["ArrowRight", "ArrowDown", "PageDown"]);
  const PREV = new Set(["ArrowLeft", "ArrowUp", "PageUp"]);

  function isAnimated(gd) {
    const frames = gd._transitionData && gd._transitionData._frames;
    const sliders = gd._fullLayout && gd._fullLayout.sliders;
    return Boolean(frames && frames.length && sliders && sliders.length
      && sliders[0].steps && sliders[0].steps.length);
  }

  function visibleArea(el) {
    const r = el.getBoundingClientRect();
    const w = Math.min(r.right, window.innerWidth) - Math.max(r.left, 0);
    const h = Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0);
    return Math.max(w, 0) * Math.max(h, 0);
  }

  // The animated figure the audience sees most of (pages may show more than one); when none is
  // on screen, the page's first one.
  function targetFigure() {
    const figures = Array.from(document.querySelectorAll(".js-plotly-plot")).filter(isAnimated);
    let best = figures.length ? figures[0] : null;
    let bestArea = 0;
    for (const gd of figures) {
      const area = visibleArea(gd);
      if (area > bestArea) { best = gd; bestArea = area; }
    }
    return best;
  }

  // The visible steps of a figure and the one on screen. While an animation is still running,
  // count from where it is going, so that fast repeated presses add up instead of restarting
  // from the frame on screen.
  function currentStep(gd) {
    const slider = gd._fullLayout.sliders[0];
    const steps = slider.steps.filter((s) => s.visible !== false);
    const from = gd.__cnnvizPending !== undefined ? gd.__cnnvizPending : slider.active || 0;
    return {steps: steps, current: Math.max(0, steps.indexOf(slider.steps[from]))};
  }

  // Show visible step ``wanted`` (0-based, clamped to the figure's steps).
  function goTo(gd, wanted) {
    const at = currentStep(gd);
    const next = Math.min(at.steps.length - 1, Math.max(0, wanted));
    if (next !== at.current) show(gd, gd._fullLayout.sliders[0].steps.indexOf(at.steps[next]));
  }

  function step(gd, delta) {
    userMoved();
    goTo(gd, currentStep(gd).current + delta);
  }

  // The user moved a figure: the step shown by a link or by cnnvizShowStep no longer holds.
  function userMoved() {
    movedOn = window.location.pathname;
    holdUntil = 0;
  }

  // Tell the page which visible step (0-based) frame ``name`` is; the lecturer's page sends it.
  function announce(gd, name) {
    const steps = gd._fullLayout.sliders[0].steps.filter((s) => s.visible !== false);
    const index = steps.findIndex((s) => s.args && s.args[0] && s.args[0][0] === name);
    if (index >= 0) {
      window.dispatchEvent(new CustomEvent("cnnviz-step", {detail: {step: index}}));
    }
  }

  // Show frame ``index`` (a slider step), as the slider itself would.
  function show(gd, index, retried) {
    const slider = gd._fullLayout.sliders[0];
    const target = slider.steps[index];
    if (!target) return;
    const request = (gd.__cnnvizRequest || 0) + 1;
    gd.__cnnvizRequest = request;
    gd.__cnnvizPending = index;
    const options = Object.assign({}, target.args[1] || {}, {mode: "immediate"});
    const done = target.method === "animate" && window.Plotly
      ? window.Plotly.animate(gd, target.args[0], options)
      : Promise.resolve();
    function settle() {
      if (gd.__cnnvizRequest !== request) return;  // a later press took over
      gd.__cnnvizPending = undefined;
      // The slider follows animate() by itself; set it explicitly when it did not.
      if (gd._fullLayout.sliders[0].active !== index && window.Plotly) {
        window.Plotly.relayout(gd, {"sliders[0].active": index});
      }
      remember(index);
    }
    // An animation cut short (the chart was redrawn meanwhile) is asked for once more.
    function failed() {
      if (gd.__cnnvizRequest === request && !retried) show(gd, index, true);
      else settle();
    }
    Promise.resolve(done).then(settle, failed);
  }

  // Class mode (ui/classroom.py): show step ``index`` (0-based) on the page's animation. The
  // figure may not be drawn yet, or be redrawn at step 0 after a rerun: keep it there for 5 s,
  // unless the user moves it. A few steps ahead (the lecturer plays the animation, and a
  // follower polls once a second) are walked through one by one, so that Play looks like Play.
  const WALK_STEPS = 8, WALK_MS = 60, HOLD_MS = 150;
  let holdUntil = 0, held = 0;
  window.cnnvizShowStep = function (index) {
    held = index;
    const start = holdUntil <= Date.now();
    holdUntil = Date.now() + 5000;
    if (!start) return;
    (function hold() {
      if (Date.now() >= holdUntil) return;  // over, or the user moved the figure meanwhile
      const gd = targetFigure();
      let walking = false;
      if (gd) {
        const at = currentStep(gd).current;
        walking = held > at + 1 && held - at <= WALK_STEPS;
        if (at !== held) goTo(gd, walking ? at + 1 : held);
      }
      setTimeout(hold, walking ? WALK_MS : HOLD_MS);
    })();
  };

  // The step on screen is part of the page's address (?step=k, from 1), so a copied link
  // reopens it; the app's own query parameters stay as they are.
  function remember(index) {
    const url = new URL(window.location.href);
    if (url.searchParams.get("step") === String(index + 1)) return;
    url.searchParams.set("step", String(index + 1));
    window.history.replaceState(window.history.state, "", url);
  }

  // Pointing at an output cell (click; hover where there is a mouse) shows the step that
  // writes it: the figure's invisible cell squares carry that frame's index as customdata.
  const HOVER = window.matchMedia && window.matchMedia("(hover: hover)").matches;
  function pointAt(gd, event) {
    const point = event && event.points && event.points[0];
    if (!point || typeof point.customdata !== "number" || !isAnimated(gd)) return;
    userMoved();
    if (gd._fullLayout.sliders[0].active !== point.customdata) show(gd, point.customdata);
  }
  function connect(gd) {
    // Plotly drops its listeners with the event hub when it redraws from scratch: mark the hub.
    if (!gd._ev || gd._ev.__cnnvizPointing || typeof gd.on !== "function" || !isAnimated(gd)) {
      return;
    }
    gd._ev.__cnnvizPointing = true;
    gd.on("plotly_click", (event) => pointAt(gd, event));
    if (HOVER) gd.on("plotly_hover", (event) => pointAt(gd, event));
    gd.on("plotly_sliderchange", (event) => remember(event.slider.active));
    gd.on("plotly_animatingframe", (event) => announce(gd, event.name));
    // A link with ?step=k opens the figure at that step. A redraw puts the first frame's data
    // back (the slider may keep its place), so each redraw shows the step again until the user
    // moves it; at most LINKED_SHOWS times, in case a redraw ever followed from showing it.
    // Only real shows count: a busy browser draws the figure several times before its frames
    // exist, and those redraws must not use up the budget.
    gd.on("plotly_afterplot", () => linkedStep(gd));
    linkedStep(gd);
  }
  const LINKED_SHOWS = 12;
  let movedOn = null;  // the page (path) on which the user moved the step since it opened
  function linkedStep(gd) {
    if (!isAnimated(gd) || movedOn === window.location.pathname) return;
    const k = parseInt(new URL(window.location.href).searchParams.get("step"), 10);
    if (!(k > 1 && k <= gd._fullLayout.sliders[0].steps.length)) return;
    gd.__cnnvizLinked = (gd.__cnnvizLinked || 0) + 1;
    if (gd.__cnnvizLinked <= LINKED_SHOWS) show(gd, k - 1);
  }
  new MutationObserver(() => {
    document.querySelectorAll(".js-plotly-plot").forEach(connect);
  }).observe(document.body, {childList: true, subtree: true});

  // Inputs that use these keys themselves; a focused toggle, checkbox or button does not.
  const KEYLESS_INPUTS = new Set(["checkbox", "button", "submit", "reset", "image", "file",
    "color"]);
  function isTyping(el) {
    if (!el) return false;
    const tag = (el.tagName || "").toLowerCase();
    if (tag === "input") return !KEYLESS_INPUTS.has((el.type || "text").toLowerCase());
    const role = el.getAttribute("role");
    return tag === "textarea" || tag === "select" || el.isContentEditable
      || role === "slider" || role === "radio" || role === "combobox" || role === "listbox";
  }

  // Play, Pause and dragging the slider are the user's moves too.
  document.addEventListener("pointerdown", function (event) {
    const control = event.target.closest && event.target.closest(
      ".js-plotly-plot .updatemenu-button, .js-plotly-plot .slider-container");
    if (control) userMoved();
  }, true);

  const BUTTON_STEPS = {"◀ Step": -1, "Step ▶": 1};
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest(".updatemenu-button");
    const delta = button ? BUTTON_STEPS[(button.textContent || "").trim()] : undefined;
    if (!delta) return;
    const gd = button.closest(".js-plotly-plot");
    if (gd && isAnimated(gd)) step(gd, delta);
  }, true);

  document.addEventListener("keydown", function (event) {
    const delta = NEXT.has(event.key) ? 1 : PREV.has(event.key) ? -1 : 0;
    if (!delta || event.altKey || event.ctrlKey || event.metaKey) return;
    if (isTyping(document.activeElement)) return;  // the key belongs to a widget
    const gd = targetFigure();
    if (!gd) return;
    event.preventDefault();
    step(gd, delta);
  }, true);
})();
