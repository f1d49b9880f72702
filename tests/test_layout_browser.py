"""Every page measured in Chromium at a projector's, a laptop's and a phone's size.

For each page and viewport: the smallest text inside the page's figures against the body text,
controls that are truncated, broken mid-word or outside the viewport (or outside their figure),
and whether the main figure starts on the first screen. The numbers go to
layout-results/layout/<viewport>.json and screenshots to layout-results/screens/
(git-ignored).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cnnviz.catalog import HOME, PAGES
from cnnviz.pagespecs import SPECS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
PROBE = (Path(__file__).parent / "layout_probe.js").read_text(encoding="utf-8")
RESULTS = ROOT / "layout-results"  # git-ignored; pytest-playwright empties test-results/
ANIMATED = {"cross_correlation", "padding_and_stride", "channels", "pooling"}
# A phone's animation: its height fits the grids (ui.charts.narrow_chart_px), so the emptiest
# band between two things it draws (grids, titles, arithmetic line, buttons) is about the
# gap between the buttons and the titles (22-23 px measured), never the 145-216 px of a
# height laid out for a desktop column.
PHONE_BAND_PX = 40
# name: (width, height, projector mode)
VIEWPORTS = {"1920x1080-projector": (1920, 1080, True), "1280x720-projector": (1280, 720, True),
             "1920x1080": (1920, 1080, False), "1280x720": (1280, 720, False),
             "390x844": (390, 844, False)}
TOGGLE = "[data-testid='stSidebar'] [data-testid='stCheckbox'] input"
# The run has ended and the page has stopped changing for 0.8 s (Streamlit shows its running
# indicator only after a delay, so its absence alone proves nothing), charts and images drawn.
SETTLED = """figure => {
  const main = document.querySelector("[data-testid='stMain']");
  if (!main || document.querySelector("[data-testid='stStatusWidget']")
      || document.querySelector("[data-stale='true']")) return false;
  const charts = main.querySelectorAll("[data-testid='stPlotlyChart']").length;
  const drawn = Array.from(main.querySelectorAll(".js-plotly-plot"))
    .filter(p => p.querySelector(".main-svg")).length;
  const images = Array.from(document.images);
  if (charts !== drawn || !images.every(i => i.complete)) return false;
  if (figure && !main.querySelector(".js-plotly-plot, [data-testid='stImage'] img")) return false;
  const shape = `${location.href} ${main.querySelectorAll("*").length} ${main.scrollHeight}`;
  const now = performance.now();
  if (window.__layoutShape !== shape) {
    window.__layoutShape = shape;
    window.__layoutSince = now;
  }
  return now - window.__layoutSince > 800;
}"""


# Example names that do not fit the page's "Example" select box (an input cannot wrap): each
# one's width in the input's font against the room the input has.
EXAMPLES_CUT = """labels => {
  const box = Array.from(document.querySelectorAll("[data-testid='stMain'] "
    + "[data-testid='stSelectbox']")).find(s => s.innerText.trim().startsWith("Example"));
  const input = box && box.querySelector("input");
  if (!input) return [];
  const style = getComputedStyle(input);
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  return labels.filter(label => ctx.measureText(label).width > room + 1);
}"""


def example_labels(info) -> list[str]:
    """Every name the page's example picker can show (ui.config_ui.preset_picker)."""
    spec = SPECS.get(info.spec)
    if spec is None or "preset" not in spec.fields or not spec.preset_labels:
        return []
    return [spec.preset_labels.get(c, "Your own settings") for c in spec.fields["preset"].choices]


def settle(page, figure: bool = True) -> None:
    """Wait until the script run ended and every chart and image is drawn."""
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_function(SETTLED, arg=figure, timeout=60_000, polling=100)


def visit(page, app_url: str, info, projector: bool) -> None:
    """Open a page; in projector mode through the sidebar, so the session keeps the mode."""
    if not projector:
        page.goto(f"{app_url}/{info.url_path}")
    else:
        old_title = page.locator("h1").first.text_content()
        page.locator("[data-testid='stSidebarNav'] a", has_text=info.title).first.click()
        page.wait_for_url(re.compile(rf"{re.escape(app_url)}/{info.url_path}(\?.*)?$"),
                          timeout=30_000)
        page.wait_for_function("old => document.querySelector('h1')?.textContent !== old",
                               arg=old_title, timeout=60_000)
    settle(page)


def open_home(page, app_url: str, projector: bool) -> None:
    """Open the home page and, for projector viewports, switch projector mode on."""
    page.goto(app_url)
    settle(page, figure=False)
    if projector:
        page.get_by_text("Projector mode").click()
        page.wait_for_function(f"() => document.querySelector(\"{TOGGLE}\")?.checked",
                               timeout=30_000)
        settle(page, figure=False)


def measure_all(browser, app_url: str, viewport: str) -> dict:
    """Measurements (see layout_probe.js) of every page at one viewport, with screenshots."""
    width, height, projector = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    screens = RESULTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    results = {}
    try:
        open_home(page, app_url, projector)
        for info in [HOME, *PAGES]:
            if info is not HOME:  # home is open already
                visit(page, app_url, info, projector)
            name = info.url_path or "home"
            results[name] = page.evaluate(PROBE)
            results[name]["problems"] += [{"what": "example name cut off", "el": label}
                                          for label in page.evaluate(EXAMPLES_CUT,
                                                                     example_labels(info))]
            page.screenshot(path=screens / f"{viewport}-{name}.png", full_page=True)
    finally:
        context.close()
    (RESULTS / "layout").mkdir(parents=True, exist_ok=True)
    (RESULTS / "layout" / f"{viewport}.json").write_text(json.dumps(results, indent=1))
    return results


