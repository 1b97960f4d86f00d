"""Pattern-oriented validation: every pattern is a test that could fail (a per-run expectation, a
counterfactual over the same seeds, or a comparison with the observed table) or is labelled as true
by construction; the counterfactuals break the patterns they should."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.validation import (
    CONTRASTS,
    Contrast,
    Status,
    _concession_row,
    all_hold,
    assurance_contrast,
    conceded_at,
    contrast_rows,
    crisis_lengths,
    report,
    run_replicates,
    validate,
)

HISTORICAL = load_scenario("historical_2013_2024")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return validate(HISTORICAL, seed=5, replicates=40).set_index("measure")


def test_every_row_is_a_judged_test_or_says_why_not(table):
    tests = table[table["kind"] == Status.TEST.value]
    assert tests["holds"].notna().all(), "a test row without a verdict"
    construction = table[table["kind"] == Status.CONSTRUCTION.value]
    assert (construction["expected"].str.contains(":")).all(), "by construction: say why"
    assert set(table["kind"]) <= {s.value for s in Status}


# The historical replay at seed 5: the tests the docs (docs/validation.md) report as holding. A
# pattern that stops holding fails here; the ones reported as failing are listed there.
HOLDING = ["runs with interstate use of force",
           "longest crisis (months)",
           "median crisis length, months (observed 1.5)",
           "share of crises Vietnam ended by conceding (observed 2 of 6)",
           "crises conceded in history - crises stood firm in: runs Vietnam concedes",
           "fall in Russia's arms share since Jan 2022: with the sanctions - without",
           "sensitive agreements refused: with the refusal rule - without it",
           "US upgrades: democracy promotion 0.9 - 0"]


@pytest.mark.parametrize("measure", HOLDING)
def test_the_replay_keeps_the_patterns_it_reproduces(table, measure):
    assert table.loc[measure, "holds"], table.loc[measure].to_string()


def test_coercion_and_retrenchment_move_vietnam_in_opposite_directions(table):
    """Kuik: sustained coercion toward balancing, US retrenchment toward accommodation."""
    coercion = table.loc["mean hedging index: China's assertiveness 0.9 - as set"]
    retrenchment = table.loc["mean hedging index: US commitment 0.2 - as set"]
    assert coercion["p05"] > 0 > retrenchment["p95"]


def test_a_contrast_holds_only_when_the_interval_excludes_zero_on_the_expected_side():
    """A contrast of a scenario against itself differs by exactly nothing: never 'holds'."""
    same = Contrast(0, "identity", lambda s: s, lambda s: s, lambda r: float(r["tension_china"].mean()),
                    +1, "higher", "none")
    row = contrast_rows(HISTORICAL.model_copy(update={"months": 24}), seed=3, replicates=8, contrasts=(same,))
    assert row.loc[0, "mean"] == 0 and not row.loc[0, "holds"]


def test_assurance_is_compared_with_the_months_before_each_upgrade():
    """Hand-built: one run, an upgrade in month 6, two assurance acts after it and none before."""
    months = 16
    run = pd.DataFrame({"replicate": 0, "date": [f"2013-{m:02d}" if m <= 12 else f"2014-{m - 12:02d}"
                                                   for m in range(1, months + 1)],
                        "assurance_acts": 0, "tier_china": 3, "tier_japan": 2})
    run.loc[6:, "tier_japan"] = 3
    run.loc[[6, 8], "assurance_acts"] = 1
    twice = pd.concat([run, run.assign(replicate=1)])
    row = assurance_contrast(twice)
    assert row["mean"] == pytest.approx(0.5) and row["runs"] == 2


def test_the_concession_share_is_vietnam_s_endings_over_all_endings():
    """Hand-built: run 0 ends 3 crises, one by conceding; run 1 ends 1, by China stepping down; run 2
    has no crisis (no share). Observed: 2 concessions of 6 crises (1/3), inside [0, 1/3]."""
    runs = [pd.DataFrame({"ended_by_vietnam": [0, 1, 0, 0], "ended_by_china": [1, 0, 0, 1]}),
            pd.DataFrame({"ended_by_vietnam": [0, 0, 0, 0], "ended_by_china": [0, 1, 0, 0]}),
            pd.DataFrame({"ended_by_vietnam": [0] * 4, "ended_by_china": [0] * 4})]
    row = _concession_row(runs, pd.DataFrame(index=range(2)), crises=6)
    assert row["runs"] == 2 and row["mean"] == pytest.approx(1 / 6)
    assert row["p95"] == pytest.approx(1 / 3 * 0.95) and not row["holds"]  # 1/3 just above the 95th
    assert _concession_row(runs[:1] * 3, pd.DataFrame(index=range(2)), crises=6)["holds"]


def _months(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    dates = [f"2017-{m:02d}" for m in range(1, n + 1)]
    return pd.DataFrame({"date": dates, **columns})


def test_conceded_at_follows_the_crisis_under_way_in_that_month_to_its_end():
    """Hand-built months 2017-01..05: a crisis opens in Feb and China steps down in Apr; another opens
    and is conceded in May, the month it opens (so ``crisis`` never shows it)."""
    run = _months(crisis_count=[0, 1, 1, 1, 2], crisis=[0, 1, 1, 0, 0],
                  ended_by_china=[0, 0, 0, 1, 0], ended_by_vietnam=[0, 0, 0, 0, 1])
    assert conceded_at(run, "2017-02") == 0.0  # opened that month, China stepped down
    assert conceded_at(run, "2017-03") == 0.0  # still open from before
    assert conceded_at(run, "2017-05") == 1.0  # opened and conceded the same month
    assert np.isnan(conceded_at(run, "2017-01"))  # no crisis under way
    assert np.isnan(conceded_at(run, "2016-12"))  # outside the run


def test_crisis_lengths_count_first_to_last_month_of_presence_as_the_observed_table():
    """Hand-built: a crisis opens in month 1, holds through month 2 and China withdraws as month 3
    opens (2 months: 1 and 2); another opens in month 4 and is conceded that month (1 month, though
    no month-end shows it); a third opens in month 5 and China withdraws at once (1 month); a fourth
    opens in month 6, Vietnam concedes in month 7 after China held (2 months); a fifth opens in
    month 8 and is still open at the end (2 months)."""
    run = pd.DataFrame({"crisis":           [0, 1, 1, 0, 0, 0, 1, 0, 1, 1],
                        "crisis_count":     [0, 1, 1, 1, 2, 3, 4, 4, 5, 5],
                        "ended_by_china":   [0, 0, 0, 1, 0, 1, 0, 0, 0, 0],
                        "ended_by_vietnam": [0, 0, 0, 0, 1, 0, 0, 1, 0, 0]})
    assert crisis_lengths(run).tolist() == [2, 1, 1, 2, 2]


def test_a_crisis_opened_and_withdrawn_in_the_runs_first_month_lasts_one_month():
    """The run starts with no crisis, so a count in its first month is a crisis opened there."""
    run = pd.DataFrame({"crisis": [0, 0], "crisis_count": [1, 1], "ended_by_china": [1, 0],
                        "ended_by_vietnam": [0, 0]})
    assert crisis_lengths(run).tolist() == [1]


def test_crises_conceded_in_history_must_be_conceded_in_more_runs(table):
    """The test can fail: the model conceding every crisis alike gives no difference."""
    row = table.loc["crises conceded in history - crises stood firm in: runs Vietnam concedes"]
    assert row["kind"] == Status.TEST.value and row["holds"] in (True, False)
    assert table.index.str.startswith("Vietnam concedes hd981_oil_rig (2014-05; history: stood firm").any()


def test_relaxing_the_four_nos_breaks_pattern_two():
    runs = run_replicates(load_scenario("four_nos_relaxed"), seed=5, replicates=30)
    table = report(runs).set_index("measure")
    assert table.loc["Four-Nos violations per run", "mean"] > 0
    assert not table.loc["Four-Nos violations per run", "holds"]


def test_every_contrast_names_its_source_and_direction():
    for c in CONTRASTS:
        assert c.sign in (-1, 1) and c.source and " - " in c.name


def test_validate_exits_non_zero_exactly_when_a_test_fails(tmp_path, table):
    done = subprocess.run([sys.executable, "-m", "sim.cli", "validate", "--replicates", "20",
                           "--out", str(tmp_path / "v.csv")], capture_output=True, text=True)
    written = pd.read_csv(tmp_path / "v.csv")
    assert (tmp_path / "v.csv").read_text().startswith("pattern,measure")
    tests = written[written["kind"] == Status.TEST.value]
    assert done.returncode == (0 if tests["holds"].astype(bool).all() else 1), done.stdout + done.stderr
    assert done.returncode == (0 if all_hold(written) else 1)
    broken = subprocess.run([sys.executable, "-m", "sim.cli", "validate", "four_nos_relaxed",
                             "--replicates", "20"], capture_output=True, text=True)
    assert broken.returncode == 1 and "NO" in broken.stdout
    assert np.isfinite(written["mean"].dropna()).all()
