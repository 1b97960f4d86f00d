"""Running a scenario for one or many seeds, and writing a run directory atomically.

A run directory holds ``series.csv`` (or ``.parquet``), ``actions.csv``, ``events.csv``,
``meta.json``, ``plots/`` and the ``.hedgesim`` marker. It is written to a staging sibling and
renamed into place (:mod:`sim.outputs`), so a failed run leaves nothing behind, two runs racing for
one ``--out`` cannot both win, and ``force`` replaces only a run directory hedgesim wrote.
"""

from __future__ import annotations

import json
import platform
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from sim.metrics import require_finite
from sim.model import HedgingModel
from sim.outputs import RUN_LAYOUT, check_dir_target, write_dir
from sim.provenance import RESULTS_VERSION, git_state, numpy_simd
from sim.scenario.loader import content_hash
from sim.scenario.schema import Scenario

FLOAT_FORMAT = "%.10g"  # fixed text form, so the same seed gives byte-identical CSV


@dataclass
class RunResult:
    """Tables from one or many seeds of a scenario (``replicate`` and ``seed`` columns when many)."""

    scenario: Scenario
    seeds: list[int]
    series: pd.DataFrame
    actions: pd.DataFrame
    events: pd.DataFrame
    rules: pd.DataFrame  # the binding report: how much each rule changed the choices (sim.rules.binding)


def run_scenario(scenario: Scenario, seed: int | None = None, replicates: int = 1) -> RunResult:
    """Run ``replicates`` seeds of ``scenario`` (root seed ``seed`` or the scenario's), in lockstep.

    With several replicates the tables carry ``replicate`` and ``seed`` columns; replicate r is
    the run ``hedgesim run --seed <its seed>`` would make alone.
    """
    model = HedgingModel(scenario, seed=seed, replicates=replicates).run()  # checks seed and replicates
    seeds = model.seeds
    tables = [model.series(), model.actions(), model.events(), model.rule_report()]
    if replicates > 1:
        for df in tables:
            df.insert(1, "seed", np.asarray(seeds, dtype=np.int64)[df["replicate"].to_numpy(dtype=int)])
    return RunResult(scenario, seeds, *tables)


def safe_name(name: str) -> str:
    """A scenario name made safe as one path component (no separators, no ``..``)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"
    return cleaned[:80]


def default_out_dir(scenario: Scenario, seeds: list[int], root: Path = Path("runs")) -> Path:
    leaf = f"seed-{seeds[0]}" if len(seeds) == 1 else f"seed-{seeds[0]}-x{len(seeds)}"
    return root / safe_name(scenario.name) / leaf


def metadata(result: RunResult, argv: list[str] | None = None) -> dict:
    from sim import __version__
    sc = result.scenario
    return {
        "scenario": sc.name,
        "description": sc.description,
        "scenario_file": sc.source_file,
        "scenario_hash": content_hash(sc),
        "seed": result.seeds[0],
        "seeds": result.seeds,
        "replicates": len(result.seeds),
        "start": str(sc.start),
        "months": sc.months,
        "hedgesim_version": __version__,
        "results_version": RESULTS_VERSION,
        "mesa_version": mesa.__version__,
        "numpy_version": np.__version__,
        "numpy_simd": numpy_simd(),
        "python_version": platform.python_version(),
        "git": git_state(),  # {"commit", "dirty"} when run from a checkout, else null
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": argv if argv is not None else sys.argv,
        "resolved_scenario": json.loads(sc.model_dump_json(exclude={"source_file"})),
    }


def write_run(result: RunResult, out: Path, *, force: bool = False, fmt: str = "csv",
              plots: bool = True, argv: list[str] | None = None, figures=None) -> Path:
    """Write a run directory at ``out`` atomically; refuse an existing one unless ``force``, and
    even then anything hedgesim did not write (:func:`sim.outputs.check_replaceable`).
    ``figures`` (a :class:`sim.plots.FigureOptions`) sets the figures' formats and resolution."""
    out = Path(out)
    require_finite(series=result.series)  # a NaN is a defect to report, never a value to write
    check_dir_target(out, RUN_LAYOUT, force=force)

    def fill(tmp: Path) -> None:
        if fmt == "parquet":
            result.series.to_parquet(tmp / "series.parquet", index=False)
        else:
            result.series.to_csv(tmp / "series.csv", index=False, float_format=FLOAT_FORMAT)
        result.actions.to_csv(tmp / "actions.csv", index=False)
        result.events.to_csv(tmp / "events.csv", index=False)
        result.rules.to_csv(tmp / "rules.csv", index=False, float_format=FLOAT_FORMAT)
        (tmp / "meta.json").write_text(json.dumps(metadata(result, argv), indent=2) + "\n")
        if plots:
            from sim import plots as plotting
            plotting.write_run_figures(result.series, result.events, tmp / "plots",
                                       **plotting.titles(result.scenario), options=figures)

    return write_dir(out, RUN_LAYOUT, fill, force=force)


def summary(result: RunResult, out: Path | None = None) -> str:
    """A few lines for the terminal: crises, escalation, force, final tiers, where the files are."""
    s, sc = result.series, result.scenario
    per_run = s.groupby("replicate") if "replicate" in s else [(0, s)]
    crises = [int(g["crisis_count"].iloc[-1]) for _, g in per_run]
    last = s[s["step"] == s["step"].max()]
    tiers = {c.removeprefix("tier_"): last[c].median() for c in s.columns if c.startswith("tier_")}
    lines = [
        f"{sc.name}: {sc.start} to {sc.end}, {len(result.seeds)} run(s), seed {result.seeds[0]}",
        f"  crises opened: {_spread(crises)}; highest rung: {int(s['escalation'].max())} "
        f"of 5; use of force: {'yes' if s['use_of_force'].max() > 0 else 'none'}",
        f"  hedging index at the end: {last['hedging_index'].median():+.2f} (0 = equidistance); "
        f"Russia's arms share: {last['russia_arms_share'].median():.0%}",
        f"  Four-Nos violations: {int(s['four_nos_violations'].sum())}; assurance acts toward China: "
        f"{int(s['assurance_acts'].sum())}; agreements signed/refused: "
        f"{int(s['agreements_signed'].sum())}/{int(s['agreements_refused'].sum())}",
        "  final tiers: " + ", ".join(f"{k} {v:g}" for k, v in tiers.items()),
        _rules_line(result.rules, len(result.seeds)),
    ]
    if out is not None:
        written = sorted(f.name + ("/" if f.is_dir() else "") for f in Path(out).iterdir()
                         if not f.name.startswith("."))
        lines.append(f"  wrote {out}/ ({', '.join(written)})")
    return "\n".join(lines)


def _rules_line(rules: pd.DataFrame, runs: int) -> str:
    """The binding report in one line: each rule's choice probability moved and expected forbidden
    moves prevented, per run (rules.csv has them per replicate)."""
    per_rule = rules.groupby("rule")[["moved", "prevented"]].sum() / runs
    per_rule = per_rule[per_rule["moved"] > 0]
    per_rule = per_rule.sort_values("moved", ascending=False, kind="stable")  # ties stay by rule id
    parts = [f"{rid} {row.moved:.2f}" + (f" (prevents {row.prevented:.2f})" if row.prevented > 0 else "")
             for rid, row in per_rule.iterrows()]
    return "  rules, probability moved per run (expected forbidden moves prevented): " + (
        "; ".join(parts) if parts else "none")


def _spread(values: list[int]) -> str:
    if len(values) == 1:
        return str(values[0])
    return f"median {np.median(values):g} (range {min(values)}-{max(values)})"
