"""Two-sided partnerships and economics by weight (issue 10, items 4 and 5), measured from outside.

Arms (each ``HedgingModel(scenario, replicates=R)`` on the same lockstep seeds):
- the historical replay; the replay with every dated upgrade offer removed;
- what-ifs for China's economic lead: sustained economic punishment (an assertive China whose
  punishment costs nothing, ignores interdependence and cuts trade three times harder) and
  diversification (Vietnam's autonomy value of diversifying trade and the interdependence a deal
  adds, both x3).

Reported, each as the mean over seeds with a seeded bootstrap 5-95 % interval of that mean
(:func:`causes.interval`): upgrades per partner per run; for each real upgrade of the observed table
since 2013 (``sim/bundled/observed``), the share of runs where the partner first reaches that tier
within +-6 months of the real date; Vietnam's requests and the partners' own offers; the share of
trade deals per partner; the share of months China is the largest economic partner; and the share
of the hedging index's variance that is a function of the calendar (between-month variance over
total variance across replicates x months: 1 means every run follows the same dated path).

Usage: ``python benchmarks/partners.py [--replicates 200] [--seed 2013]`` (a few minutes loaded).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from causes import HISTORICAL, interval, without_offers  # noqa: E402

from sim.calendar import Month  # noqa: E402
from sim.model import HedgingModel  # noqa: E402
from sim.observed import load_observed  # noqa: E402
from sim.scenario.loader import ScenarioError, load_scenario, with_overrides  # noqa: E402

WINDOW = 6  # months either side of a real upgrade date that count as "near" (the issue's +-6)
PUNISHMENT = {"agents.china.utility.punishment_cost": 0.0,
              "agents.china.utility.punishment_interdependence": 0.0,
              "agents.china.assertiveness": 0.9,
              "actions.economic_punishment.dyad_interdependence": -0.06}
DIVERSIFICATION = {"agents.vietnam.gains.trade_deal.autonomy.diversify": 0.89,
                   "actions.trade_deal.dyad_interdependence": 0.0299}


def calendar_share(series: pd.DataFrame, column: str = "hedging_index") -> float:
    """Share of ``column``'s variance over (replicate, month) explained by the month alone."""
    x = series[column]
    total = x.var(ddof=0)
    between = series.groupby("step")[column].transform("mean").var(ddof=0)
    return float(between / total) if total > 0 else np.nan


def real_upgrades(countries: list[str]) -> pd.DataFrame:
    """The observed upgrades since Jan 2013 of the partners in the run: actor, tier, month."""
    obs = load_observed()
    obs = obs.assign(start=obs.start.astype(str))
    ups = obs[(obs.kind == "upgrade") & (obs.start >= "2013-01") & obs.actor.isin(countries)
              & (obs.actor != "china")]
    return ups[["actor", "value", "start", "source"]].reset_index(drop=True)


def months_between(a: str, b: str) -> int:
    return Month.parse(a).months_until(Month.parse(b))


def per_run(model: HedgingModel) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """One row per replicate (upgrades, timing hits, China's lead) and the run-level tables."""
    s, acts = model.series(), model.actions()
    g = s.groupby("replicate")
    partners = [c.removeprefix("tier_") for c in s.columns if c.startswith("tier_") and c != "tier_china"]
    out = pd.DataFrame(index=g.size().index)
    for p in partners:
        out[f"upgrades_{p}"] = (g[f"tier_{p}"].last() - g[f"tier_{p}"].first()).clip(lower=0)
    for _, row in real_upgrades(partners).iterrows():
        reached = s[s[f"tier_{row.actor}"] >= row.value].groupby("replicate").date.first()
        start_tier = g[f"tier_{row.actor}"].first()
        hit = reached.reindex(out.index).map(
            lambda d, when=row.start: np.nan if pd.isna(d) else abs(months_between(when, d)) <= WINDOW)
        name = f"near_{row.actor}_{int(row.value)}_{row.start}"
        out[name] = np.where(start_tier >= row.value, np.nan, hit.astype(float).fillna(0.0))
    others = [f"interdependence_{p}" for p in partners]
    leads = s["interdependence_china"] > s[others].max(axis=1)
    out["china_leads_share"] = leads.groupby(s.replicate).mean()
    v = acts[acts.actor == "vietnam"]
    out["seeks"] = v[v.action == "seek_upgrade"].groupby("replicate").size().reindex(out.index, fill_value=0)
    out["offers"] = acts[acts.action == "upgrade_offer"].groupby("replicate").size().reindex(out.index,
                                                                                            fill_value=0)
    deals = v[v.action == "trade_deal"].target.value_counts(normalize=True)
    return out, deals, {"calendar_share": calendar_share(s)}


def summarise(name: str, runs: pd.DataFrame) -> list[dict]:
    rows = []
    for c in runs.columns:
        mean, lo, hi = interval(runs[c].to_numpy())
        rows.append({"arm": name, "outcome": c, "mean": mean, "lo5": lo, "hi95": hi,
                     "runs": int(runs[c].notna().sum())})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2013)
    a = ap.parse_args()
    t0 = time.perf_counter()
    hist = load_scenario(HISTORICAL)
    arms = {"replay": hist, "no dated offers": without_offers(hist)}
    for name, overrides in (("what-if: sustained economic punishment", PUNISHMENT),
                            ("what-if: diversification (x3 drive and weight of deals)", DIVERSIFICATION)):
        try:
            arms[name] = with_overrides(hist, overrides)
        except ScenarioError as exc:  # a coefficient this version of the model does not have
            print(f"{name}: skipped ({exc})")
    pd.set_option("display.width", 160)
    pd.set_option("display.float_format", "{:.3f}".format)
    rows, deals, extra = [], {}, {}
    for name, scenario in arms.items():
        runs, deal_share, more = per_run(HedgingModel(scenario, seed=a.seed, replicates=a.replicates).run())
        keep = runs if name in ("replay", "no dated offers") else runs[["china_leads_share"]]
        rows += summarise(name, keep)
        deals[name], extra[name] = deal_share, more
    print(pd.DataFrame(rows).to_string(index=False))
    print("\nshare of Vietnam's trade deals by partner:")
    print(pd.DataFrame(deals).fillna(0).to_string())
    print("\nshare of the hedging index's variance explained by the calendar month:")
    for name, more in extra.items():
        print(f"  {name}: {more['calendar_share']:.2f}")
    print(f"\n{a.replicates} lockstep replicates per arm, seed {a.seed}; "
          f"{time.perf_counter() - t0:.0f} s wall")


if __name__ == "__main__":
    main()
