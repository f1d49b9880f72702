// Layout measurements of the page on screen (read by tests/test_layout_browser.py).
// Returns plain numbers and lists, so a failing test can say exactly what is wrong where.
() => {
  const main = document.querySelector("[data-testid='stMain']") || document.body;
  const sidebar = document.querySelector("[data-testid='stSidebar']");
  const vw = window.innerWidth;
  const vh = window.innerHeight;

  function shown(el) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none";
  }
  function sidebarOpen() {
    return Boolean(sidebar) && sidebar.getBoundingClientRect().right > 0
      && sidebar.getAttribute("aria-expanded") !== "false";
  }
  function name(el) {
    return ((el.tagName === "INPUT" && el.value) || el.innerText || el.textContent
      || el.getAttribute("aria-label") || el.tagName)
      .trim().replace(/\s+/g, " ").slice(0, 40);
  }

  // Body text: the paragraph size of the page's first markdown block.
  const para = main.querySelector("[data-testid='stMarkdownContainer'] p");
  const bodyPx = para ? parseFloat(getComputedStyle(para).fontSize) : null;

  // Text drawn in a plotly figure, in CSS pixels on screen (font size times the SVG's scale).
  function figureTexts(gd) {
    const out = [];
    for (const t of gd.querySelectorAll("svg text")) {
      const text = (t.textContent || "").trim();
      if (!text || !shown(t)) continue;
      const style = getComputedStyle(t);
      if (style.fill === "rgba(0, 0, 0, 0)" || style.opacity === "0") continue;
      const ctm = t.getScreenCTM();
      const scale = ctm ? Math.hypot(ctm.a, ctm.b) : 1;
      out.push({px: parseFloat(style.fontSize) * scale, text: text.slice(0, 30)});
    }
    return out;
  }
  // Text of a figure that leaves its drawing (plotly clips it at the SVG's edge).
  function cutTexts(gd) {
    const svg = gd.querySelector(".main-svg");
    if (!svg) return [];
    const box = svg.getBoundingClientRect();
    return Array.from(gd.querySelectorAll("svg text")).filter((t) => {
      if (!(t.textContent || "").trim() || !shown(t)) return false;
      const r = t.getBoundingClientRect();
      return r.left < box.left - 1 || r.right > box.right + 1;
    }).map((t) => t.textContent.trim().slice(0, 30));
  }
  // Captions of images (st.image): part of the figure they describe.
  function captionTexts() {
    const out = [];
    for (const img of main.querySelectorAll("[data-testid='stImage'] img")) {
      const block = img.closest("[data-testid='stElementContainer']") || img.parentElement;
      for (const c of block.querySelectorAll("[data-testid='stImageCaption'], "
          + "[data-testid='stCaptionContainer']")) {
        if (!shown(c) || !(c.innerText || "").trim()) continue;
        out.push({px: parseFloat(getComputedStyle(c).fontSize),
          text: c.innerText.trim().slice(0, 30)});
      }
    }
    return out;
  }
  // Vertical extent of what a figure draws (text, grid images, lines, controls): the largest
  // empty band inside it, and the space from its last drawn thing to the next element.
  function emptyBands(gd) {
    const spans = [];
    const marks = gd.querySelectorAll(".main-svg text, .main-svg image, .scatterlayer path, "
      + ".updatemenu-container, .slider-container");
    for (const el of marks) {
      const r = el.getBoundingClientRect();
      if (r.width < 1 || r.height < 1 || !shown(el)) continue;
      if (el.tagName === "text" && !(el.textContent || "").trim()) continue;
      spans.push([r.top, r.bottom]);
    }
    if (!spans.length) return null;
    spans.sort((a, b) => a[0] - b[0]);
    let inside = 0, bottom = spans[0][1];
    for (const [top, end] of spans.slice(1)) {
      inside = Math.max(inside, top - bottom);
      bottom = Math.max(bottom, end);
    }
    const block = gd.closest("[data-testid='stElementContainer']");
    let next = block && block.nextElementSibling;
    while (next && !shown(next)) next = next.nextElementSibling;
    return {inside: Math.round(inside),
      after: next ? Math.round(next.getBoundingClientRect().top - bottom) : null};
  }
  function smallest(texts) {
    return texts.reduce((m, t) => (m === null || t.px < m.px ? t : m), null);
  }

  const figures = Array.from(main.querySelectorAll(".js-plotly-plot")).filter(shown);
  const images = Array.from(main.querySelectorAll("[data-testid='stImage'] img, canvas"))
    .filter(shown);
  // The main figure: the first figure of the page (a plotly chart or an image).
  const candidates = [...figures, ...images].sort((a, b) =>
    a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1);
  const mainFigure = candidates[0] || null;
  const scrollTop = (document.scrollingElement || document.documentElement).scrollTop;
  const mainBox = mainFigure ? mainFigure.getBoundingClientRect() : null;
  const plotlyMain = mainFigure && mainFigure.classList.contains("js-plotly-plot")
    ? mainFigure : figures[0] || null;
  const mainSmallest = plotlyMain ? smallest(figureTexts(plotlyMain)) : null;
  const allSmallest = smallest([...figures.flatMap(figureTexts), ...captionTexts()]);
  const animation = figures.find((gd) => gd.querySelector(".slider-container")) || null;

  // Controls cut off: text wider than its box, a word broken over two lines, a box that leaves
  // the viewport sideways.
  const problems = [];
  const scopes = [main, ...(sidebarOpen() ? [sidebar] : [])];
  const selector = "button, label, [data-baseweb='select'] > div, [data-testid='stPageLink'] a,"
    + " [data-testid='stSidebarNav'] a,"
    + " [role='tab'], [data-testid='stWidgetLabel'] p,"
    + " [data-testid='stSelectbox'] input, [data-testid='stMultiSelect'] input";
  const seen = new Set();
  for (const scope of scopes) {
    for (const el of scope.querySelectorAll(selector)) {
      if (seen.has(el) || !shown(el) || el.closest(".js-plotly-plot")) continue;
      seen.add(el);
      const outer = el.parentElement && el.parentElement.closest(selector);
      if (outer && seen.has(outer)) continue;  // measured with the control around it
      const r = el.getBoundingClientRect();
      if (r.left < -1 || r.right > vw + 1) problems.push({what: "outside viewport", el: name(el)});
      // Ellipsis or hidden overflow anywhere inside (e.g. the value shown in a select box,
      // an input that scrolls its text).
      for (const inner of [el, ...el.querySelectorAll("*")]) {
        if (!shown(inner)) continue;
        const style = getComputedStyle(inner);
        if (style.overflowX === "visible" && style.textOverflow !== "ellipsis") continue;
        const text = inner.tagName === "INPUT" ? inner.value : inner.innerText;
        // (a 1 px box is text for screen readers only, hidden on purpose)
        if (inner.scrollWidth > inner.clientWidth + 1 && inner.clientWidth > 2
            && (text || "").trim()) {
          problems.push({what: "truncated", el: name(el)});
          break;
        }
      }
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let broken = null;
      while (!broken && walker.nextNode()) {
        const node = walker.currentNode;
        const re = /[^\s\-–—/]{2,}/g;  // a line may end after a hyphen or a slash
        let m;
        while ((m = re.exec(node.data))) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const lines = new Set(Array.from(range.getClientRects())
            .filter((x) => x.width > 0).map((x) => Math.round(x.top)));
          if (lines.size > 1) { broken = m[0]; break; }
        }
      }
      if (broken) problems.push({what: "word broken", el: name(el), word: broken});
    }
  }
  // Animation controls (plotly buttons and slider) inside their figure and the viewport.
  for (const gd of figures) {
    for (const text of cutTexts(gd)) problems.push({what: "figure text cut off", el: text});
    const svg = gd.querySelector(".main-svg").getBoundingClientRect();
    for (const c of gd.querySelectorAll(".updatemenu-button, .slider-container")) {
      const r = c.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < svg.left - 1 || r.right > svg.right + 1 || r.top < svg.top - 1
          || r.bottom > svg.bottom + 1) {
        problems.push({what: "outside figure", el: name(c)});
      } else if (r.left < -1 || r.right > vw + 1) {
        problems.push({what: "outside viewport", el: name(c)});
      }
    }
  }
  // The first two images (the kernel lab's original and result): where, and side by side?
  const pair = images.filter((i) => i.tagName === "IMG").slice(0, 2).map((i) => {
    const r = i.getBoundingClientRect();
    return {top: Math.round(r.top + scrollTop), bottom: Math.round(r.bottom + scrollTop),
      left: Math.round(r.left), right: Math.round(r.right)};
  });
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth > vw + 1) problems.push({what: "page scrolls sideways", el: `${pageWidth}px`});

  return {
    body_px: bodyPx,
    main_kind: mainFigure ? (mainFigure.classList.contains("js-plotly-plot") ? "plotly"
      : mainFigure.tagName.toLowerCase()) : null,
    main_top: mainBox ? Math.round(mainBox.top + scrollTop) : null,
    main_width: mainBox ? Math.round(mainBox.width) : null,
    main_min_text: mainSmallest,
    page_min_text: allSmallest,
    animation_width: animation ? Math.round(animation.getBoundingClientRect().width) : null,
    animation_bands: animation ? emptyBands(animation) : null,
    animation_top: animation
      ? Math.round(animation.getBoundingClientRect().top + scrollTop) : null,
    viewport: [vw, vh],
    image_pair: pair.length === 2 ? pair : null,
    problems,
  };
}
