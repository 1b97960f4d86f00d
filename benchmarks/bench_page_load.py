"""How long the browser page takes to show its charts, and how many bytes its websocket carries, with
plotly's bundle shared (fetched once from the server, :mod:`sim.viz.chart_widget`) or inline (sent in
every chart's widget state, plotly's default).

    python benchmarks/bench_page_load.py [--rounds 5] [--burners 0]

How it is measured. For each way, ``hedgesim viz``'s server is started on a free loopback port
(``HEDGESIM_CHART_BUNDLE`` = 1 shared, 0 inline) and headless Chromium (Debian's, through Playwright)
opens the page ``--rounds`` times, each in a fresh browser context (empty cache). Timed by the wall
clock from ``goto`` to the moment every chart has a drawn Plotly plot, or the page reports anywidget's
start-up failure (counted as a failed load, not timed). The websocket's received bytes are summed over
the same span. The two ways alternate round by round so a change of load hits both; ``--burners``
starts that many CPU-burning processes beside the run (to see the page on a loaded machine). The
load average is printed with the numbers. Not a timed test: the numbers move with the machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sim.viz.chart_widget import SERVED_ENV
from sim.viz.serve import start_server, stop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the browser tests' helpers: a free port, waiting for the server
from tests.test_viz_server import free_port, wait_until_answering  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHARTS = (".hs-map", ".hs-plots-hedging", ".hs-plots-partners")  # the charts the page opens with
DRAWN_OR_FAILED = ("charts => charts.every(c => document.querySelector(c + ' .js-plotly-plot'))"
                   " || (window.__hsFailed === true)")
RECORD_FAILURE = ("window.addEventListener('unhandledrejection', e => { if (String(e.reason)"
                  ".includes('Failed to initialize')) window.__hsFailed = true; });")
LIMIT_MS = 180_000


def _burn() -> None:
    while True:
        pass


def _server(way: str, port: int) -> subprocess.Popen:
    os.environ[SERVED_ENV] = "1" if way == "shared" else "0"
    return start_server("historical_2013_2024", "127.0.0.1", port, cwd=ROOT,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _one_load(browser, url: str) -> tuple[float | None, int]:
    """Seconds until every chart is drawn (None if a chart failed to start) and websocket bytes in."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    received = [0]
    try:
        page = context.new_page()
        page.add_init_script(RECORD_FAILURE)
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload))))
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_function(DRAWN_OR_FAILED, arg=list(CHARTS), timeout=LIMIT_MS)
        seconds = time.perf_counter() - start
        failed = page.evaluate("window.__hsFailed === true")
        return (None if failed else seconds), received[0]
    finally:
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burners", type=int, default=0)
    args = parser.parse_args()
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burners)]
    for b in burners:
        b.start()
    ways = ("shared", "inline")
    servers, urls = {}, {}
    results: dict[str, list[tuple[float | None, int]]] = {w: [] for w in ways}
    try:
        for way in ways:
            port = free_port()
            servers[way] = _server(way, port)
            urls[way] = f"http://127.0.0.1:{port}/"
            wait_until_answering(urls[way], servers[way])
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            for _ in range(args.rounds):
                for way in ways:
                    results[way].append(_one_load(browser, urls[way]))
            browser.close()
    finally:
        for server in servers.values():
            stop(server)
        for b in burners:
            b.terminate()
    print(f"page load, {args.rounds} rounds, {args.burners} burners, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'way':8} {'median s':>9} {'max s':>7} {'failed':>7} {'websocket MB':>13}")
    for way in ways:
        times = [t for t, _ in results[way] if t is not None]
        failed = sum(t is None for t, _ in results[way])
        mb = statistics.median(b for _, b in results[way]) / 1e6
        med = f"{statistics.median(times):9.2f}" if times else f"{'-':>9}"
        top = f"{max(times):7.2f}" if times else f"{'-':>7}"
        print(f"{way:8} {med} {top} {failed:7d} {mb:13.2f}")


if __name__ == "__main__":
    main()
