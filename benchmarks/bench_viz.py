"""Server-side cost of one month on the browser page: the model's step plus everything the page redraws.

    python benchmarks/bench_viz.py [--months 60] [--scenario historical_2013_2024] [--profile]

For each month of a run: ``BrowserModel.step()`` (the model, then reading how each actor weighed its
menu), and the redraw as the page does it: the tables, the map and both charts (with a baseline run
drawn beside) changed in place on live ``FigureWidget`` objects inside ``batch_update`` (which builds
the message sent to the browser), the event log with its "why", the inspector and the status line.
The figures are built once per run, as on the page (their build time is reported apart). The
browser's own drawing is not counted (it runs on the user's machine).

Measured with ``time.perf_counter`` per month, on a run after a first warm-up month; reports median,
90th percentile and maximum, side by side for step, redraw and the sum. The budget is 200 ms for
step + redraw. Not a timed test: numbers move with the machine's load, so the load average is printed.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Callable

import plotly.graph_objects as go

from sim.viz import app
from sim.viz.explain import inspect, inspector_html, log_html, recent_entries
from sim.viz.figures import map_figure, monthly_figure, positions, relations_now, update_map, update_monthly

BUDGET_MS = 200.0


def build(model: app.BrowserModel, baseline: app.BrowserModel) -> list[tuple[go.FigureWidget, Callable]]:
    """The page's three live figures and how each is brought up to date."""
    where = positions(model.world.countries, model.scenario)
    partners = list(model.world.countries[1:])
    before = baseline.tables().series
    out = [(map_figure(relations_now(model), where, model.names, "china"),
            lambda fig: update_map(fig, relations_now(model), model.names, "china"))]
    for panels in (("hedging", "tension"), ("tiers", "arms")):
        out.append((monthly_figure(model.scenario, model.names, partners, panels, baseline=before),
                    lambda fig: update_monthly(fig, model.tables().series, model.tables().events)))
    return [(go.FigureWidget(fig), update) for fig, update in out]


def redraw(model: app.BrowserModel, figures: list[tuple[go.FigureWidget, Callable]]) -> None:
    """Everything the page computes after a step."""
    for widget, update in figures:
        with widget.batch_update():
            update(widget)
    tables = model.tables()
    log_html(recent_entries(tables.actions, tables.events, model.names, months=app.LOG_MONTHS,
                            weighings=model.weighings), model.names)
    inspector_html(inspect(model.world, "china", tables.actions, model.names))
    app.status_html(model)


def measure(scenario: str, months: int) -> dict[str, list[float]]:
    baseline = app.BrowserModel(scenario=scenario, seed=1).run(months)
    model = app.BrowserModel(scenario=scenario, seed=2)
    t0 = time.perf_counter()
    figures = build(model, baseline)
    built = time.perf_counter() - t0
    model.step()
    redraw(model, figures)  # warm-up
    times: dict[str, list[float]] = {"step": [], "redraw": [], "step + redraw": []}
    for _ in range(months - 1):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        redraw(model, figures)
        t2 = time.perf_counter()
        for key, value in (("step", t1 - t0), ("redraw", t2 - t1), ("step + redraw", t2 - t0)):
            times[key].append(1000 * value)
    times["build"] = [1000 * built]
    return times


def report(times: dict[str, list[float]]) -> str:
    lines = [f"{'ms per month':<16}{'median':>9}{'p90':>9}{'max':>9}"]
    for key in ("step", "redraw", "step + redraw"):
        v = sorted(times[key])
        p90 = v[int(0.9 * (len(v) - 1))]
        lines.append(f"{key:<16}{statistics.median(v):9.1f}{p90:9.1f}{v[-1]:9.1f}")
    median = statistics.median(times["step + redraw"])
    verdict = "within" if median <= BUDGET_MS else "OVER"
    lines.append(f"budget {BUDGET_MS:.0f} ms for step + redraw: median {verdict}")
    lines.append(f"building the three figures (once per run, on Reset): {times['build'][0]:.0f} ms")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--scenario", default="historical_2013_2024")
    parser.add_argument("--profile", action="store_true", help="also print the 25 costliest functions")
    args = parser.parse_args()
    print(f"{args.scenario}, {args.months} months; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
    print(report(measure(args.scenario, args.months)))
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
