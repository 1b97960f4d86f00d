"""Pattern-oriented validation ([Grimm2005]): the patterns of docs/model.md §1, each a test that could
fail or labelled as true by construction.

Three kinds of row, one table (:func:`validate`):

- a :class:`Pattern` reduces one run's monthly series to a number and says what the source expects of
  it (mean and 5-95 % of runs). A pattern the model cannot break — a rule forbids the alternative, or
  no move can change the quantity — is labelled :attr:`Status.CONSTRUCTION` with the reason, never
  reported as a success;
- a :class:`Contrast` runs the scenario and a counterfactual over the same seeds and reports the mean
  paired difference of a measure with its 95 % bootstrap interval: a pattern holds only when the
  interval excludes zero in the direction the source gives (e.g. Russia's arms share falls *more*
  with the 2022 sanctions than without them);
- comparisons with the observed table (:mod:`sim.observed`): crisis lengths, and the share of runs in
  which each observed upgrade lands within six months of its date.

``hedgesim validate`` prints the table and exits non-zero when a test fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.compare import bootstrap_interval
from sim.metrics import EQUIDISTANCE_BAND
from sim.model import HedgingModel
from sim.observed import Kind, crisis_months, load_observed
from sim.outputs import check_file_target, write_file
from sim.scenario.loader import with_overrides
from sim.scenario.schema import EventKind, Scenario

ASSURANCE_WINDOW = 3  # months after an upgrade in which assurance is looked for ([Diplomat2023])
UPGRADE_TOLERANCE = 6  # months either side of an observed upgrade that count as landing near its date


class Status(StrEnum):
    """What a row of the report can say."""

    TEST = "test"  # could fail: the model is free to produce the opposite
    CONSTRUCTION = "by construction"  # the model cannot produce the opposite (the reason is given)
    REPORTED = "reported"  # a quantity to read, with no expectation


def crisis_lengths(run: pd.DataFrame, count_before: float = 0.0) -> np.ndarray:
    """Each crisis's length in months, first to last month of presence inclusive, as the observed
    table counts (:func:`sim.observed.crisis_months`: HD-981 was placed on 2 May 2014 and withdrawn on
    15 Jul, three months).

    A month is in a crisis when one is open at its end, or when Vietnam conceded in it (after China
    held that month), or when the crisis opened and ended in it: a crisis ended in its first month
    lasts one month, not none. China moves first in a month (:meth:`sim.model.HedgingModel.step`), so
    a withdrawal in a later month ends the crisis as that month opens: its last month is the one
    before, the last month that ended with the ships still there. A crisis that opens the month
    after another ended is a new one (``crisis_count`` rises), not the same one continued.
    ``count_before``: ``crisis_count`` the month before ``run``'s first (0 for a whole run, which
    starts with none; the month before a window for a window)."""
    return crisis_lengths_of(run["crisis_count"].to_numpy(), run["crisis"].to_numpy(),
                             run["ended_by_vietnam"].to_numpy(), run["ended_by_china"].to_numpy(),
                             count_before)


def crisis_lengths_of(count: np.ndarray, crisis_open: np.ndarray, conceded: np.ndarray, withdrawn: np.ndarray,
                      count_before: float = 0.0) -> np.ndarray:
    """:func:`crisis_lengths` of one run's monthly ``crisis_count``, ``crisis``, ``ended_by_vietnam``
    and ``ended_by_china`` as arrays."""
    opened = np.diff(count, prepend=count_before) > 0
    conceded, withdrawn = conceded > 0, withdrawn > 0
    ended = conceded | withdrawn
    active = (crisis_open > 0) | conceded | (withdrawn & opened)
    before_active, before_ended = np.r_[False, active[:-1]], np.r_[False, ended[:-1]]
    starts = active & (~before_active | (before_ended & opened))
    crisis = np.cumsum(starts)
    return np.bincount(crisis[active], minlength=crisis.max(initial=0) + 1)[1:]


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


def _while_four_nos(scenario: Scenario) -> Status:
    """No violation is possible while every one of the Four Nos is switched on (from its ``since``)."""
    nos = ("no_alliance", "no_foreign_bases", "no_siding_against_third", "no_force")
    on = all(r in scenario.rules and scenario.rules[r].enabled for r in nos)
    return Status.CONSTRUCTION if on else Status.TEST


@dataclass(frozen=True)
class Pattern:
    """One observable pattern: how to measure it on a run, and what the source expects."""

    number: int
    name: str
    measure: Callable[[pd.DataFrame], float]
    expect: Callable[[float], bool]
    expectation: str
    source: str
    status: Status | Callable[[Scenario], Status] = Status.TEST  # or decided by the scenario's rules

    def status_in(self, scenario: Scenario | None) -> Status:
        if callable(self.status):
            return self.status(scenario) if scenario is not None else Status.TEST
        return self.status


PATTERNS: tuple[Pattern, ...] = (
    Pattern(1, "runs with interstate use of force", lambda r: float(r["use_of_force"].max() > 0),
            lambda m: m == 0, "none", "[Diplomat2023]: every crisis ended without force"),
    Pattern(1, "longest crisis (months)",
            lambda r: float(crisis_lengths(r).max(initial=0)),
            lambda m: m <= 6, "weeks to a few months (<= 6)", "[Diplomat2023]: the crises of 2014-2023"),
    Pattern(2, "Four-Nos violations per run", lambda r: float(r["four_nos_violations"].sum()),
            lambda m: m == 0, "none while in force: the rules take forbidden moves off the menu",
            "[SCMP2023]; [DWP2019]", lambda sc: _while_four_nos(sc)),
    Pattern(2, "Four-Nos forbidden moves prevented (expected)",
            lambda r: float(r["four_nos_prevented"].sum()),
            lambda m: True, "reported (sim.rules.binding)", "[SCMP2023]; [DWP2019]", Status.REPORTED),
    Pattern(2, "Four-Nos choice probability removed (sum)",
            lambda r: float(r["four_nos_removed"].sum()),
            lambda m: True, "reported (sim.rules.binding)", "[SCMP2023]; [DWP2019]", Status.REPORTED),
    Pattern(3, "months China's tier is below another's",
            lambda r: float((r["tier_china"] < _others(r, "tier_").max(axis=1)).sum()),
            lambda m: m == 0, "never: China starts at the top partner tier and no move lowers a tier",
            "[Diplomat2023]: always prioritise Beijing", Status.CONSTRUCTION),
    Pattern(4, "assurance near an upgrade / average (ratio)", _assurance_after_upgrades,
            lambda m: True, "reported; the test is the matched-months contrast below",
            "[Diplomat2023]; [VOA2023] (Giang)", Status.REPORTED),
    Pattern(5, "share of sensitive agreements refused", _sensitive_refusal,
            lambda m: m >= 0.7, "mostly refused (>= 0.7)", "[VOA2023], [Grossman2023] (rare earths refused)"),
    Pattern(5, "share of other agreements refused", _other_refusal,
            lambda m: m <= 0.3, "mostly signed (<= 0.3): symbolic, economic, maritime",
            "[VOA2023], [Grossman2023] (36 of ~45 signed)"),
    Pattern(7, "fall in Russia's arms share since Jan 2022", _russia_drop,
            lambda m: m > 0.1, "falls (> 0.1)", "[Heydarian2022]; [SIPRI]"),
    Pattern(7, "Russia's final tier", lambda r: float(r["tier_russia"].iloc[-1]),
            lambda m: m >= 3, "kept (3): it starts at 3 and no move lowers a tier",
            "[Heydarian2022]: shared history", Status.CONSTRUCTION),
    Pattern(8, "months China is not the largest economic partner",
            lambda r: float((r["interdependence_china"] < _others(r, "interdependence_").max(axis=1)).sum()),
            lambda m: m == 0, "never", "[VOA2023]: > $175bn trade in 2022"),
    Pattern(9, "share of months within the equidistance band",
            lambda r: float((r["hedging_index"].abs() < EQUIDISTANCE_BAND).mean()),
            lambda m: True, "reported; the test is the assertiveness contrast below", "[SCMP2023]",
            Status.REPORTED),
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


def report(series: pd.DataFrame, scenario: Scenario | None = None) -> pd.DataFrame:
    """Every pattern: mean and 5-95% interval over replicates, the expectation, and whether it holds
    (a pattern true by construction in ``scenario`` is labelled so)."""
    per_run = measure(series)
    out = []
    for p in PATTERNS:
        values = per_run[p.name].dropna()
        mean = float(values.mean()) if len(values) else np.nan
        lo, hi = (np.percentile(values, [5, 95]) if len(values) else (np.nan, np.nan))
        status = p.status_in(scenario)
        judged = len(values) and status is not Status.REPORTED
        out.append({"pattern": p.number, "measure": p.name, "kind": status.value, "mean": mean,
                    "p05": lo, "p95": hi, "interval": "5-95% of runs", "runs": len(values),
                    "expected": p.expectation, "holds": bool(p.expect(mean)) if judged else None,
                    "source": p.source})
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------------------ contrasts
Variant = Callable[[Scenario], Scenario]


@dataclass(frozen=True)
class AsSet:
    """The scenario as set: the control of most contrasts."""

    def __call__(self, scenario: Scenario) -> Scenario:
        return scenario

    def __str__(self) -> str:
        return "as set"


AS_SET = AsSet()


@dataclass(frozen=True)
class Setting:
    """A counterfactual that sets one coefficient or switch (``path``) to ``value``."""

    path: str
    value: float | bool

    def __call__(self, scenario: Scenario) -> Scenario:
        return with_overrides(scenario, {self.path: self.value})

    def __str__(self) -> str:
        return f"{self.path} = {self.value}"


@dataclass(frozen=True)
class WithoutEvents:
    """A counterfactual with every dated event of one kind removed."""

    kind: EventKind

    def __call__(self, scenario: Scenario) -> Scenario:
        kept = tuple(e for e in scenario.events if e.kind != self.kind)
        return scenario.model_copy(update={"events": kept})

    def __str__(self) -> str:
        return f"without {self.kind.value} events"


def _mean_index(run: pd.DataFrame) -> float:
    return float(run["hedging_index"].mean())


def _us_upgrades(run: pd.DataFrame) -> float:
    return float((run["tier_united_states"].diff() > 0).sum())


@dataclass(frozen=True)
class Contrast:
    """A pattern as a counterfactual: ``measure`` on runs of ``treated(scenario)`` minus runs of
    ``control(scenario)`` over the same seeds; holds when the 95 % interval of the mean paired
    difference excludes zero on the side ``sign`` gives (+1: treated higher)."""

    number: int
    name: str
    control: Variant
    treated: Variant
    measure: Callable[[pd.DataFrame], float]
    sign: int
    expectation: str
    source: str


ASSERTIVE, RETRENCHED = 0.9, 0.2  # China's assertiveness and US commitment in the counterfactuals

CONTRASTS: tuple[Contrast, ...] = (
    Contrast(5, "sensitive agreements refused: with the refusal rule - without it", Setting(
        "rules.refuse_security_sensitive.enabled", False), AS_SET, _sensitive_refusal, +1,
        "more refused with the rule (the rule, not the package's shares, does the refusing)",
        "[VOA2023]; [Grossman2023]"),
    Contrast(6, "US upgrades: democracy promotion 0.9 - 0", Setting(
        "agents.united_states.democracy_promotion", 0.0), Setting(
        "agents.united_states.democracy_promotion", 0.9), _us_upgrades, -1,
        "fewer upgrades under pressure on the regime", "[Heydarian2022]"),
    Contrast(7, "fall in Russia's arms share since Jan 2022: with the sanctions - without",
             WithoutEvents(EventKind.SANCTIONS), AS_SET, _russia_drop, +1,
             "falls more with the sanctions", "[Heydarian2022]; [SIPRI]"),
    Contrast(9, f"months near equidistance: China's assertiveness {ASSERTIVE} - as set", AS_SET,
             Setting("agents.china.assertiveness", ASSERTIVE),
             lambda r: float((r["hedging_index"].abs() < EQUIDISTANCE_BAND).mean()), -1,
             "fewer with an overly aggressive China", "[SCMP2023]"),
    Contrast(10, f"mean hedging index: China's assertiveness {ASSERTIVE} - as set", AS_SET,
             Setting("agents.china.assertiveness", ASSERTIVE), _mean_index, +1,
             "toward the US under sustained coercion (balancing)", "[Kuik2016]; [LeHongHiep2013]"),
    Contrast(10, f"mean hedging index: US commitment {RETRENCHED} - as set", AS_SET,
             Setting("agents.united_states.commitment", RETRENCHED), _mean_index, -1,
             "toward China when the US retrenches (accommodation)", "[Kuik2016]; [Womack2006]"),
)


def _per_run(scenario: Scenario, seed: int, replicates: int, measure: Callable[[pd.DataFrame], float]
             ) -> np.ndarray:
    series = run_replicates(scenario, seed, replicates)
    return np.array([measure(run.reset_index(drop=True)) for _, run in series.groupby("replicate")])


def contrast_rows(scenario: Scenario, seed: int, replicates: int,
                  contrasts: tuple[Contrast, ...] = CONTRASTS) -> pd.DataFrame:
    """Every contrast: both means, the mean paired difference, its 95 % bootstrap interval, and
    whether it excludes zero on the expected side."""
    rows = []
    for c in contrasts:
        control = _per_run(c.control(scenario), seed, replicates, c.measure)
        treated = _per_run(c.treated(scenario), seed, replicates, c.measure)
        both = ~(np.isnan(control) | np.isnan(treated))  # runs where the measure exists in both
        diff = (treated - control)[both]
        if len(diff) == 0:
            rows.append(_contrast_row(c, np.nan, np.nan, np.nan, 0, None))
            continue
        lo, hi = (float(v[0]) for v in bootstrap_interval(diff[:, None]))
        holds = bool(lo > 0) if c.sign > 0 else bool(hi < 0)
        rows.append(_contrast_row(c, float(diff.mean()), lo, hi, int(both.sum()), holds))
    return pd.DataFrame(rows)


def _contrast_row(c: Contrast, diff: float, lo: float, hi: float, runs: int, holds: bool | None) -> dict:
    return {"pattern": c.number, "measure": c.name, "kind": Status.TEST.value, "mean": diff, "p05": lo,
            "p95": hi, "interval": "95% CI of the paired difference", "runs": runs,
            "expected": c.expectation, "holds": holds, "source": c.source}


def assurance_differences(run: pd.DataFrame) -> np.ndarray:
    """One run's matched-months differences (pattern 4): for each upgrade with no other upgrade in
    either window, assurance acts per month in the upgrade month and the next ``ASSURANCE_WINDOW``
    minus the same number of months just before it."""
    span, diffs = ASSURANCE_WINDOW + 1, []
    acts = run["assurance_acts"].to_numpy(dtype=float)
    ups = np.flatnonzero((_others(run, "tier_").diff() > 0).any(axis=1).to_numpy())
    for u in ups:
        alone = not any(0 < abs(v - u) < span for v in ups)
        if u >= span and u + span <= len(acts) and alone:
            diffs.append(acts[u:u + span].mean() - acts[u - span:u].mean())
    return np.array(diffs, dtype=float)


def assurance_contrast(series: pd.DataFrame) -> dict:
    """Pattern 4 against matched months: in a run, assurance acts toward China in the upgrade month
    and the next ``ASSURANCE_WINDOW`` minus the same number of months just before the upgrade (only
    upgrades with no other upgrade in either window). A base rate, not a ratio chance meets: any
    four-month window of the replay holds some assurance act."""
    diff = np.concatenate([assurance_differences(run.reset_index(drop=True))
                           for _, run in series.groupby("replicate")])
    c = Contrast(4, "assurance acts in the 4 months from an upgrade - the 4 before", AS_SET, AS_SET,
                 lambda r: 0.0, +1, "more (assurance follows deepening)", "[Diplomat2023]; [VOA2023]")
    return paired_row(c, diff)


def paired_row(c: Contrast, diff: np.ndarray) -> dict:
    """The test row of a contrast measured within runs: the mean of the paired differences ``diff``
    and its 95 % bootstrap interval; it holds when the interval lies above zero (no verdict with
    fewer than two differences)."""
    if len(diff) < 2:
        return _contrast_row(c, np.nan, np.nan, np.nan, len(diff), None)
    lo, hi = (float(v[0]) for v in bootstrap_interval(diff[:, None]))
    return _contrast_row(c, float(diff.mean()), lo, hi, len(diff), bool(lo > 0))


# ------------------------------------------------------------------------------------------ observed
def median_crisis_length(run: pd.DataFrame) -> float:
    """One run's median crisis length in months (NaN without a crisis)."""
    lengths = crisis_lengths(run)
    return float(np.median(lengths)) if len(lengths) else np.nan


