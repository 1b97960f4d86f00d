"""Figures of a sweep, in the one style of :mod:`sim.plots`: words from :mod:`sim.labels`, legends
off the data, the experiment's description as the title.

An outcome that takes one value in every run carries no information about the parameters: it gets
no panel (no meaningless colourbar) and a note saying so. Monthly ensembles are never pooled over
design points: a few points get one panel each (a grid design laid out as its grid), many points
one median line each, coloured by a parameter's value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim import labels
from sim.plots import (
    STYLE,
    FigureOptions,
    dates,
    equidistance_band,
    legend_outside,
    limits,
    quantiles,
    save,
    suptitle,
)
from sim.sweep.analysis import Results, point_means
from sim.sweep.experiment import Method, PlotKind

MAX_FACETS = 12  # ensemble figures give each design point its own panel up to this many
MAX_LINES = 400  # beyond, they draw one line for each of at most this many points (evenly_spaced_points)
#: outcome-against-parameter panels draw at most this many runs (evenly spaced in run order) and,
#: beyond this many design points, their means as a line over twentieths of the parameter's range:
#: a 100,000-run study's 144 panels of a marker per run took minutes and gigabytes to write as PDF
MAX_MARKERS = 5_000
MEAN_BINS = 20
MAX_CELL_TEXT = 49  # heatmaps print each cell's value up to this many cells
S1_COLOR, ST_COLOR = labels.OKABE_ITO["sky_blue"], labels.OKABE_ITO["blue"]
MU_COLOR, SIGMA_COLOR = labels.OKABE_ITO["blue"], labels.OKABE_ITO["orange"]
RUN_COLOR, MEAN_COLOR = "#999999", labels.OKABE_ITO["vermillion"]


@dataclass
class Made:
    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def outcome_label(results: Results, outcome: str) -> str:
    """An outcome in words: how it reduces which series, with the unit."""
    spec = results.experiment.outcomes[outcome]
    return labels.outcome(spec.series, spec.reduce.value, spec.since, spec.until)


def parameter_label(path: str) -> str:
    return labels.parameter(path)


def constant_outcomes(results: Results) -> dict[str, float]:
    """Outcomes with one value in every finished run (NaN when never defined)."""
    out = {}
    for o in results.outcomes:
        v = results.runs[o].to_numpy(dtype=float)
        finite = v[np.isfinite(v)]
        if finite.size == 0 or np.ptp(finite) == 0:
            out[o] = float(finite[0]) if finite.size else float("nan")
    return out


def _suptitle(fig: plt.Figure, results: Results, what: str) -> None:
    exp = results.experiment
    suptitle(fig, labels.title(exp.name, exp.description), what)


def write_all(results: Results, indices: pd.DataFrame | None, out: Path,
              series: list[str] | None = None, options: FigureOptions | None = None) -> Made:
    made = Made()
    kinds = results.experiment.plots
    constant = constant_outcomes(results)
    made.notes += [f"outcome {o} is {v:g} in every run: left out of the figures" for o, v in constant.items()]
    varying = [o for o in results.outcomes if o not in constant]
    design = results.experiment.design
    if PlotKind.SENSITIVITY in kinds and indices is not None:
        shown = indices[indices["outcome"].isin(varying)]
        if not shown.empty:
            made.paths += save(sensitivity_bars(shown, design.method, results), out, "sensitivity", options)
            if design.method is Method.MORRIS:
                made.paths += save(morris_scatter(shown, results), out, "morris_mu_sigma", options)
    if PlotKind.OUTCOME_VS_PARAMETER in kinds:
        if results.parameters and varying:
            made.paths += save(outcome_vs_parameter(results, varying), out, "outcome_vs_parameter", options)
        elif not results.parameters:
            made.notes.append("outcome_vs_parameter needs a design with parameters")
    if PlotKind.HEATMAP in kinds:
        if design is not None and design.method is Method.GRID and len(results.parameters) == 2:
            if varying:
                made.paths += save(heatmap(results, varying), out, "heatmap", options)
        else:
            made.notes.append("heatmap needs a grid over exactly two parameters")
    if PlotKind.ENSEMBLE_SERIES in kinds:
        columns = series or results.experiment.ensemble_series
        made.paths += save(ensemble_by_point(results, columns), out, "ensemble_series", options)
    return made


def _sorted(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    return (rows.assign(_k=rows[key].fillna(-np.inf)).sort_values("_k", ascending=False, kind="stable")
            .drop(columns="_k"))


def sensitivity_bars(indices: pd.DataFrame, method: Method, results: Results) -> plt.Figure:
    """One panel per outcome, parameters sorted by importance: Sobol' S1 and ST with 95% intervals,
    or Morris mu* (with its interval) and sigma."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    sobol = method is Method.SOBOL
    if sobol:
        bars = (("ST", "ST_conf", "total order ST", ST_COLOR), ("S1", "S1_conf", "first order S1", S1_COLOR))
        xlabel, key = "Sobol' index (share of the variance of the design-point mean)", "ST"
    else:
        bars = (("mu_star", "mu_star_conf", "μ* (mean |elementary effect|)", MU_COLOR),
                ("sigma", None, "σ (interactions, non-linearity)", SIGMA_COLOR))
        xlabel, key = "elementary effect (outcome units per parameter range)", "mu_star"
    n_par = indices["parameter"].nunique()
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(outcomes), 1, figsize=(8, 1.0 + (0.5 + 0.28 * n_par) * len(outcomes)),
                                 squeeze=False, layout="constrained")
        for ax, outcome in zip(axes[:, 0], outcomes, strict=True):
            rows = _sorted(indices[indices["outcome"] == outcome], key)
            y = np.arange(len(rows))
            for k, (col, conf, label, colour) in enumerate(bars):
                err = rows[conf].to_numpy() if conf else None
                ax.barh(y + (k - 0.5) * 0.4, rows[col].fillna(0), height=0.38, xerr=err, color=colour,
                        label=label, error_kw={"lw": 0.8, "capsize": 2})
            ax.set_yticks(y, [parameter_label(p) for p in rows["parameter"]])
            ax.set_ylim(len(rows) - 0.5, -0.5)
            floor = rows["noise_floor"].iloc[0] if "noise_floor" in rows else np.nan
            if np.isfinite(floor):  # the dummy parameter's index: below it, nothing is told from noise
                ax.axvline(floor, color="black", lw=0.8, ls="--", label="noise floor (dummy + its interval)")
            ax.axvline(0, color="black", lw=0.6)
            ax.set_title(outcome_label(results, outcome)[:1].upper() + outcome_label(results, outcome)[1:])
            ax.grid(axis="y", visible=False)
        axes[-1, 0].set_xlabel(xlabel)
        legend_outside(axes[0, 0])
        what = "Sobol' indices, parameters sorted by total order" if sobol else \
            "Morris screening, parameters sorted by μ*"
        _suptitle(fig, results, what)
    return fig


