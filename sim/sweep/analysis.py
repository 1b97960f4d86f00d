"""``hedgesim analyze``: tables, sensitivity indices and figures from a sweep's results directory.

Sensitivity is SALib's ([Herman2017]): Sobol' first- and total-order indices with bootstrap
confidence intervals ([Saltelli2010]) for a ``sobol`` design, Morris mu*, mu and sigma
([Campolongo2007]) for a ``morris`` design. Replicates are averaged per design point first,
so an index measures the parameter's effect on the expected outcome; the seed-to-seed spread is
reported beside it (``outcomes_by_point.csv``).

Everything lands in ``RESULTS/analysis/``, written to a staging folder and swapped into place
(:func:`sim.outputs.write_dir`); the staging folder of an analysis killed midway is removed by the
next ``analyze`` or ``--resume``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.outputs import ANALYSIS_LAYOUT, UnreadableOutputError, write_dir
from sim.plots import FigureOptions
from sim.sweep.design import DUMMY, METHODS
from sim.sweep.experiment import Experiment, Method, PlotKind
from sim.sweep.store import ANALYSIS, EXPERIMENT, ResultStore

BOOTSTRAP_SEED = 20240101  # fixed, so confidence intervals are the same on every machine


@dataclass
class Results:
    """A finished (or partial) sweep read back from disk."""

    root: Path
    experiment: Experiment
    points: pd.DataFrame  # design points, index = point id
    sample: np.ndarray | None
    problem: dict[str, Any] | None
    runs: pd.DataFrame
    total_runs: int
    store: ResultStore

    @property
    def outcomes(self) -> list[str]:
        return list(self.experiment.outcomes)

    @property
    def parameters(self) -> list[str]:
        return list(self.points.columns)


def load_results(root: str | Path) -> Results:
    """Read a results directory; FileNotFoundError when it holds no sweep."""
    store = ResultStore(root)
    if not store.exists():
        raise FileNotFoundError(f"{root}: no experiment.json here "
                                "(is it a results directory of `hedgesim sweep`?)")
    meta = store.metadata()
    try:
        points = pd.DataFrame(meta["design"]).set_index("point")
        sample = None if meta.get("sample") is None else np.asarray(meta["sample"], dtype=float)
        experiment = Experiment.model_validate(meta["experiment"])
    except (KeyError, TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise UnreadableOutputError(f"{store.root / EXPERIMENT}: damaged ({type(exc).__name__}: "
                                    f"{str(exc).splitlines()[0]}); not as hedgesim sweep wrote it") from None
    store.check()
    return Results(Path(root), experiment, points, sample, meta.get("problem"), store.runs(),
                   int(meta["total_runs"]), store)


def point_means(results: Results) -> pd.DataFrame:
    """Mean of each outcome over replicates, one row per design point (in design order)."""
    return results.runs.groupby("point")[results.outcomes].mean().reindex(results.points.index)


def outcomes_by_point(results: Results) -> pd.DataFrame:
    """Per design point: parameter values, runs, and each outcome's mean, median, 5% and 95%."""
    grouped = results.runs.groupby("point")[results.outcomes]
    stats = {"mean": grouped.mean(), "median": grouped.median(),
             "p5": grouped.quantile(0.05), "p95": grouped.quantile(0.95)}
    table = pd.concat({k: v for k, v in stats.items()}, axis=1)
    table.columns = [f"{outcome}_{stat}" for stat, outcome in table.columns]
    table = table[[f"{o}_{s}" for o in results.outcomes for s in stats]]
    runs = grouped.size().rename("runs")
    return results.points.join(runs).join(table)


def sensitivity(method: Method, problem: dict[str, Any], sample: np.ndarray, y: pd.DataFrame,
                *, second_order: bool = False, levels: int = 4) -> pd.DataFrame:
    """Sensitivity indices (the design method's analyser, :data:`sim.sweep.design.METHODS`) of
    every column of ``y`` (one row per design point, in sample order).

    Returns one row per (outcome, parameter). An outcome that never varies gets NaN indices.
    """
    spec = METHODS[method]
    if spec.analyse is None:
        raise ValueError(f"method {method} has no sensitivity analysis")
    rows = []
    for outcome in y.columns:
        values = y[outcome].to_numpy(dtype=float)
        if np.isnan(values).any() or np.ptp(values) == 0:
            rows += [{"outcome": outcome, "parameter": p} for p in problem["names"]]
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = spec.analyse(problem, sample, values, second_order, levels, BOOTSTRAP_SEED)
        for i, p in enumerate(problem["names"]):
            rows.append({"outcome": outcome, "parameter": p, **{k: float(res[k][i]) for k in spec.columns}})
    return with_noise_floor(pd.DataFrame(rows), spec.columns[0], spec.columns[1])


