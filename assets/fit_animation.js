// Sliding-window animations (cnnviz/viz/animation.py) are laid out for a chart column of a
// laptop's width. In a narrower column (a phone) their square cells get smaller while the
// figure keeps its height, which left an empty band between the grids and the arithmetic line.
// This shrinks the grids' band (layout.meta.cnnvizGridBand, plot fractions) to what the grids
// need at the column's actual width; what lies above and below it keeps its pixel size.
(function () {
  if (window.__cnnvizFitAnimation) return;  // install once per browser tab
  window.__cnnvizFitAnimation = true;
  const MIN_GAIN_PX = 8;

  // The figure as the server sent it: kept, since our relayout changes gd.layout.
  function base(gd) {
    const sent = gd.__cnnvizFitted;
    if (sent && gd.layout.height === sent.height) return sent.base;
    const domains = {};
    for (const name of Object.keys(gd.layout)) {
      if (/^yaxis\d*$/.test(name) && gd.layout[name].domain) {
        domains[name] = gd.layout[name].domain.slice();
      }
    }
    return {height: gd.layout.height, domains: domains};
  }

  // Pixels the grids' band can lose at this width: the least free space under any column.
  function spare(gd, b, plotPx) {
    const width = gd._fullLayout._size.w;
    const free = {};
    for (const [name, dom] of Object.entries(b.domains)) {
      const y = gd.layout[name];
      if (!y.scaleanchor) continue;  // the arithmetic strip
      const x = gd.layout["xaxis" + y.scaleanchor.slice(1)];  // "x2" -> "xaxis2"
      if (!x || !x.domain || !x.range || !y.range) continue;
      const xPx = (x.domain[1] - x.domain[0]) * width;
      const yPx = (dom[1] - dom[0]) * plotPx;
      const needed = xPx * Math.abs(y.range[1] - y.range[0]) / Math.abs(x.range[1] - x.range[0]);
      const column = x.domain.join(",");
      free[column] = (free[column] || 0) + Math.max(0, yPx - needed);
    }
    const values = Object.values(free);
    return values.length ? Math.min(...values) : 0;
  }

  function fit(gd) {
    const band = gd.layout && gd.layout.meta && gd.layout.meta.cnnvizGridBand;
    if (!band || !gd._fullLayout || !gd._fullLayout._size || !window.Plotly) return;
    const b = base(gd);
    const margin = gd._fullLayout.margin;
    const plotPx = b.height - margin.t - margin.b;
    const cut = spare(gd, b, plotPx);
    const height = Math.round(b.height - cut);
    if (Math.abs(height - gd.layout.height) < MIN_GAIN_PX) return;
    const [low, high] = [band[0] * plotPx, band[1] * plotPx];
    const newPlot = plotPx - (b.height - height);
    const squeeze = (high - low - (b.height - height)) / (high - low);
    function moved(fraction) {
      const px = fraction * plotPx;
      const out = px <= low ? px : px >= high ? px - (b.height - height)
        : low + (px - low) * squeeze;
      return out / newPlot;
    }
    const update = {height: height};
    for (const [name, dom] of Object.entries(b.domains)) {
      update[name + ".domain"] = [moved(dom[0]), moved(dom[1])];
    }
    gd.__cnnvizFitted = {height: height, base: b};
    window.Plotly.relayout(gd, update);
  }

  function connect(gd) {
    if (!gd._ev || gd._ev.__cnnvizFit || typeof gd.on !== "function") return;
    gd._ev.__cnnvizFit = true;
    gd.on("plotly_afterplot", () => fit(gd));
    fit(gd);
  }
  new MutationObserver(() => {
    document.querySelectorAll(".js-plotly-plot").forEach(connect);
  }).observe(document.body, {childList: true, subtree: true});
})();