def morris_scatter(indices: pd.DataFrame, results: Results) -> plt.Figure:
    """μ* against σ for each outcome (Morris 1991; Campolongo et al. 2007): far right matters; high
    σ/μ* means interactions or non-linearity. Points are labelled by parameter."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    params = list(dict.fromkeys(indices["parameter"]))
    palette = [*labels.OKABE_ITO.values(), "#7F7F7F"]
    markers = "osD^vP*Xh<>"
    cols = min(3, len(outcomes))
    rows_n = math.ceil(len(outcomes) / cols)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(rows_n, cols, figsize=(3.6 * cols + 2.6, 3.3 * rows_n + 0.8), squeeze=False,
                                 layout="constrained")
        for ax, outcome in zip(axes.flat, outcomes, strict=False):
            rows = indices[indices["outcome"] == outcome]
            for p in rows.itertuples():
                i = params.index(p.parameter)
                ax.plot(p.mu_star, p.sigma, ls="none", marker=markers[i % len(markers)],
                        color=palette[i % len(palette)], ms=8, mec="black", mew=0.4)
            top = max(float(rows["mu_star"].max()), float(rows["sigma"].max()), 1e-12)
            ax.plot([0, top], [0, top], color="#999999", lw=0.7, ls="--")  # sigma = mu*
            ax.set_xlim(0, top * 1.1)
            ax.set_ylim(0, top * 1.1)
            ax.set_xlabel("μ* (mean |elementary effect|)")
            ax.set_ylabel("σ")
            text = outcome_label(results, outcome)
            ax.set_title(text[:1].upper() + text[1:], fontsize=9, wrap=True)
        for ax in list(axes.flat)[len(outcomes):]:
            ax.set_visible(False)
        handles = [Line2D([], [], ls="none", marker=markers[i % len(markers)],
                          color=palette[i % len(palette)], ms=8, mec="black", mew=0.4)
                   for i in range(len(params))]
        handles.append(Line2D([], [], color="#999999", lw=0.7, ls="--"))
        fig.legend(handles, [parameter_label(p) for p in params] + ["σ = μ*"], loc="outside right upper")
        _suptitle(fig, results, "Morris μ*–σ: importance against interaction")
    return fig


def outcome_vs_parameter(results: Results, outcomes: list[str] | None = None) -> plt.Figure:
    """Every outcome (rows) against every parameter (columns): the runs (at most
    :data:`MAX_MARKERS`, evenly spaced in run order) and the design points' means (beyond
    :data:`MAX_MARKERS` points, their mean over :data:`MEAN_BINS` bins of the parameter, a line)."""
    outcomes = outcomes or results.outcomes
    params = results.parameters
    runs = _evenly_spaced_rows(results.runs, MAX_MARKERS)
    means = point_means(results).join(results.points)
    binned = len(means) > MAX_MARKERS
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(outcomes), len(params), squeeze=False, layout="constrained",
                                 figsize=(2.9 * len(params) + 2.2, 2.2 * len(outcomes) + 0.9))
        for i, outcome in enumerate(outcomes):
            for j, param in enumerate(params):
                ax = axes[i, j]
                x = pd.to_numeric(runs[param], errors="coerce")
                ax.scatter(x + _jitter(x), runs[outcome], s=5, color=RUN_COLOR, alpha=0.35, linewidths=0)
                mx = pd.to_numeric(means[param], errors="coerce")
                if binned:
                    bx, by = _binned_means(mx, means[outcome])
                    ax.plot(bx, by, color=MEAN_COLOR, lw=1.4, marker="o", ms=2.5)
                else:
                    ax.scatter(mx, means[outcome], s=16, color=MEAN_COLOR, linewidths=0)
                if i == len(outcomes) - 1:
                    ax.set_xlabel(parameter_label(param))
                if j == 0:
                    ax.set_ylabel(_wrap(outcome_label(results, outcome), 28), fontsize=8)
                else:
                    ax.tick_params(labelleft=False)
        for i in range(len(outcomes)):  # one y scale per outcome row
            lo = min(a.get_ylim()[0] for a in axes[i])
            hi = max(a.get_ylim()[1] for a in axes[i])
            for a in axes[i]:
                a.set_ylim(lo, hi)
        total = len(results.runs)
        handles = [Line2D([], [], ls="none", marker="o", color=RUN_COLOR, alpha=0.6, ms=3),
                   Line2D([], [], color=MEAN_COLOR, lw=1.4, marker="o", ms=2.5) if binned
                   else Line2D([], [], ls="none", marker="o", color=MEAN_COLOR, ms=5)]
        texts = ["one run" if len(runs) == total else f"one run ({len(runs):,} of {total:,}, evenly spaced)",
                 f"mean of the design points' means, by {MEAN_BINS}ths of the range" if binned
                 else "design-point mean"]
        fig.legend(handles, texts, loc="outside right upper")
        _suptitle(fig, results, f"outcomes against parameters ({total:,} runs, {len(means):,} design "
                                     "points)")
    return fig


def _evenly_spaced_rows(rows: pd.DataFrame, most: int) -> pd.DataFrame:
    """At most ``most`` of ``rows``, evenly spaced in their order (all of them when fewer)."""
    return rows if len(rows) <= most else rows.iloc[_evenly_spaced(len(rows), most)]


def _evenly_spaced(n: int, most: int) -> np.ndarray:
    """At most ``most`` positions among ``n``, evenly spaced, the first and the last among them."""
    return np.unique(np.linspace(0, n - 1, most).round().astype(int))


def _binned_means(x: pd.Series, y: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The mean of ``y`` in each of :data:`MEAN_BINS` equal bins of ``x``'s range, at the bins'
    middles (empty bins left out)."""
    edges = np.linspace(float(x.min()), float(x.max()), MEAN_BINS + 1)
    which = np.clip(np.searchsorted(edges, x.to_numpy(), side="right") - 1, 0, MEAN_BINS - 1)
    means = pd.Series(y.to_numpy(dtype=float)).groupby(which).mean()
    middles = (edges[:-1] + edges[1:]) / 2
    return middles[means.index.to_numpy()], means.to_numpy()