def failures(viewport: str, results: dict) -> list[str]:
    """What the measurements say is wrong, one line per page and problem."""
    width, height, projector = VIEWPORTS[viewport]
    out = []
    for page_name, m in results.items():
        for p in m["problems"]:
            out.append(f"{page_name}: {p['what']}: {p['el']!r} {p.get('word', '')}".rstrip())
        if projector and m["main_top"] is not None and m["main_top"] >= height:
            out.append(f"{page_name}: main figure starts at {m['main_top']} px, below the fold")
        if projector:
            out.extend(f"{page_name}: {p}" for p in text_problems(m))
        if page_name == "kernel_lab" and width >= 1280:
            out.extend(f"kernel_lab: {p}" for p in pair_problems(m["image_pair"], height))
        if width < 600 and page_name in ANIMATED and (m["animation_width"] or 0) < 300:
            out.append(f"{page_name}: animation {m['animation_width']} px wide")
        band = (m["animation_bands"] or {}).get("inside")
        if width < 600 and page_name in ANIMATED and (band is None or band >= PHONE_BAND_PX):
            out.append(f"{page_name}: empty band of {band} px inside the animation")
    return out


def text_problems(m: dict) -> list[str]:
    """Projector mode: the smallest figure text is >= 20 px and >= 0.9 x the body text."""
    text = m["page_min_text"]
    if text and (text["px"] < 20 or text["px"] < 0.9 * m["body_px"]):
        return [f"figure text {text['px']:.1f} px ({text['text']!r}) against body "
                f"{m['body_px']} px"]
    return []


def pair_problems(pair: list[dict] | None, height: int) -> list[str]:
    """The kernel lab's main figure, original and result: side by side, starting on screen."""
    if pair is None:
        return ["the original and the result are not both shown"]
    (a, b), out = sorted(pair, key=lambda box: box["left"]), []
    if a["right"] > b["left"] + 1 or abs(a["top"] - b["top"]) > 40:
        out.append(f"original and result not side by side: {pair}")
    if max(a["top"], b["top"]) >= height:
        out.append(f"original and result start at {a['top']} / {b['top']} px, below the fold")
    return out


@pytest.mark.parametrize("viewport", [v for v in VIEWPORTS if VIEWPORTS[v][0] >= 1280])
def test_kernel_lab_original_and_result_side_by_side_above_the_fold(browser, app_url, viewport):
    width, height, projector = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        open_home(page, app_url, projector)
        visit(page, app_url, next(i for i in PAGES if i.url_path == "kernel_lab"), projector)
        m = page.evaluate(PROBE)
        (RESULTS / "screens").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=RESULTS / "screens" / f"kernel-lab-{viewport}.png")
    finally:
        context.close()
    problems = pair_problems(m["image_pair"], height)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_layout(browser, app_url, tiny_idx_data, viewport):
    results = measure_all(browser, app_url, viewport)
    assert set(results) == {"home", *(info.url_path for info in PAGES)}
    problems = failures(viewport, results)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", ["1280x720-projector", "1920x1080-projector"])
def test_lenet_figures_while_training_and_inside(browser, app_url, tiny_idx_data, viewport):
    """LeNet's figures past its first tab: the live training panel (paused) and the inspection."""
    width, height, _ = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    measured = {}
    try:
        open_home(page, app_url, True)
        visit(page, app_url, next(i for i in PAGES if i.url_path == "lenet"), True)
        page.get_by_role("tab", name="Training").click()
        settle(page)
        page.get_by_role("button", name=re.compile("^Train the")).click()
        page.get_by_role("button", name="Pause").click(timeout=60_000)
        page.get_by_role("button", name="Resume").wait_for(timeout=60_000)
        page.get_by_text("What it is learning now").wait_for(timeout=60_000)
        settle(page)
        measured["training"] = page.evaluate(PROBE)
        page.screenshot(path=RESULTS / "screens" / f"lenet-training-{viewport}.png")
        page.get_by_role("button", name="Stop").click()
        page.get_by_text("Last run").wait_for(timeout=60_000)
        page.get_by_role("tab", name="Inside the network").click()
        page.get_by_text("Output of every layer").wait_for(timeout=60_000)
        settle(page)
        measured["inside"] = page.evaluate(PROBE)
        page.screenshot(path=RESULTS / "screens" / f"lenet-inside-{viewport}.png")
    finally:
        context.close()
    (RESULTS / "layout").mkdir(parents=True, exist_ok=True)
    (RESULTS / "layout" / f"lenet-tabs-{viewport}.json").write_text(json.dumps(measured, indent=1))
    problems = [f"{tab}: {p}" for tab, m in measured.items()
                for p in [*text_problems(m), *(f"{x['what']}: {x['el']!r}" for x in m["problems"])]]
    assert not problems, "\n".join(problems)
