"""The model: determinism, every bundled scenario runs, and the series has its declared columns."""

from __future__ import annotations

import numpy as np
import pytest

from sim import HedgingModel, load_scenario
from tests.conftest import SCENARIOS

REQUIRED = ["step", "date", "hedging_index", "tension_china", "crisis", "escalation", "use_of_force",
            "threat_china", "tier_china", "tier_united_states", "tier_japan", "tier_russia",
            "trust_china", "trust_united_states", "trust_japan", "trust_russia", "russia_arms_share",
            "assurance_acts", "four_nos_violations", "china_coercion"]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_bundled_scenario_loads_and_runs(path):
    scenario = load_scenario(path)
    model = HedgingModel(scenario, seed=3).run()
    series = model.series()
    assert len(series) == scenario.months
    assert set(REQUIRED) <= set(series.columns)
    assert series["date"].iloc[0] == str(scenario.start)
    assert series["date"].iloc[-1] == str(scenario.end)
    assert not series[REQUIRED[2:]].isna().any().any()
    assert not model.running


def test_same_seed_same_run_different_seed_differs():
    scenario = load_scenario("historical_2013_2024")
    a = HedgingModel(scenario, seed=7).run()
    b = HedgingModel(scenario, seed=7).run()
    c = HedgingModel(scenario, seed=8).run()
    assert a.series().equals(b.series())
    assert a.actions().equals(b.actions())
    assert not a.series().equals(c.series())


def test_step_by_step_matches_run():
    scenario = load_scenario("south_china_sea_flareup")
    stepped = HedgingModel(scenario, seed=5)
    for _ in range(scenario.months):
        stepped.step()
    assert stepped.series().equals(HedgingModel(scenario, seed=5).run().series())


def test_china_tier_never_below_another_partner_and_never_downgraded():
    scenario = load_scenario("historical_2013_2024")
    for seed in range(15):
        s = HedgingModel(scenario, seed=seed).run().series()
        others = s[["tier_united_states", "tier_japan", "tier_russia"]].max(axis=1)
        assert (s["tier_china"] >= others).all(), f"seed {seed}"
        assert (np.diff(s["tier_china"]) >= 0).all(), f"seed {seed}"


def test_many_replicates_advance_in_lockstep_through_the_same_code():
    scenario = load_scenario("historical_2013_2024")
    model = HedgingModel(scenario, seed=11, replicates=5).run()
    series = model.series()
    assert len(series) == 5 * scenario.months
    assert sorted(series["replicate"].unique()) == list(range(5))
    finals = series[series["step"] == scenario.months]
    assert finals["hedging_index"].nunique() > 1, "replicates should differ"
    assert (finals["use_of_force"] == 0).all()
    assert set(model.actions()["replicate"]) == set(range(5))
    again = HedgingModel(scenario, seed=11, replicates=5).run().series()
    assert series.equals(again)


@pytest.mark.parametrize("name", ["historical_2013_2024", "four_nos_relaxed"])
def test_a_replicate_in_lockstep_is_the_same_run_as_its_seed_alone(name):
    """One stream per replicate: grouping runs into lockstep chunks never changes a run."""
    scenario = load_scenario(name)
    seeds = [5, 901, 77, 12345]
    together = HedgingModel(scenario, seeds=seeds).run()
    shuffled = HedgingModel(scenario, seeds=[77, 5]).run().series()
    for r, seed in enumerate(seeds):
        alone = HedgingModel(scenario, seed=seed).run()
        assert _replicate(together.series(), r).equals(alone.series()), f"seed {seed}"
        assert _replicate(together.actions(), r).equals(alone.actions()), f"seed {seed}"
    first = _replicate(shuffled, 1)
    assert first.equals(HedgingModel(scenario, seed=5).run().series())


def _replicate(table, r):
    return table[table["replicate"] == r].drop(columns="replicate").reset_index(drop=True)
