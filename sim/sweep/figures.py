"""Figures of a sweep, in the style of :mod:`sim.plots`: PNG and PDF, axes labelled with what and
in which units, titles naming the experiment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.metrics import EQUIDISTANCE_BAND, series_for
from sim.plots import STYLE, save
from sim.scenario.schema import Country
from sim.sweep.analysis import Results, point_means
from sim.sweep.design import METHODS
from sim.sweep.experiment import Method, PlotKind

MAX_POINTS_DRAWN = 6  # ensemble figures draw each design point up to this many, else pool them
DESCRIPTIONS = {s.name: s.description for s in series_for(tuple(c.value for c in Country))}


@dataclass
class Made:
    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def outcome_label(results: Results, outcome: str) -> str:
    spec = results.experiment.outcomes[outcome]
    return f"{outcome}\n({spec.reduce} of {spec.series})"


def parameter_label(path: str) -> str:
    return f"{path}\n(scenario value)"


def write_all(results: Results, indices: pd.DataFrame | None, out: Path,
              series: list[str] | None = None) -> Made:
    made = Made()
    kinds = results.experiment.plots
    name = results.experiment.name
    if PlotKind.SENSITIVITY in kinds and indices is not None:
        figure = sensitivity_bars(indices, results.experiment.design.method, name)
        made.paths += save(figure, out, "sensitivity")
    design = results.experiment.design
    if PlotKind.OUTCOME_VS_PARAMETER in kinds:
        if results.parameters:
            made.paths += save(outcome_vs_parameter(results), out, "outcome_vs_parameter")
        else:
            made.notes.append("outcome_vs_parameter needs a design with parameters")
    if PlotKind.HEATMAP in kinds:
        if design is not None and design.method is Method.GRID and len(results.parameters) == 2:
            made.paths += save(heatmap(results), out, "heatmap")
        else:
            made.notes.append("heatmap needs a grid over exactly two parameters")
    if PlotKind.ENSEMBLE_SERIES in kinds:
        columns = series or results.experiment.ensemble_series
        made.paths += save(ensemble_by_point(results, columns), out, "ensemble_series")
    return made


def sensitivity_bars(indices: pd.DataFrame, method: Method, title: str) -> plt.Figure:
    """One panel per outcome: the method's index bars (:data:`sim.sweep.design.METHODS`), e.g.
    S1 and ST with 95% intervals (Sobol'), or mu* and sigma (Morris)."""
    spec = METHODS[method]
    outcomes = list(dict.fromkeys(indices["outcome"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(outcomes), 1, figsize=(7, 1.2 + 1.5 * len(outcomes)), squeeze=False)
        for ax, outcome in zip(axes[:, 0], outcomes, strict=True):
            rows = indices[indices["outcome"] == outcome]
            y = np.arange(len(rows))
            for k, (col, conf, label, colour) in enumerate(
                    (b.column, b.conf, b.label, b.colour) for b in spec.bars):
                err = rows[conf].to_numpy() if conf else None
                ax.barh(y + (k - 0.5) * 0.38, rows[col].fillna(0), height=0.36, xerr=err, color=colour,
                        alpha=0.85, label=label, error_kw={"lw": 0.8, "capsize": 2})
            ax.set_yticks(y, rows["parameter"])
            ax.invert_yaxis()
            ax.set_title(outcome)
            ax.set_xlabel(spec.xlabel)
        axes[0, 0].legend(loc="lower right")
        fig.suptitle(f"{title}: {spec.label} sensitivity", fontsize=12)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def outcome_vs_parameter(results: Results) -> plt.Figure:
    """Every outcome (rows) against every parameter (columns): each run, and the design points' means."""
    outcomes, params = results.outcomes, results.parameters
    runs = results.runs
    means = point_means(results).join(results.points)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(outcomes), len(params), squeeze=False,
                                 figsize=(2.9 * len(params) + 0.8, 2.3 * len(outcomes) + 0.6))
        for i, outcome in enumerate(outcomes):
            for j, param in enumerate(params):
                ax = axes[i, j]
                x = pd.to_numeric(runs[param], errors="coerce")
                jitter = _jitter(x)
                ax.scatter(x + jitter, runs[outcome], s=5, color="#5d6d7e", alpha=0.25, linewidths=0,
                           label="run")
                mx = pd.to_numeric(means[param], errors="coerce")
                ax.scatter(mx, means[outcome], s=14, color="#c0392b", alpha=0.8, linewidths=0,
                           label="design-point mean")
                if i == len(outcomes) - 1:
                    ax.set_xlabel(parameter_label(param))
                if j == 0:
                    ax.set_ylabel(outcome_label(results, outcome), fontsize=8)
        axes[0, 0].legend(loc="best")
        fig.suptitle(f"{results.experiment.name}: outcomes against parameters "
                     f"({len(runs)} runs, {len(means)} design points)", fontsize=12)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def _jitter(x: pd.Series) -> np.ndarray:
    """A little horizontal spread for grid levels, so the runs at one level are visible."""
    levels = np.unique(x.dropna())
    if len(levels) > 12 or len(levels) < 2:
        return np.zeros(len(x))
    step = np.min(np.diff(levels))
    return np.random.default_rng(0).uniform(-0.12, 0.12, len(x)) * step


def heatmap(results: Results) -> plt.Figure:
    """Mean of each outcome over a two-parameter grid."""
    px, py = results.parameters
    means = point_means(results).join(results.points)
    outcomes = results.outcomes
    with plt.rc_context(STYLE):
        cols = min(3, len(outcomes))
        rows = -(-len(outcomes) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
        for ax, outcome in zip(axes.flat, outcomes, strict=False):
            grid = means.pivot_table(index=py, columns=px, values=outcome, aggfunc="mean")
            image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(grid.shape[1]), [_level(v) for v in grid.columns])
            ax.set_yticks(range(grid.shape[0]), [_level(v) for v in grid.index])
            ax.set_xlabel(parameter_label(px))
            ax.set_ylabel(parameter_label(py))
            ax.grid(False)
            spec = results.experiment.outcomes[outcome]
            ax.set_title(f"{outcome} ({spec.reduce} of {spec.series})", fontsize=9)
            fig.colorbar(image, ax=ax, shrink=0.85)
        for ax in list(axes.flat)[len(outcomes):]:
            ax.set_visible(False)
        fig.suptitle(f"{results.experiment.name}: mean outcome over the grid "
                     f"({results.experiment.replicates} replicates per cell)", fontsize=12)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def _level(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def ensemble_by_point(results: Results, columns: list[str]) -> plt.Figure:
    """Median and 5-95% band of monthly series, per design point (or pooled when there are many)."""
    stored = results.experiment.stored_series()
    missing = [c for c in columns if c not in stored]
    if missing:
        raise FileNotFoundError(f"series not stored in this sweep: {', '.join(missing)} "
                                f"(stored: {', '.join(stored)}; see store_series)")
    series = results.store.series(list(columns))
    point_of = results.runs.set_index("run")["point"]
    series["point"] = point_of.reindex(series["run"]).to_numpy()
    points = sorted(series["point"].dropna().unique())
    groups = [(f"point {int(p)}: {_point_text(results, int(p))}", series[series["point"] == p])
              for p in points]
    if len(points) > MAX_POINTS_DRAWN:
        groups = [(f"all {len(points)} design points pooled", series)]
    palette = ["#1f4e99", "#c0392b", "#2e8b57", "#7d3c98", "#d4a017", "#16a085"]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(columns), 1, figsize=(8.5, 2.6 * len(columns) + 0.8), sharex=True,
                                 squeeze=False)
        for ax, col in zip(axes[:, 0], columns, strict=True):
            for k, (label, group) in enumerate(groups):
                q = group.groupby("date")[col].quantile([0.05, 0.5, 0.95]).unstack()
                t = pd.to_datetime(q.index, format="%Y-%m")
                colour = palette[k % len(palette)]
                ax.fill_between(t, q[0.05], q[0.95], color=colour, alpha=0.15, linewidth=0)
                ax.plot(t, q[0.5], color=colour, lw=1.4, label=label)
            if col == "hedging_index":
                ax.axhspan(-EQUIDISTANCE_BAND, EQUIDISTANCE_BAND, color="#bbbbbb", alpha=0.3)
            ax.set_ylabel(col, fontsize=8)
            ax.set_title(DESCRIPTIONS.get(col, col), fontsize=9)
        axes[0, 0].legend(loc="upper left", fontsize=7)
        axes[-1, 0].set_xlabel("month")
        fig.suptitle(f"{results.experiment.name}: median and 5-95% band over replicates", fontsize=12)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def _point_text(results: Results, point: int) -> str:
    row = results.points.loc[point]
    return ", ".join(f"{k.split('.')[-2]}.{k.split('.')[-1]}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in row.items())