def observed_within(scenario: Scenario, kind: Kind) -> pd.DataFrame:
    """The observed table's rows of ``kind`` that start within the scenario's months."""
    obs = load_observed()
    first, last = str(scenario.start), str(scenario.end)
    return obs[(obs["kind"] == kind) & obs["start"].map(lambda m: first <= str(m) <= last)]


def observed_crisis_median(scenario: Scenario) -> float | None:
    """The observed median length of the crises within the scenario's months (None: no crisis)."""
    crises = observed_within(scenario, Kind.CRISIS)
    if not len(crises):
        return None
    return float(np.median(crisis_months(crises)))


def observed_inside(values: np.ndarray, observed: float) -> tuple[float, float, bool]:
    """The runs' 5-95 % of a measure (e.g. their median crisis lengths) and whether the observed
    value lies inside."""
    lo, hi = np.percentile(values, [5, 95])
    return float(lo), float(hi), bool(lo <= observed <= hi)


@dataclass(frozen=True)
class ObservedUpgrade:
    """An observed partnership upgrade the tiers can show: ``actor`` reaching ``tier`` at ``date``."""

    actor: str
    tier: int
    date: Any  # sim.calendar.Month

    @property
    def label(self) -> str:
        return (f"{self.actor} reaches tier {self.tier} within {UPGRADE_TOLERANCE} months of {self.date} "
                "(share of runs)")

    def landed(self, run: pd.DataFrame) -> float:
        """1.0 when the run's first month at ``tier`` or above lies within the tolerance, else 0.0."""
        near = (str(self.date.plus(-UPGRADE_TOLERANCE)), str(self.date.plus(UPGRADE_TOLERANCE)))
        first = run.loc[run[f"tier_{self.actor}"] >= self.tier, "date"].head(1)
        return float(any(near[0] <= d <= near[1] for d in first))