def _wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(text, width))


def _jitter(x: pd.Series) -> np.ndarray:
    """A little horizontal spread for grid levels, so the runs at one level are visible."""
    levels = np.unique(x.dropna())
    if len(levels) > 12 or len(levels) < 2:
        return np.zeros(len(x))
    step = np.min(np.diff(levels))
    return np.random.default_rng(0).uniform(-0.12, 0.12, len(x)) * step


def heatmap(results: Results, outcomes: list[str] | None = None) -> plt.Figure:
    """Mean of each (varying) outcome over a two-parameter grid, the value printed in each cell."""
    px, py = results.parameters
    means = point_means(results).join(results.points)
    outcomes = outcomes or results.outcomes
    with plt.rc_context(STYLE):
        cols = min(3, len(outcomes))
        rows = -(-len(outcomes) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 3.7 * rows + 0.7), squeeze=False,
                                 layout="constrained")
        for ax, outcome in zip(axes.flat, outcomes, strict=False):
            grid = means.pivot_table(index=py, columns=px, values=outcome, aggfunc="mean")
            values = grid.to_numpy()
            image = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis")
            if values.size <= MAX_CELL_TEXT:
                mid = np.nanmean([np.nanmin(values), np.nanmax(values)])
                for (r, c), v in np.ndenumerate(values):
                    ax.text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=7,
                            color="black" if v > mid else "white")
            ax.set_xticks(range(grid.shape[1]), [_level(v) for v in grid.columns])
            ax.set_yticks(range(grid.shape[0]), [_level(v) for v in grid.index])
            ax.set_xlabel(parameter_label(px))
            ax.set_ylabel(parameter_label(py))
            ax.grid(False)
            ax.set_title(_wrap(outcome_label(results, outcome), 40), fontsize=9)
            fig.colorbar(image, ax=ax, shrink=0.85, label="mean over replicates")
        for ax in list(axes.flat)[len(outcomes):]:
            ax.set_visible(False)
        _suptitle(fig, results, f"mean outcome over the grid ({results.experiment.replicates} "
                                     "replicates per cell)")
    return fig


