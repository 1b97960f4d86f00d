"""End to end: the page served by ``hedgesim viz`` (:func:`sim.viz.serve.start_server`) on a free loopback port, driven in
Debian's headless Chromium with Playwright. Saves a screenshot to ``test-artifacts/``."""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from sim.viz.serve import start_server, stop
from tests.test_viz_server import free_port, wait_until_answering

#: A browser test is run again (at most twice) when it fails: anywidget gives every chart view a
#: fixed 2 s (a constant in its JavaScript) to start, and on two loaded cores a view can miss it and
#: stop drawing, through no fault of the page. Seen once in a full suite beside a CPU burner, before
#: the charts shared one plotly bundle (sim/viz/chart_widget.py: a page load now takes half the time
#: and 0.3 MB instead of 15.5 MB over the websocket, benchmarks/bench_page_load.py); kept as a second
#: line of defence. The page's own behaviour is asserted the same on every attempt.
pytestmark = [pytest.mark.browser, pytest.mark.flaky(reruns=2)]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
#: how long any expected state may take to show (CI runs on two loaded cores); never a fixed wait
STATE_MS = 60_000


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does it)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def page_url():
    _need_chromium()
    port = free_port()
    server = start_server("historical_2013_2024", "127.0.0.1", port, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_answering(url, server)
        yield url
    finally:
        stop(server)


@contextmanager
def _browser_page(url: str, width: int, height: int = 1100):
    """A Chromium page on the served app, ``width`` px wide; every expectation and wait allows
    :data:`STATE_MS`. On leaving, no console errors may have been logged."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STATE_MS)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(STATE_MS)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.add_init_script(RECORD_ERRORS)
            _load(page, url)
            yield page
        finally:
            browser.close()
    # ipywidgets logs "no comm channel defined" when a view of a widget Solara has already closed
    # (the figures of the run before Reset) tries to sync; nothing is lost, so it is not counted
    errors = [e for e in errors if "no comm channel defined" not in e]
    errors = [e for e in errors if ANYWIDGET_TIMEOUT not in e]  # only a load _load repeated has them
    assert not errors, f"console errors: {errors}"


#: the page's charts (Plotly FigureWidgets, rendered by anywidget)
CHARTS = (".hs-map", ".hs-plots-hedging", ".hs-plots-partners")
#: anywidget gives a widget 2 s (a constant in its JavaScript) to load its model; on two loaded cores
#: loading Plotly's 5 MB bundle (once per page, started early by the page's custom.js) can miss it,
#: and that chart never draws. It is the page load that
#: failed, not the page: the test loads the page again (at most LOADS times) and counts no error.
ANYWIDGET_TIMEOUT = "[anywidget] Failed to initialize model"
LOADS = 3
RECORD_ERRORS = ("window.__hsErrors = []; const hsError = console.error; "
                 "console.error = (...a) => { window.__hsErrors.push(a.map(String).join(' ')); hsError(...a); };"
                 "window.addEventListener('unhandledrejection', e => window.__hsErrors.push(String(e.reason)));")
CHARTS_OR_TIMEOUT = ("([charts, failed]) => charts.every(c => document.querySelector(c + ' .js-plotly-plot'))"
                     " || (window.__hsErrors || []).some(e => e.includes(failed))")


CHARTS_DRAWN = "charts => charts.every(c => document.querySelector(c + ' .js-plotly-plot'))"


def _load(page, url: str) -> None:
    """Open the page and wait until the Step button and every chart are drawn; a load whose chart
    missed anywidget's start-up limit is repeated (its errors dropped), up to :data:`LOADS` times."""
    for _ in range(LOADS):
        page.goto(url)
        page.get_by_role("button", name="Step", exact=True).wait_for()
        page.wait_for_function(CHARTS_OR_TIMEOUT, arg=[list(CHARTS), ANYWIDGET_TIMEOUT])
        if page.evaluate(CHARTS_DRAWN, list(CHARTS)):
            return  # (a failed load's errors are dropped when the page closes)
    pytest.fail(f"the page's charts failed to start {LOADS} times ({ANYWIDGET_TIMEOUT})")


@pytest.fixture
def page(page_url):
    with _browser_page(page_url, 1500) as page:
        yield page


#: JavaScript: how many months a chart's first live line (or its first baseline line) shows
LIVE_POINTS = ("(css => {const d = document.querySelector(css + ' .js-plotly-plot').data"
               ".find(t => (t.meta || '').startsWith('live:')); return d ? d.x.length : -1;})")
BASELINE_POINTS = ("(css => {const d = document.querySelector(css + ' .js-plotly-plot').data"
                   ".find(t => t.meta === 'baseline'); return d ? d.x.length : -1;})")


def _click_state(page, index: int) -> None:
    """Click the ``index``-th state on the map (0 Vietnam, then the partners in the scenario's order).
    Plotly's drag layer sits over the points, so the click goes to the point's position."""
    point = page.locator(".hs-map .scatterlayer .trace").last.locator(".point").nth(index)
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _step(page) -> str:
    """Press Step; wait until the month shown changes; return the new month."""
    before = page.locator(".hs-month").inner_text()
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function("m => document.querySelector('.hs-month').innerText !== m", arg=before)
    return page.locator(".hs-month").inner_text()


def test_page_steps_switches_and_injects_a_crisis(page):
    from playwright.sync_api import expect

    # the map and the charts are drawn; no stray tab
    for css in ("hs-map", "hs-plots-hedging", "hs-plots-partners"):
        expect(page.locator(f".{css} .js-plotly-plot")).to_be_visible()
    expect(page.locator(".hs-month")).to_contain_text("not started")
    expect(page.get_by_role("tab")).to_have_count(0)

    # Step advances the month and draws it
    assert _step(page) == "2013-01"
    assert _step(page) == "2013-02"
    expect(page.locator(".hs-event-log")).to_contain_text("2013-02")
    page.wait_for_function(f"() => {LIVE_POINTS}('.hs-plots-hedging') === 2")

    # a Four-Nos switch and a slider change the model after Reset
    no_force = "No use or threat of force in international relations (Four Nos)"
    page.get_by_text(no_force, exact=True).click()  # Vuetify's ripple covers the input itself
    expect(page.get_by_label(no_force)).not_to_be_checked()
    slider = page.get_by_role("slider", name="China's assertiveness")
    slider.focus()
    slider.press("ArrowRight")  # one step of 0.05 up from the scenario's 0.50
    expect(page.locator(".hs-settings")).to_contain_text("rules off: none")  # not before Reset
    page.get_by_role("button", name="Reset", exact=True).click()
    settings = page.locator(".hs-settings")
    expect(settings).to_contain_text("China's assertiveness 0.55")
    expect(settings).to_contain_text("rules off: No use or threat of force")
    expect(page.locator(".hs-month")).to_contain_text("not started")
    expect(page.locator(".hs-baseline-note").first).to_be_visible()  # the run before Reset, faint
    page.wait_for_function(f"() => {BASELINE_POINTS}('.hs-plots-hedging') === 2")

    # the incident button opens a crisis that shows in the event log and on the map's status
    _step(page)
    page.get_by_role("slider", name="Incident severity").focus()
    page.get_by_role("button", name="Inject maritime incident").click()
    log = page.locator(".hs-event-log")
    expect(log).to_contain_text("Maritime incident")
    expect(log).to_contain_text("injected from the browser")
    expect(page.locator(".hs-crisis")).to_contain_text("crisis:")
    for _ in range(12):  # a year of answers to the crisis, for the screenshot
        _step(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viz-browser.png"), full_page=True)


def test_page_inspects_a_clicked_state_explains_moves_and_downloads_the_run(page):
    from playwright.sync_api import expect

    for _ in range(6):
        _step(page)
    expect(page.locator(".hs-inspected")).to_have_text("Vietnam")

    # clicking China on the map shows it in the inspector, with its relation and its last moves
    _click_state(page, 1)
    expect(page.locator(".hs-inspected")).to_have_text("China")
    expect(page.locator(".hs-inspector")).to_contain_text("Relation with Vietnam")
    expect(page.locator(".hs-inspector .hs-moves li").first).to_be_visible()
    page.get_by_role("button", name="Japan", exact=True).click()  # the buttons do the same
    expect(page.locator(".hs-inspected")).to_have_text("Japan")

    # every "why" lists moves with chances that sum to at most 1
    weighings = page.locator(".hs-event-log .hs-weighing")
    expect(weighings.first).to_be_visible()
    for i in range(weighings.count()):
        chances = [float(v) for v in weighings.nth(i).locator(".hs-option .hs-p").evaluate_all(
            "els => els.map(e => e.dataset.p)")]
        assert chances and all(0 <= p <= 1 for p in chances)
        assert sum(chances) <= 1 + 1e-5, chances  # each shown to 6 decimals
    assert "seed 00" not in page.locator(".hs-event-log").inner_text()

    # hovering a chart shows the month's values
    plot = page.locator(".hs-plots-hedging .js-plotly-plot .nsewdrag").first
    box = plot.bounding_box()
    page.mouse.move(box["x"] + 0.02 * box["width"], box["y"] + box["height"] / 2)
    expect(page.locator(".hs-plots-hedging .hoverlayer .legend, .hs-plots-hedging .hoverlayer .hovertext")
           .first).to_be_visible()

    # the run so far downloads as CSV
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the run so far (CSV)").click()
    header = Path(download.value.path()).read_text().splitlines()
    assert header[0].startswith("step,date,hedging_index") and len(header) == 7


#: JavaScript: every card's box, and how far its content spills out of it (right, bottom), in px;
#: content inside a scrolling box of the card (the event log) is where it should be
CARDS = """() => [...document.querySelectorAll('.hs-card')].map(c => {
  const r = c.getBoundingClientRect();
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY);
  const inScroller = e => { for (let a = e.parentElement; a && a !== c; a = a.parentElement) {
    if (scrolls(a)) return true; } return false; };
  const spill = [...c.querySelectorAll('*')].filter(e => !inScroller(e)).reduce((m, e) => {
    const b = e.getBoundingClientRect();
    return b.width && b.height ? [Math.max(m[0], b.right - r.right), Math.max(m[1], b.bottom - r.bottom)] : m;
  }, [0, 0]);
  return {title: c.querySelector('.v-card__title').innerText, left: r.left, top: r.top, right: r.right,
          bottom: r.bottom, spill};
})"""


def _overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("width", [1024, 1440])
def test_layout_holds_from_1024_px_with_rules_off_and_a_crisis(page_url, width):
    """At a laptop's width and a desktop's: nothing spills out of its card (the Inject button, the map,
    the charts), no card covers another even when the settings line is long (rules switched off) and
    a crisis is listed; no tab; sources read as citation keys, never code."""
    from playwright.sync_api import expect

    with _browser_page(page_url, width, height=900) as page:
        for label in ("No use or threat of force in international relations (Four Nos)",
                      "No siding with one country against another (Four Nos)", "One Depend"):
            page.get_by_text(label, exact=True).click()
            expect(page.get_by_label(label)).not_to_be_checked()
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(page.locator(".hs-settings")).to_contain_text(
            "rules off: No siding with one country against another, No use or threat of force")
        _step(page)
        page.get_by_role("button", name="Inject maritime incident").click()
        expect(page.locator(".hs-crisis")).to_contain_text("crisis:")
        _step(page)  # the model records the crisis in the month that follows the injection
        expect(page.locator(".hs-crises")).to_contain_text("begun by “incident injected from the browser")
        for _ in range(2):
            _step(page)
        for css in ("hs-map", "hs-plots-hedging", "hs-plots-partners"):
            expect(page.locator(f".{css} .js-plotly-plot .main-svg").first).to_be_visible()
        expect(page.get_by_role("tab")).to_have_count(0)

        cards = page.evaluate(CARDS)
        assert len(cards) == 5
        for card in cards:
            assert card["spill"][0] <= 1 and card["spill"][1] <= 1, f"content spills out of {card}"
        for i, a in enumerate(cards):
            for b in cards[i + 1:]:
                assert not _overlap(a, b), f"{a['title']!r} and {b['title']!r} overlap at {width} px"
        inject = page.get_by_role("button", name="Inject maritime incident").bounding_box()
        log_card = next(c for c in cards if c["title"].startswith("What happened"))
        assert log_card["left"] <= inject["x"] and inject["x"] + inject["width"] <= log_card["right"]
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")

        text = page.locator(".hs-dashboard").inner_text()
        assert "seed 00" not in text and "`" not in text and "(sim." not in text
        ARTIFACTS.mkdir(exist_ok=True)
        page.set_viewport_size({"width": width, "height": 2700})  # the whole dashboard in one picture
        page.screenshot(path=str(ARTIFACTS / f"viz-{width}px.png"))