def observed_upgrades(scenario: Scenario, run: pd.DataFrame) -> list[ObservedUpgrade]:
    """The observed upgrades within the scenario's months that its tiers can show (a partner of
    ``run``, not China, to a tier above the one it starts at)."""
    out = []
    for _, up in observed_within(scenario, Kind.UPGRADE).iterrows():
        column = f"tier_{up['actor']}"
        if column not in run or up["actor"] == "china":
            continue
        if up["value"] <= run[column].iloc[0]:
            continue  # a deepening within the starting tier (Japan 2014): nothing the tiers can show
        out.append(ObservedUpgrade(up["actor"], int(up["value"]), up["start"]))
    return out


def observed_rows(series: pd.DataFrame, scenario: Scenario) -> list[dict]:
    """Crisis lengths and upgrade dates against the observed table, over the scenario's months."""
    runs = [run.reset_index(drop=True) for _, run in series.groupby("replicate")]
    rows = []
    observed_median = observed_crisis_median(scenario)
    if observed_median is not None:
        medians = np.array([median_crisis_length(r) for r in runs])
        medians = medians[~np.isnan(medians)]
        lo, hi, holds = observed_inside(medians, observed_median)
        rows.append({"pattern": 1, "measure": f"median crisis length, months (observed {observed_median:g})",
                     "kind": Status.TEST.value, "mean": float(medians.mean()), "p05": lo, "p95": hi,
                     "interval": "5-95% of runs", "runs": len(medians),
                     "expected": "the observed median inside the runs' 5-95%",
                     "holds": holds, "source": "observed table"})
        crises = observed_within(scenario, Kind.CRISIS)
        concessions = observed_within(scenario, Kind.CONCESSION)
        rows.append(_concession_row(runs, concessions, len(crises)))
        rows.extend(who_stepped_down_rows(runs, crises, set(concessions["measure"])))
    for up in observed_upgrades(scenario, runs[0]):
        hits = [up.landed(r) for r in runs]
        rows.append({"pattern": 11, "measure": up.label,
                     "kind": Status.REPORTED.value, "mean": float(np.mean(hits)), "p05": np.nan,
                     "p95": np.nan, "interval": "", "runs": len(hits), "expected": "reported",
                     "holds": None, "source": "observed table"})
    return rows


