"""Do outcomes answer to their causes? Paired what-if contrasts on the historical replay (issue 10).

Measured from outside: each contrast runs the baseline and the what-if on the SAME lockstep seeds
(``HedgingModel(scenario, replicates=R)``), takes each seed's difference, and reports the mean
difference with a seeded bootstrap 5-95 % interval of that mean. Arm-level figures (crisis endings,
force under the Four Nos, upgrades without dated offers, months past the balancing threshold) are
means over seeds with the same bootstrap interval.

Usage: ``python benchmarks/causes.py [--replicates 200] [--seed 2013]`` (about 2-3 minutes loaded).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sim.metrics import EQUIDISTANCE_BAND
from sim.model import HedgingModel
from sim.scenario.loader import load_scenario, with_overrides
from sim.scenario.schema import EventKind, Scenario

HISTORICAL = "historical_2013_2024"
FLAREUP = "south_china_sea_flareup"
BOOT = 2000


def interval(x: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Mean of ``x`` over seeds and the 5-95 % bootstrap interval of that mean (seeded)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    rng = np.random.default_rng(seed)
    means = rng.choice(x, size=(BOOT, len(x))).mean(axis=1)
    return float(x.mean()), float(np.quantile(means, 0.05)), float(np.quantile(means, 0.95))


def per_run(model: HedgingModel) -> pd.DataFrame:
    """One row per replicate: the outcomes the issue names."""
    s = model.series()
    g = s.groupby("replicate")
    defense = [c for c in s.columns if c.startswith("defense_") and c != "defense_china"]
    tiers = [c for c in s.columns if c.startswith("tier_") and c != "tier_china"]
    acts = model.actions()
    incidents = acts[(acts.actor == "china") & (acts.action == "gray_zone_incident")]
    out = pd.DataFrame({
        "china_incidents": incidents.groupby("replicate").size().reindex(g.size().index, fill_value=0),
        "max_rung": g["escalation"].max(),
        "threat": g["threat_china"].mean(),
        "hedging_index": g["hedging_index"].mean(),
        "defense_ties_end": g[defense].last().sum(axis=1),
        "equidistant_share": g["hedging_index"].apply(lambda x: float((x.abs() < EQUIDISTANCE_BAND).mean())),
        "balancing_share": g["threat_china"].apply(lambda x: float((x > 0.75).mean())),
        "force_months": g["use_of_force"].sum(),
        "crises": g["crisis_count"].max(),
        "upgrades": (g[tiers].last() - g[tiers].first()).clip(lower=0).sum(axis=1),
    })
    for col in ("ended_by_china", "ended_by_vietnam"):
        out[col] = g[col].sum() if col in s.columns else np.nan
    return out


def run(scenario: Scenario, replicates: int, seed: int) -> pd.DataFrame:
    return per_run(HedgingModel(scenario, seed=seed, replicates=replicates).run())


def contrast(name: str, base: pd.DataFrame, what_if: pd.DataFrame, columns: list[str]) -> list[dict]:
    rows = []
    for c in columns:
        mean, lo, hi = interval((what_if[c] - base[c]).to_numpy())
        rows.append({"contrast": name, "outcome": c, "mean_diff": mean, "lo5": lo, "hi95": hi,
                     "excludes_0": bool(lo > 0 or hi < 0)})
    return rows


def arm(name: str, runs: pd.DataFrame, columns: list[str]) -> list[dict]:
    rows = []
    for c in columns:
        mean, lo, hi = interval(runs[c].to_numpy())
        rows.append({"arm": name, "outcome": c, "mean": mean, "lo5": lo, "hi95": hi})
    return rows


def without_offers(scenario: Scenario) -> Scenario:
    events = tuple(e for e in scenario.events if e.kind is not EventKind.UPGRADE_OFFER)
    return scenario.model_copy(update={"events": type(scenario.events)(events)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2013)
    a = ap.parse_args()
    t0 = time.perf_counter()
    R, seed = a.replicates, a.seed
    hist = load_scenario(HISTORICAL)
    base = run(hist, R, seed)
    low = run(with_overrides(hist, {"agents.china.assertiveness": 0.3}), R, seed)
    high = run(with_overrides(hist, {"agents.china.assertiveness": 0.9}), R, seed)
    retrench = run(with_overrides(hist, {"agents.united_states.commitment": 0.2}), R, seed)
    no_offers = run(without_offers(hist), R, seed)
    flare = run(load_scenario(FLAREUP), R, seed)
    flare_calm = run(with_overrides(load_scenario(FLAREUP), {"agents.china.assertiveness": 0.3}), R, seed)
    main_cols = ["china_incidents", "max_rung", "threat", "hedging_index", "defense_ties_end",
                 "equidistant_share", "balancing_share"]
    pd.set_option("display.width", 160)
    pd.set_option("display.float_format", "{:.3f}".format)
    rows = (contrast("assertiveness 0.3 -> 0.9 (historical)", low, high, main_cols)
            + contrast("US commitment 0.6 -> 0.2 (historical)", base, retrench,
                       ["hedging_index", "defense_ties_end", "threat"])
            + contrast("flare-up: assertiveness 0.3 -> 0.8 (sustained coercion)", flare_calm, flare,
                       ["hedging_index", "defense_ties_end", "threat", "balancing_share"]))
    print(pd.DataFrame(rows).to_string(index=False))
    arms = (arm("historical", base, ["crises", "china_incidents", "ended_by_china", "ended_by_vietnam",
                                     "force_months", "max_rung", "balancing_share", "upgrades"])
            + arm("historical, no dated offers", no_offers, ["upgrades"])
            + arm("flare-up", flare, ["balancing_share", "threat", "force_months"]))
    print()
    print(pd.DataFrame(arms).to_string(index=False))
    ended = base[["ended_by_china", "ended_by_vietnam"]].sum()
    if ended.notna().all() and ended.sum() > 0:
        print(f"\ncrisis endings (historical): China stepped down {ended.iloc[0] / ended.sum():.0%}, "
              f"Vietnam conceded {ended.iloc[1] / ended.sum():.0%} of {int(ended.sum())} endings")
    print(f"\n{R} lockstep replicates per arm, seed {seed}; {time.perf_counter() - t0:.0f} s wall")


if __name__ == "__main__":
    main()
