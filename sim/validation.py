"""Pattern-oriented validation ([Grimm2005]): the nine patterns of docs/model.md §1, measured over many
seeds with Monte Carlo intervals.

Each :class:`Pattern` reduces one run's monthly series to a number and says what the source expects
of it. ``hedgesim validate`` runs a scenario's replicates in lockstep and reports every pattern's
mean, 5-95% interval and whether the expectation holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.metrics import EQUIDISTANCE_BAND
from sim.model import HedgingModel
from sim.outputs import check_file_target, write_file
from sim.scenario.loader import with_overrides
from sim.scenario.schema import Scenario

ASSURANCE_WINDOW = 3  # months after an upgrade in which assurance is looked for ([Diplomat2023])


def crisis_lengths(run: pd.DataFrame) -> np.ndarray:
    edges = np.diff(np.r_[0, (run["crisis"].to_numpy() > 0).astype(int), 0])
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


def _others(run: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return run[[c for c in run.columns if c.startswith(prefix) and c != f"{prefix}china"]]


def _assurance_after_upgrades(run: pd.DataFrame) -> float:
    """Assurance acts per month in the upgrade month and the next three, over the run's average."""
    ups = np.flatnonzero((_others(run, "tier_").diff() > 0).any(axis=1).to_numpy())
    acts = run["assurance_acts"].to_numpy()
    if len(ups) == 0 or acts.mean() == 0:
        return np.nan
    near = np.mean([acts[u:u + ASSURANCE_WINDOW + 1].mean() for u in ups])
    return float(near / acts.mean())


def _russia_drop(run: pd.DataFrame) -> float:
    before = run.loc[run["date"] <= "2022-01", "russia_arms_share"]
    if before.empty or run["date"].iloc[-1] < "2023-01":
        return np.nan
    return float(before.iloc[-1] - run["russia_arms_share"].iloc[-1])


def _sensitive_refusal(run: pd.DataFrame) -> float:
    refused, signed = run["sensitive_refused"].sum(), run["sensitive_signed"].sum()
    return np.nan if refused + signed == 0 else float(refused / (refused + signed))


def _other_refusal(run: pd.DataFrame) -> float:
    refused = run["agreements_refused"].sum() - run["sensitive_refused"].sum()
    signed = run["agreements_signed"].sum() - run["sensitive_signed"].sum()
    return np.nan if refused + signed == 0 else float(refused / (refused + signed))


@dataclass(frozen=True)
class Pattern:
    """One observable pattern: how to measure it on a run, and what the source expects."""

    number: int
    name: str
    measure: Callable[[pd.DataFrame], float]
    expect: Callable[[float], bool]
    expectation: str
    source: str


PATTERNS: tuple[Pattern, ...] = (
    Pattern(1, "runs with interstate use of force", lambda r: float(r["use_of_force"].max() > 0),
            lambda m: m == 0, "none", "[Diplomat2023]: every crisis ended without force"),
    Pattern(1, "longest crisis (months)",
            lambda r: float(crisis_lengths(r).max(initial=0)),
            lambda m: m <= 6, "weeks to a few months (<= 6)", "[Diplomat2023]: the crises of 2014-2023"),
    Pattern(2, "Four-Nos violations per run", lambda r: float(r["four_nos_violations"].sum()),
            lambda m: m == 0, "none while in force", "[SCMP2023]; [DWP2019]"),
    Pattern(2, "Four-Nos forbidden moves prevented (expected)",
            lambda r: float(r["four_nos_prevented"].sum()),
            lambda m: True, "reported (sim.rules.binding)", "[SCMP2023]; [DWP2019]"),
    Pattern(2, "Four-Nos choice probability removed (sum)",
            lambda r: float(r["four_nos_removed"].sum()),
            lambda m: True, "reported (sim.rules.binding)", "[SCMP2023]; [DWP2019]"),
    Pattern(3, "months China's tier is below another's",
            lambda r: float((r["tier_china"] < _others(r, "tier_").max(axis=1)).sum()),
            lambda m: m == 0, "never", "[Diplomat2023]: always prioritise Beijing"),
    Pattern(4, "assurance near an upgrade / average (ratio)", _assurance_after_upgrades,
            lambda m: m >= 1.0, ">= 1 (assurance follows deepening)", "[Diplomat2023]; [VOA2023] (Giang)"),
    Pattern(5, "share of sensitive agreements refused", _sensitive_refusal,
            lambda m: m >= 0.7, "mostly refused (>= 0.7)", "[VOA2023], [Grossman2023] (rare earths refused)"),
    Pattern(5, "share of symbolic/economic agreements refused", _other_refusal,
            lambda m: m <= 0.3, "mostly signed (<= 0.3)", "[VOA2023], [Grossman2023] (36 of ~45 signed)"),
    Pattern(7, "fall in Russia's arms share since Jan 2022", _russia_drop,
            lambda m: m > 0.1, "falls (> 0.1)", "[Heydarian2022]; [SIPRI]"),
    Pattern(7, "Russia's final tier", lambda r: float(r["tier_russia"].iloc[-1]),
            lambda m: m >= 3, "kept (3)", "[Heydarian2022]: shared history"),
    Pattern(8, "months China is not the largest economic partner",
            lambda r: float((r["interdependence_china"] < _others(r, "interdependence_").max(axis=1)).sum()),
            lambda m: m == 0, "never", "[VOA2023]: > $175bn trade in 2022"),
    Pattern(9, "share of months within the equidistance band",
            lambda r: float((r["hedging_index"].abs() < EQUIDISTANCE_BAND).mean()),
            lambda m: True, "reported ([SCMP2023]: equidistance unless China is overly aggressive)",
            "[SCMP2023]"),
)