def with_noise_floor(indices: pd.DataFrame, index: str, conf: str) -> pd.DataFrame:
    """Add ``noise_floor`` (per outcome: the dummy parameter's index plus its confidence half-width)
    and ``below_noise_floor`` (a parameter whose index does not exceed it: indistinguishable from a
    parameter the model never reads). Without a dummy in the design both are empty."""
    out = indices.copy()
    if DUMMY not in set(out.get("parameter", ())):
        out["noise_floor"], out["below_noise_floor"] = np.nan, None
        return out
    dummy = out[out["parameter"] == DUMMY].set_index("outcome")
    floor = (dummy[index] + dummy[conf].fillna(0)).rename("noise_floor")
    out = out.join(floor, on="outcome")
    out["below_noise_floor"] = (out[index] <= out["noise_floor"]) & (out["parameter"] != DUMMY)
    return out


def noise_notes(indices: pd.DataFrame) -> list[str]:
    """One warning per outcome naming the parameters whose index is below the noise floor."""
    notes = []
    for outcome, rows in indices[indices["below_noise_floor"] == True].groupby("outcome"):  # noqa: E712
        floor = rows["noise_floor"].iloc[0]
        notes.append(f"{outcome}: below the noise floor ({floor:.3g}, the dummy parameter's index): "
                     + ", ".join(rows["parameter"]))
    return notes


@dataclass
class Analysis:
    root: Path
    tables: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        out = [f"analysis in {self.root}/:"]
        out += [f"  table  {p.relative_to(self.root)}" for p in self.tables]
        out += [f"  figure {p.relative_to(self.root)}" for p in self.figures if p.suffix == ".png"]
        out += [f"  note   {n}" for n in self.notes]
        return "\n".join(out)


def analyze(root: str | Path, series: list[str] | None = None, figures: FigureOptions | None = None
            ) -> Analysis:
    """Write ``analysis/``: outcome tables, sensitivity indices and the experiment's figures
    (in the formats and resolution of ``figures``)."""
    from sim.sweep import figures as figure_writer

    results = load_results(root)
    if results.runs.empty:
        raise FileNotFoundError(f"{root}: no finished runs yet")
    final = Path(root) / ANALYSIS
    analysis = Analysis(final, notes=list(results.store.problems))

    def fill(tmp: Path) -> None:
        table = outcomes_by_point(results)
        table.to_csv(tmp / "outcomes_by_point.csv", float_format="%.6g")
        analysis.tables.append(final / "outcomes_by_point.csv")
        if len(results.runs) < results.total_runs:
            analysis.notes.append(f"partial: {len(results.runs)} of {results.total_runs} runs finished")
        indices = _sensitivity_table(results, analysis)
        if indices is not None:
            indices.to_csv(tmp / "sensitivity.csv", index=False, float_format="%.6g")
            analysis.tables.append(final / "sensitivity.csv")
            analysis.notes.extend(noise_notes(indices))
        made = figure_writer.write_all(results, indices, tmp / "plots", series, figures)
        analysis.figures.extend(final / "plots" / p.name for p in made.paths)
        analysis.notes.extend(made.notes)

    write_dir(final, ANALYSIS_LAYOUT, fill, force=True)
    return analysis


def _sensitivity_table(results: Results, analysis: Analysis) -> pd.DataFrame | None:
    design = results.experiment.design
    if design is None or METHODS[design.method].analyse is None:
        if PlotKind.SENSITIVITY in results.experiment.plots:
            with_indices = " or ".join(m.value for m, spec in METHODS.items() if spec.analyse)
            analysis.notes.append(f"sensitivity indices need a {with_indices} design")
        return None
    if len(results.runs) < results.total_runs:
        analysis.notes.append("sensitivity indices need every design point; finish the sweep with --resume")
        return None
    return sensitivity(design.method, results.problem, results.sample, point_means(results),
                       second_order=design.second_order, levels=design.levels)