def concession_share(run: pd.DataFrame) -> float:
    """The share of one run's crisis endings that were Vietnam conceding (NaN: no crisis ended)."""
    conceded = run["ended_by_vietnam"].sum()
    ended = conceded + run["ended_by_china"].sum()
    return float(conceded / ended) if ended else np.nan


def concession_label(concessions: int, crises: int) -> str:
    return f"share of crises Vietnam ended by conceding (observed {concessions} of {crises})"


def _concession_row(runs: list[pd.DataFrame], concessions: pd.DataFrame, crises: int) -> dict:
    """Who stepped down: the share of a run's crisis endings that were Vietnam conceding, against the
    observed share (the 2017 and 2018 Repsol halts, [Hayton2017]; [Hayton2018])."""
    observed_share = len(concessions) / crises
    shares = np.array([concession_share(r) for r in runs])
    shares = shares[~np.isnan(shares)]
    lo, hi, holds = observed_inside(shares, observed_share) if len(shares) else (np.nan, np.nan, None)
    return {"pattern": 1, "measure": concession_label(len(concessions), crises),
            "kind": Status.TEST.value, "mean": float(shares.mean()) if len(shares) else np.nan,
            "p05": lo, "p95": hi, "interval": "5-95% of runs", "runs": len(shares),
            "expected": "the observed share inside the runs' 5-95%", "holds": holds,
            "source": "observed table"}


