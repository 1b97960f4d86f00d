"""What-if against baseline: the same seeds through every scenario, and the paired difference.

A what-if is an answer only when it is set against its baseline with the difference and its
uncertainty (the habit of Covasim's ``MultiSim``/``Scenarios``). :func:`compare` runs the baseline
and each what-if over the SAME replicate seeds (lockstep, :func:`sim.runner.run_scenario`), so run r
of a what-if differs from run r of the baseline only by the scenario — common random numbers, which
make the paired difference far less noisy than a difference of two independent ensembles.

For each per-run outcome (:data:`OUTCOMES`, or your own), the summary gives the mean over seeds of
the paired difference (what-if minus baseline) with a 95% percentile-bootstrap interval over the
paired runs (``scipy.stats.bootstrap``, fixed seed :data:`BOOTSTRAP_SEED`), and whether it excludes
zero. Over time, the same paired difference month by month. Outcomes and differences use only the
months every scenario covers.

    from sim import compare
    result = compare("south_china_sea_flareup", ["us_retrenchment"], replicates=50)
    result.differences          # one row per (what-if, outcome)
    result.write("runs/compare/retrench", force=False)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim import labels
from sim.calendar import Month
from sim.outputs import COMPARE_LAYOUT, check_dir_target, write_dir
from sim.provenance import RESULTS_VERSION
from sim.runner import FLOAT_FORMAT, run_scenario, safe_name
from sim.scenario.loader import content_hash, load_scenario
from sim.scenario.schema import Scenario
from sim.streams import replicate_seeds
from sim.sweep.experiment import Outcome, Reducer
from sim.sweep.outcomes import reduce_outcomes

BOOTSTRAP_SEED = 20240101  # fixed, so the intervals are the same on every machine
BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
OUTCOMES: dict[str, Outcome] = {  # per-run outcomes of a comparison, over the common months
    "mean_hedging_index": Outcome(series="hedging_index", reduce=Reducer.MEAN),
    "final_hedging_index": Outcome(series="hedging_index", reduce=Reducer.LAST),
    "mean_tension_china": Outcome(series="tension_china", reduce=Reducer.MEAN),
    "months_in_crisis": Outcome(series="crisis", reduce=Reducer.SUM),
    "highest_crisis_rung": Outcome(series="escalation", reduce=Reducer.MAX),
    "any_use_of_force": Outcome(series="use_of_force", reduce=Reducer.ANY),
    "final_tier_us": Outcome(series="tier_united_states", reduce=Reducer.LAST),
    "final_russia_arms_share": Outcome(series="russia_arms_share", reduce=Reducer.LAST),
    "assurance_acts": Outcome(series="assurance_acts", reduce=Reducer.SUM),
    "agreements_signed": Outcome(series="agreements_signed", reduce=Reducer.SUM),
}
FIGURE_SERIES = ("hedging_index", "tension_china", "tier_united_states", "russia_arms_share")


@dataclass
class Comparison:
    """The runs of a baseline and its what-ifs over the same seeds, and their paired differences.

    ``series`` and ``events`` are tidy (``scenario``, ``replicate``, ``seed`` first); ``outcomes``
    has one row per (scenario, replicate); ``differences`` one row per (what-if, outcome);
    ``over_time`` one row per (what-if, column, date).
    """

    scenarios: list[Scenario]
    seeds: list[int]
    series: pd.DataFrame
    events: pd.DataFrame
    outcomes: pd.DataFrame
    differences: pd.DataFrame
    over_time: pd.DataFrame
    columns: tuple[str, ...] = FIGURE_SERIES
    outcome_specs: dict[str, Outcome] = field(default_factory=lambda: dict(OUTCOMES))

    @property
    def baseline(self) -> str:
        return self.scenarios[0].name

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    def figure(self):
        """The comparison figure (a matplotlib Figure), drawn from the tables."""
        from sim.plots import comparison
        return comparison(self.series, self.over_time, self.events, self.names, self.columns,
                          title=f"What-if against baseline: {', '.join(self.names[1:])} vs {self.baseline}",
                          subtitle=f"{len(self.seeds)} runs per scenario on the same seeds "
                                   f"(root seed {self.seeds[0]})")

    def write(self, out: str | Path, *, force: bool = False, plots: bool = True, figures=None,
              argv: list[str] | None = None) -> Path:
        """Write the tables, ``meta.json`` and figures to ``out``, atomically; an existing ``out``
        is replaced only with ``force``."""
        return write_comparison(self, Path(out), force=force, plots=plots, figures=figures, argv=argv)

    def describe(self, out: Path | None = None) -> str:
        """The summary table as text, for the terminal."""
        lines = [f"{', '.join(self.names[1:])} against {self.baseline}: {len(self.seeds)} paired runs "
                 f"(same seeds), seed {self.seeds[0]}; difference = what-if - baseline, "
                 f"{CONFIDENCE:.0%} bootstrap interval"]
        table = self.differences
        width = max(len(o) for o in table["outcome"])
        for name, rows in table.groupby("scenario", sort=False):
            lines.append(f"\n  {name}")
            lines.append(f"  {'outcome':<{width}}  {'baseline':>9} {'what-if':>9} {'difference':>11}  "
                         f"{'interval':<19} excludes 0")
            for r in rows.itertuples():
                lines.append(f"  {r.outcome:<{width}}  {r.baseline_mean:>9.3g} {r.whatif_mean:>9.3g} "
                             f"{r.difference:>+11.3g}  [{r.ci_low:+.3g}, {r.ci_high:+.3g}]".ljust(
                                 width + 56) + f" {'yes' if r.excludes_zero else 'no'}")
        if out is not None:
            written = sorted(f.name + ("/" if f.is_dir() else "") for f in Path(out).iterdir())
            lines.append(f"\n  wrote {out}/ ({', '.join(written)})")
        return "\n".join(lines)


def compare(baseline: str | Path | Scenario, whatifs: Sequence[str | Path | Scenario], *,
            replicates: int = 20, seed: int | None = None, outcomes: dict[str, Outcome] | None = None,
            columns: Sequence[str] = FIGURE_SERIES) -> Comparison:
    """Run ``baseline`` and each of ``whatifs`` over the same ``replicates`` seeds and pair them.

    Args:
        baseline, whatifs: scenarios (objects, YAML paths or bundled names).
        replicates: paired runs per scenario (seeds from :func:`sim.streams.replicate_seeds`).
        seed: root seed (default: the baseline's).
        outcomes: per-run outcomes by name (default :data:`OUTCOMES`).
        columns: the monthly series drawn in the figure and differenced over time.
    """
    scenarios = [_scenario(s) for s in (baseline, *whatifs)]
    if not whatifs:
        raise ValueError("compare needs at least one what-if scenario beside the baseline")
    first, last = max(s.start for s in scenarios), min(s.end for s in scenarios)
    if first > last:
        raise ValueError("the scenarios share no month, so there is nothing to compare: "
                         + ", ".join(f"{s.name} {s.start} to {s.end}" for s in scenarios))
    _check_columns(scenarios, [*columns, *(o.series for o in (outcomes or OUTCOMES).values())])
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):  # the same name twice: keep them apart in the tables
        names = [f"{n}#{i}" if names.count(n) > 1 else n for i, n in enumerate(names)]
    outcomes = dict(OUTCOMES if outcomes is None else outcomes)
    root = scenarios[0].seed if seed is None else seed
    seeds = replicate_seeds(root, replicates)
    series, events = [], []
    for name, sc in zip(names, scenarios, strict=True):
        run = run_scenario(sc, seed=root, replicates=replicates)
        series.append(_tidy(run.series, name, seeds))
        events.append(_tidy(run.events, name, seeds))
    series_df = pd.concat(series, ignore_index=True)
    common = _common_dates(series_df, names)
    series_df = series_df[series_df["date"].isin(common)].reset_index(drop=True)
    per_run = _outcomes(series_df, names, common, outcomes)
    scenarios = [s.model_copy(update={"name": n}) if s.name != n else s
                 for s, n in zip(scenarios, names, strict=True)]
    return Comparison(scenarios, seeds, series_df, pd.concat(events, ignore_index=True), per_run,
                      paired_differences(per_run, names, list(outcomes)),
                      differences_over_time(series_df, names, list(columns)), tuple(columns), outcomes)


def _check_columns(scenarios: list[Scenario], wanted: list[str]) -> None:
    """ValueError, before any run, for a series some scenario does not record."""
    from sim.metrics import series_for
    for sc in scenarios:
        have = [s.name for s in series_for(sc.countries)]
        missing = [c for c in dict.fromkeys(wanted) if c not in have]
        if missing:
            raise ValueError(f"{sc.name} records no series {', '.join(missing)} "
                             f"(it records: {', '.join(have)})")


def _scenario(s: str | Path | Scenario) -> Scenario:
    return s if isinstance(s, Scenario) else load_scenario(s)


def _tidy(df: pd.DataFrame, name: str, seeds: list[int]) -> pd.DataFrame:
    df = df.copy()
    if "replicate" not in df:
        df.insert(0, "replicate", 0)
    if "seed" not in df:
        df.insert(1, "seed", np.asarray(seeds, dtype=np.int64)[df["replicate"].to_numpy(dtype=int)])
    df.insert(0, "scenario", name)
    return df


def _common_dates(series: pd.DataFrame, names: list[str]) -> list[str]:
    sets = [set(series.loc[series["scenario"] == n, "date"]) for n in names]
    return sorted(set.intersection(*sets))


def _cube(series: pd.DataFrame, name: str, columns: list[str]) -> np.ndarray:
    """``(months, R, columns)`` of one scenario (rows ordered by replicate, then date)."""
    df = series[series["scenario"] == name].sort_values(["replicate", "date"])
    reps, months = df["replicate"].nunique(), df["date"].nunique()
    return df[columns].to_numpy(dtype=float).reshape(reps, months, len(columns)).transpose(1, 0, 2)


def _outcomes(series: pd.DataFrame, names: list[str], common: list[str],
              outcomes: dict[str, Outcome]) -> pd.DataFrame:
    """One row per (scenario, replicate, seed): each outcome over the common months."""
    columns = sorted({o.series for o in outcomes.values()})
    frames = []
    for name in names:
        values = reduce_outcomes(_cube(series, name, columns), columns, Month.parse(common[0]), outcomes)
        ids = series.loc[(series["scenario"] == name) & (series["date"] == common[0]), ["replicate", "seed"]]
        ids = ids.sort_values("replicate").reset_index(drop=True)
        frames.append(pd.DataFrame({"scenario": name, **ids, **values}))
    return pd.concat(frames, ignore_index=True)


def bootstrap_interval(diff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Percentile-bootstrap interval of the mean along axis 0 (replicates), seeded."""
    from scipy.stats import bootstrap  # imported here: scipy.stats is slow to import

    if diff.shape[0] < 2 or np.all(np.ptp(diff, axis=0) == 0):
        mean = diff.mean(axis=0)  # no spread to resample: the interval is the value itself
        return mean, mean
    res = bootstrap((diff,), np.mean, axis=0, vectorized=True, paired=False, method="percentile",
                    confidence_level=CONFIDENCE, n_resamples=BOOTSTRAP_RESAMPLES,
                    random_state=np.random.default_rng(BOOTSTRAP_SEED))
    lo, hi = res.confidence_interval
    const = np.ptp(diff, axis=0) == 0  # a column without spread: its interval is its value
    mean = diff.mean(axis=0)
    return np.where(const, mean, lo), np.where(const, mean, hi)


def paired_differences(outcomes: pd.DataFrame, names: list[str], measures: list[str]) -> pd.DataFrame:
    """Per what-if and outcome: both means, the mean paired difference, its interval, excludes 0."""
    base = outcomes[outcomes["scenario"] == names[0]].sort_values("replicate")
    rows = []
    for name in names[1:]:
        other = outcomes[outcomes["scenario"] == name].sort_values("replicate")
        diff = other[measures].to_numpy(dtype=float) - base[measures].to_numpy(dtype=float)
        lo, hi = bootstrap_interval(diff)
        for k, m in enumerate(measures):
            rows.append({"scenario": name, "outcome": m, "baseline_mean": base[m].mean(),
                         "whatif_mean": other[m].mean(), "difference": diff[:, k].mean(),
                         "ci_low": lo[k], "ci_high": hi[k],
                         "excludes_zero": bool(lo[k] > 0 or hi[k] < 0), "replicates": len(diff)})
    return pd.DataFrame(rows)


def differences_over_time(series: pd.DataFrame, names: list[str], columns: list[str]) -> pd.DataFrame:
    """Per what-if, column and month: mean paired difference, its interval, and the 5-95% of the
    paired differences themselves (how much single runs differ)."""
    base = _cube(series, names[0], columns)
    dates = sorted(series["date"].unique())
    frames = []
    for name in names[1:]:
        diff = _cube(series, name, columns) - base  # (months, R, C)
        lo, hi = bootstrap_interval(diff.transpose(1, 0, 2))  # resample replicates
        for k, col in enumerate(columns):
            d = diff[:, :, k]
            frames.append(pd.DataFrame({
                "scenario": name, "column": col, "date": dates, "difference": d.mean(axis=1),
                "ci_low": lo[:, k], "ci_high": hi[:, k],
                "p5": np.quantile(d, 0.05, axis=1), "p95": np.quantile(d, 0.95, axis=1)}))
    return pd.concat(frames, ignore_index=True)


def default_out_dir(names: Sequence[str], seed: int, replicates: int,
                    root: Path = Path("runs") / "compare") -> Path:
    """``runs/compare/<base>-vs-<what-if>.../seed-<N>-x<R>``."""
    return root / safe_name("-vs-".join(names)) / f"seed-{seed}-x{replicates}"


def metadata(comparison: Comparison, argv: list[str] | None = None) -> dict:
    from sim import __version__
    return {
        "baseline": comparison.baseline,
        "whatifs": comparison.names[1:],
        "scenario_files": [s.source_file for s in comparison.scenarios],
        "scenario_hashes": [content_hash(s) for s in comparison.scenarios],
        "seed": comparison.seeds[0], "seeds": comparison.seeds, "replicates": len(comparison.seeds),
        "first_month": comparison.series["date"].min(), "last_month": comparison.series["date"].max(),
        "outcomes": {k: json.loads(v.model_dump_json()) for k, v in comparison.outcome_specs.items()},
        "interval": f"{CONFIDENCE:.0%} percentile bootstrap of the mean paired difference, "
                    f"{BOOTSTRAP_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}",
        "hedgesim_version": __version__,
        "results_version": RESULTS_VERSION,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": argv,
    }


def write_comparison(comparison: Comparison, out: Path, *, force: bool = False, plots: bool = True,
                     figures=None, argv: list[str] | None = None) -> Path:
    """``series.csv``, ``events.csv``, ``outcomes.csv``, ``differences.csv``,
    ``differences_over_time.csv``, ``meta.json`` and ``plots/compare.*``, written to a staging
    sibling and renamed into place; an existing ``out`` is replaced only with ``force`` and only if
    hedgesim wrote it (:mod:`sim.outputs`)."""
    check_dir_target(out, COMPARE_LAYOUT, force=force)

    def fill(tmp: Path) -> None:
        comparison.series.to_csv(tmp / "series.csv", index=False, float_format=FLOAT_FORMAT)
        comparison.events.to_csv(tmp / "events.csv", index=False)
        comparison.outcomes.to_csv(tmp / "outcomes.csv", index=False, float_format=FLOAT_FORMAT)
        comparison.differences.to_csv(tmp / "differences.csv", index=False, float_format="%.6g")
        comparison.over_time.to_csv(tmp / "differences_over_time.csv", index=False, float_format="%.6g")
        (tmp / "meta.json").write_text(json.dumps(metadata(comparison, argv), indent=2) + "\n")
        if plots:
            from sim.plots import save
            save(comparison.figure(), tmp / "plots", "compare", figures)

    return write_dir(out, COMPARE_LAYOUT, fill, force=force)


def outcome_text(comparison: Comparison, name: str) -> str:
    spec = comparison.outcome_specs[name]
    return labels.outcome(spec.series, spec.reduce.value, spec.since, spec.until)