def _level(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def ensemble_by_point(results: Results, columns: list[str]) -> plt.Figure:
    """Monthly series by design point, never pooled: up to :data:`MAX_FACETS` points one panel each
    (median and 5-95% band over replicates); beyond, each point's median as a line coloured by the
    value of the design's first parameter, for at most :data:`MAX_LINES` points evenly spaced in it
    (only their runs' series are read: a study of 100,000 points is drawn from 400 of them)."""
    stored = results.experiment.stored_series()
    missing = [c for c in columns if c not in stored]
    if missing:
        raise FileNotFoundError(f"series not stored in this sweep: {', '.join(missing)} "
                                f"(stored: {', '.join(stored)}; see store_series)")
    points = np.sort(results.runs["point"].unique()).astype(int)
    shown = points if len(points) <= MAX_FACETS else evenly_spaced_points(results, points, MAX_LINES)
    runs = results.runs[results.runs["point"].isin(shown)]
    series = results.store.series(list(columns), runs=runs["run"].to_numpy())
    series["point"] = runs.set_index("run")["point"].reindex(series["run"]).to_numpy()
    if len(points) <= MAX_FACETS:
        return _facets(results, series, columns, shown.tolist())
    return _point_medians(results, series, columns, shown.tolist(), len(points))


def evenly_spaced_points(results: Results, points: np.ndarray, most: int) -> np.ndarray:
    """At most ``most`` of ``points``, evenly spaced in the value of the design's first parameter
    (in point order without parameters), the lowest and highest values among them; sorted."""
    if len(points) <= most:
        return points
    if results.parameters:
        values = pd.to_numeric(results.points.loc[points, results.parameters[0]], errors="coerce")
        order = points[np.argsort(values.to_numpy(), kind="stable")]
    else:
        order = points
    return np.sort(order[_evenly_spaced(len(order), most)])


def _facet_layout(results: Results, points: list[int]) -> list[tuple[int, int, int]]:
    """(point, row, col): a two-parameter grid as its grid (first parameter across), else rows of 3-4."""
    pts = results.points.loc[points]
    if len(results.parameters) == 2 and results.experiment.design is not None \
            and results.experiment.design.method is Method.GRID:
        px, py = results.parameters
        xs, ys = sorted(pts[px].unique()), sorted(pts[py].unique(), reverse=True)
        return [(p, ys.index(pts.loc[p, py]), xs.index(pts.loc[p, px])) for p in points]
    cols = min(len(points), 4 if len(points) > 9 else 3)
    return [(p, i // cols, i % cols) for i, p in enumerate(points)]


def _facets(results: Results, series: pd.DataFrame, columns: list[str], points: list[int]) -> plt.Figure:
    layout = _facet_layout(results, points)
    nrow, ncol = max(r for _, r, _ in layout) + 1, max(c for _, _, c in layout) + 1
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(2.9 * ncol + 2.0, (1.9 * nrow + 0.5) * len(columns) + 0.8),
                         layout="constrained")
        blocks = fig.subfigures(len(columns), 1, squeeze=False)[:, 0]
        extra = []
        for block, col in zip(blocks, columns, strict=True):
            axes = block.subplots(nrow, ncol, squeeze=False, sharex=True, sharey=True)
            used = set()
            values = []
            for p, r, c in layout:
                ax = axes[r, c]
                used.add((r, c))
                q = quantiles(series[series["point"] == p], col)
                t = dates(q.index)
                if col == "hedging_index" and not extra:
                    extra.append(equidistance_band(ax))
                elif col == "hedging_index":
                    equidistance_band(ax)
                ax.fill_between(t, q[0.05], q[0.95], color=labels.NEUTRAL, alpha=0.25, lw=0)
                ax.plot(t, q[0.5], color="black", lw=1.2)
                ax.set_title(_point_text(results, p), fontsize=7.5, fontweight="normal")
                values += [*q[0.05], *q[0.95]]
                _year_ticks(ax)
            for (r, c), ax in np.ndenumerate(axes):
                if (r, c) not in used:
                    ax.set_visible(False)
            limits(axes[0, 0], col, values)
            text = labels.column(col).text
            block.suptitle(f"{text[:1].upper() + text[1:]} ({labels.column(col).unit}), by design point",
                           fontsize=9.5, fontweight="bold", x=0.01, ha="left")
        blocks[-1].supxlabel("date (year)", fontsize=9)
        handles = [Patch(color=labels.NEUTRAL, alpha=0.25), Line2D([], [], color="black", lw=1.2), *extra]
        fig.legend(handles, ["5-95% of replicates", "median", *(e.get_label() for e in extra)],
                   loc="outside lower left", ncol=3)
        _suptitle(fig, results, f"{len(points)} design points x {results.experiment.replicates} "
                                     "replicates, each point its own panel")
    return fig


def _year_ticks(ax: plt.Axes) -> None:
    import matplotlib.dates as mdates
    ax.xaxis.set_major_locator(mdates.YearLocator(base=2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def _point_medians(results: Results, series: pd.DataFrame, columns: list[str], points: list[int],
                   total: int) -> plt.Figure:
    """Each of ``points`` (of ``total`` design points) as one line, its median over replicates,
    coloured by the first parameter; the lines of a panel are one collection."""
    from matplotlib.collections import LineCollection

    param = results.parameters[0] if results.parameters else None
    values = pd.to_numeric(results.points.loc[points, param], errors="coerce") if param else None
    cmap = plt.get_cmap("viridis")
    norm = plt.Normalize(float(values.min()), float(values.max())) if values is not None else None
    colours = cmap(norm(values.to_numpy())) if norm is not None else labels.NEUTRAL
    steps = series.drop_duplicates("step").sort_values("step")
    x = mdates.date2num(dates(steps["date"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(columns), 1, figsize=(8.5, 2.3 * len(columns) + 1.0), squeeze=False,
                                 sharex=True, layout="constrained")
        medians = series.groupby(["point", "step"])[columns].median()
        for ax, col in zip(axes[:, 0], columns, strict=True):
            if col == "hedging_index":
                equidistance_band(ax)
            y = medians[col].unstack("step").reindex(index=points, columns=steps["step"]).to_numpy()
            ax.add_collection(LineCollection([np.column_stack([x, row]) for row in y], colors=colours,
                                             linewidths=0.6, alpha=0.6))
            ax.set_xlim(x.min(), x.max())
            ax.xaxis_date()
            limits(ax, col, y.ravel())
            text = labels.column(col).text
            ax.set_title(text[:1].upper() + text[1:])
            ax.set_ylabel(labels.column(col).unit)
        axes[-1, 0].set_xlabel("date (year)")
        if norm is not None:
            fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes[:, 0], shrink=0.8,
                         label=parameter_label(param))
        drawn = (f"{len(points)} design points" if len(points) == total else
                 f"{len(points):,} of {total:,} design points, evenly spaced in {parameter_label(param)}"
                 if param else f"{len(points):,} of {total:,} design points")
        reps = results.experiment.replicates
        _suptitle(fig, results, f"median over {reps} replicates of each of {drawn}" if reps > 1
                  else f"one run of each of {drawn}")
    return fig


def _point_text(results: Results, point: int) -> str:
    row = results.points.loc[point]
    parts = [f"{parameter_label(k)} {_level(v)}" for k, v in row.items()]
    return f"point {point}: " + "\n".join(parts) if len(parts) > 1 else f"point {point}: {parts[0]}" \
        if parts else f"point {point}"