def conceded_at(run: pd.DataFrame, start: str) -> float:
    """Whether Vietnam ended by conceding the crisis under way in month ``start`` of one run (opened
    that month or still open from before): 1.0 conceded, 0.0 China stepped down, NaN when no crisis
    was under way that month or it never ended."""
    at = np.flatnonzero(run["date"].astype(str).to_numpy() == start)
    if not len(at):
        return np.nan
    i = int(at[0])
    count = run["crisis_count"].to_numpy()
    if not (count[i] > (count[i - 1] if i else 0) or (i and run["crisis"].iloc[i - 1])):
        return np.nan
    endings = (run["ended_by_vietnam"] + run["ended_by_china"]).to_numpy()[i:]
    ended = np.flatnonzero(endings > 0)
    return float(run["ended_by_vietnam"].iloc[i + ended[0]] > 0) if len(ended) else np.nan


def who_stepped_down_rows(runs: list[pd.DataFrame], crises: pd.DataFrame, conceded: set[str]) -> list[dict]:
    """Which crises Vietnam conceded, crisis by crisis: for each observed crisis (rows of
    ``crises``; ``conceded``: the measures of those Vietnam conceded), the share of runs in which
    Vietnam conceded the crisis under way in its first month (reported); and one test, that the
    crises Vietnam conceded in history (the Repsol halts, [Hayton2017]; [Hayton2018]) are conceded
    in more runs than those it stood firm in (HD-981, Haiyang Dizhi 8...): the paired difference
    within each run that has both kinds, with its 95 % bootstrap interval."""
    rows, by_history = [], {True: [], False: []}
    for measure, start in zip(crises["measure"], crises["start"], strict=True):
        share = np.array([conceded_at(r, str(start)) for r in runs])
        by_history[measure in conceded].append(share)
        seen = share[~np.isnan(share)]
        history = "conceded" if measure in conceded else "stood firm"
        rows.append({"pattern": 1, "measure": f"Vietnam concedes {measure} ({start}; history: {history}; "
                                                f"{len(seen)} runs in a crisis then)",
                     "kind": Status.REPORTED.value, "mean": float(seen.mean()) if len(seen) else np.nan,
                     "p05": np.nan, "p95": np.nan, "interval": "share of runs with a crisis that month",
                     "runs": len(seen), "expected": "reported", "holds": None,
                     "source": "observed table"})
    if by_history[True] and by_history[False]:
        with np.errstate(all="ignore"):
            diff = (np.nanmean(np.stack(by_history[True]), axis=0)
                    - np.nanmean(np.stack(by_history[False]), axis=0))
        rows.append(concession_contrast(diff[~np.isnan(diff)]))
    return rows


