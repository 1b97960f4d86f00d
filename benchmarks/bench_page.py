"""Server-side cost of one month on the browser page: the Step button's callback, from the click to
the last widget change the browser will be sent.

    python benchmarks/bench_page.py [--months 60] [--scenario historical_2013_2024] [--profile]

How it is measured. The whole page (:func:`sim.viz.app.Page`: Mesa's SolaraViz controls, the
scenario picker and every card) is rendered headless with ``solara.render``, exactly as the server
renders it for a browser, minus the websocket. A run before Reset is made first (Step, then Reset),
so the charts also carry the faint baseline. Then, ``--months`` times, the Step button's widget is
clicked: Mesa's ``ModelController`` steps the model and calls ``force_update``, Solara re-renders
the components, the map and both charts are changed in place inside ``batch_update`` (which
computes the Plotly deltas), and every changed widget state is serialised for sending (ipywidgets'
``get_state``). Each click is timed by the wall clock (``time.perf_counter``: what a user waits, inflated by
whatever else the machine runs) and by the thread's CPU time (``time.thread_time``: the page's own
cost, which other processes do not inflate); ``BrowserModel.step`` (the model's month and the
reading of how each actor weighed its menu) is timed the same two ways inside it, and the rest of
the click is the redraw. Reported: median, 95th percentile and maximum per month, after two warm-up months.
Not counted: the bytes' trip over the websocket and the browser's own drawing (on the user's machine).

The budget is 200 ms for step + redraw. Not a timed test: the numbers move with the machine's load,
so the load average is printed with them.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time
import warnings

BUDGET_MS = 200.0
WARM_UP = 2  # months clicked before measuring (first draws, caches)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation between order statistics."""
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def measure(scenario: str, months: int, profiler: cProfile.Profile | None = None) -> dict[str, list[float]]:
    """Click Step ``months`` times on the rendered page; milliseconds per click, split."""
    os.environ["HEDGESIM_SCENARIO"] = scenario
    warnings.filterwarnings("ignore", module="solara")  # Mesa's hook-order warning, once per render
    import ipyvuetify as v
    import solara

    from sim.viz import app

    stepped: list[tuple[float, float]] = []  # (wall, CPU) seconds of each BrowserModel.step
    plain_step = app.BrowserModel.step

    def timed_step(model: app.BrowserModel) -> None:
        t0, c0 = time.perf_counter(), time.thread_time()
        plain_step(model)
        stepped.append((time.perf_counter() - t0, time.thread_time() - c0))

    app.BrowserModel.step = timed_step  # type: ignore[method-assign]
    # the server wraps a page in its default layout (AppLayout), which holds the sidebar and the app bar
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        def button(label: str):  # noqa: ANN202
            return rc.find(v.Btn, children=[label]).widget

        step_button, reset_button = button("Step"), button("Reset")  # found once, outside the timing
        t0 = time.perf_counter()
        step_button.click()
        reset_button.click()  # the run before Reset becomes the faint baseline
        reset_ms = 1000 * (time.perf_counter() - t0)
        times: dict[str, list[float]] = {f"{part}{clock}": [] for part in ("step", "redraw", "step + redraw")
                                         for clock in ("", " CPU")}
        for month in range(WARM_UP + months):
            stepped.clear()
            if profiler and month == WARM_UP:
                profiler.enable()
            t0, c0 = time.perf_counter(), time.thread_time()
            step_button.click()
            total, cpu = time.perf_counter() - t0, time.thread_time() - c0
            if month < WARM_UP:
                continue
            ((step, step_cpu),) = stepped
            for key, value in (("step", step), ("redraw", total - step), ("step + redraw", total),
                               ("step CPU", step_cpu), ("redraw CPU", cpu - step_cpu),
                               ("step + redraw CPU", cpu)):
                times[key].append(1000 * value)
        if profiler:
            profiler.disable()
        times["step then reset"] = [reset_ms]
        return times
    finally:
        rc.close()
        app.BrowserModel.step = plain_step  # type: ignore[method-assign]


def report(times: dict[str, list[float]]) -> str:
    lines = [f"{'ms per month':<28}{'median':>9}{'p95':>9}{'max':>9}"]
    for clock in ("", " CPU"):
        for part in ("step", "redraw", "step + redraw"):
            v = times[part + clock]
            label = f"{part} ({'CPU time' if clock else 'wall clock'})"
            lines.append(f"{label:<28}{statistics.median(v):9.1f}{percentile(v, 0.95):9.1f}{max(v):9.1f}")
    for clock, name in (("", "wall clock"), (" CPU", "CPU time")):
        p95 = percentile(times["step + redraw" + clock], 0.95)
        verdict = "within" if p95 <= BUDGET_MS else "OVER"
        lines.append(f"budget {BUDGET_MS:.0f} ms for step + redraw, {name}: 95th percentile {verdict}")
    lines.append(f"first Step, then Reset (builds every figure again): {times['step then reset'][0]:.0f} ms")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--scenario", default="historical_2013_2024")
    parser.add_argument("--profile", action="store_true", help="also print the 25 costliest functions")
    args = parser.parse_args()
    print(f"{args.scenario}, {args.months} months after {WARM_UP} warm-up; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    profiler = cProfile.Profile() if args.profile else None
    print(report(measure(args.scenario, args.months, profiler)))
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(25)


if __name__ == "__main__":
    main()