def run_replicates(scenario: Scenario, seed: int, replicates: int) -> pd.DataFrame:
    """Series of ``replicates`` runs advanced in lockstep, with a ``replicate`` column."""
    series = HedgingModel(scenario, seed=seed, replicates=replicates, record_actions=False).run().series()
    if "replicate" not in series:
        series.insert(0, "replicate", 0)
    return series


def measure(series: pd.DataFrame) -> pd.DataFrame:
    """One row per replicate, one column per pattern measure."""
    rows = {r: {p.name: p.measure(run.reset_index(drop=True)) for p in PATTERNS}
            for r, run in series.groupby("replicate")}
    return pd.DataFrame.from_dict(rows, orient="index")


def report(series: pd.DataFrame) -> pd.DataFrame:
    """Every pattern: mean and 5-95% interval over replicates, the expectation, and whether it holds."""
    per_run = measure(series)
    out = []
    for p in PATTERNS:
        values = per_run[p.name].dropna()
        mean = float(values.mean()) if len(values) else np.nan
        lo, hi = (np.percentile(values, [5, 95]) if len(values) else (np.nan, np.nan))
        out.append({"pattern": p.number, "measure": p.name, "mean": mean, "p05": lo, "p95": hi,
                    "runs": len(values), "expected": p.expectation,
                    "holds": bool(p.expect(mean)) if len(values) else None, "source": p.source})
    return pd.DataFrame(out)


def democracy_contrast(scenario: Scenario, seed: int, replicates: int,
                       low: float = 0.0, high: float = 0.9) -> dict[str, float]:
    """Pattern 6: US upgrades per run when US democracy promotion is low vs high."""
    out = {}
    for label, level in (("low", low), ("high", high)):
        variant = with_overrides(scenario, {"agents.united_states.democracy_promotion": level})
        s = run_replicates(variant, seed, replicates)
        ups = s.groupby("replicate")["tier_united_states"].apply(lambda t: float((t.diff() > 0).sum()))
        out[label] = float(ups.mean())
    return out


def contrast_holds(contrast: dict[str, float]) -> bool:
    """Pattern 6 holds when high democracy promotion brings fewer than half the US upgrades."""
    return contrast["high"] < contrast["low"] / 2


def all_hold(table: pd.DataFrame, contrast: dict[str, float] | None = None) -> bool:
    """Whether every pattern that could be measured holds (what ``hedgesim validate`` exits on)."""
    return bool(table["holds"].dropna().all()) and (contrast is None or contrast_holds(contrast))


REPORT_HEADER = "pattern,measure,"  # how every report CSV written by write_report begins


def check_report_target(out: Path, *, force: bool) -> None:
    """Fail before any run for an ``--out`` the report could not be written to."""
    check_file_target(out, force=force, ours=_is_report)


def write_report(table: pd.DataFrame, out: Path, *, force: bool) -> Path:
    """The table as CSV, written atomically (never a truncated file); ``force`` replaces only a
    report hedgesim wrote."""
    check_report_target(out, force=force)
    return write_file(out, lambda tmp: table.to_csv(tmp, index=False), force=force)


def _is_report(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(REPORT_HEADER)) == REPORT_HEADER.encode()


def format_report(table: pd.DataFrame, contrast: dict[str, float] | None = None) -> str:
    lines = [f"{'#':>2}  {'measure':<48} {'mean':>8} {'5-95%':>15}  {'holds':<5}  expected"]
    for _, r in table.iterrows():
        interval = f"[{r['p05']:.2f}, {r['p95']:.2f}]" if r["runs"] else "(no runs)"
        holds = {True: "yes", False: "NO", None: "n/a"}[r["holds"]]
        lines.append(f"{r['pattern']:>2}  {r['measure']:<48} {r['mean']:>8.2f} {interval:>15}  "
                     f"{holds:<5}  {r['expected']}")
    if contrast is not None:
        holds = "yes" if contrast_holds(contrast) else "NO"
        lines.append(f" 6  {'US upgrades per run, democracy promotion 0 / 0.9':<48} "
                     f"{contrast['low']:>4.2f}/{contrast['high']:<4.2f} {'':>14} {holds:<5}  "
                     "fewer when pressure is high ([Heydarian2022])")
    return "\n".join(lines)