def concession_contrast(diff: np.ndarray) -> dict:
    """The test row of :func:`who_stepped_down_rows` from its paired differences."""
    c = Contrast(1, "crises conceded in history - crises stood firm in: runs Vietnam concedes", AS_SET,
                 AS_SET, lambda r: 0.0, +1, "more (it concedes where it conceded: the Repsol halts)",
                 "observed table; [Hayton2017]; [Hayton2018]")
    return paired_row(c, diff)


def validate(scenario: Scenario, seed: int, replicates: int) -> pd.DataFrame:
    """The whole report: patterns, contrasts and comparisons with the observed table."""
    series = run_replicates(scenario, seed, replicates)
    table = report(series, scenario)
    extra = pd.DataFrame([assurance_contrast(series), *observed_rows(series, scenario)])
    return pd.concat([table, contrast_rows(scenario, seed, replicates), extra], ignore_index=True)


def all_hold(table: pd.DataFrame) -> bool:
    """Whether every test that could be judged holds (what ``hedgesim validate`` exits on)."""
    tests = table[table["kind"] == Status.TEST.value]["holds"].dropna()
    return bool(tests.astype(bool).all())


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


def format_report(table: pd.DataFrame) -> str:
    lines = [f"{'#':>2}  {'measure':<66} {'value':>8} {'interval':>17}  {'holds':<5}  expected"]
    for _, r in table.iterrows():
        interval = "" if pd.isna(r["p05"]) else f"[{r['p05']:.2f}, {r['p95']:.2f}]"
        holds = {True: "yes", False: "NO", None: "n/a"}.get(r["holds"], "n/a")
        if r["kind"] == Status.CONSTRUCTION.value:
            holds = "(c)"
        elif r["kind"] == Status.REPORTED.value:
            holds = ""
        lines.append(f"{int(r['pattern']):>2}  {r['measure']:<66} {r['mean']:>8.2f} {interval:>17}  "
                     f"{holds:<5}  {r['expected']}")
    lines.append("\nvalue: mean over runs (interval 5-95% of runs), or for a contrast (\" - \") the mean "
                 "paired difference over the same seeds (95% bootstrap interval); (c): true by construction, "
                 "not a test")
    return "\n".join(lines)
