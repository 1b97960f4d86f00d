"""The model: determinism, every bundled scenario runs, and the series has its declared columns."""

from __future__ import annotations

import numpy as np
import pytest

from sim import HedgingModel, load_scenario
from sim.blocks import coefficient_field, vary
from sim.coefficients import _bounds
from sim.scenario.loader import scenario_paths, scenario_value
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


# ------------------------------------------------------------------------------------------ mixed blocks
def _coefficient_draws(scenario, rows: int, seed: int) -> dict[str, np.ndarray]:
    """Every coefficient of ``scenario`` drawn anew for each of ``rows`` runs, inside its range
    (all ~360 at once: a run in a block differs from its neighbours in every coefficient)."""
    rng = np.random.default_rng(seed)
    out = {}
    for path in scenario_paths(scenario):
        info = coefficient_field(scenario, path)
        if info is None:
            continue
        low, high = _bounds(info)
        value = float(np.asarray(scenario_value(scenario, path)))
        low = value - 1 if low is None else low
        high = value + 1 if high is None else high
        out[path] = rng.uniform(low, high, rows)
    return out


@pytest.fixture(scope="module")
def with_india(tmp_path_factory):
    path = tmp_path_factory.mktemp("india") / "india.yaml"
    path.write_text("extends: four_nos_relaxed\nname: relaxed_with_india\nmonths: 60\n"
                    "agents:\n  india: {type: partner, tier: 1}\n")
    return load_scenario(path)


@pytest.mark.parametrize("name", ["historical_2013_2024", "four_nos_relaxed", "with_india"])
def test_a_run_in_a_mixed_block_is_the_same_run_alone(name, request):
    """Runs of different design points share a block (every coefficient per replicate), across
    rules switched off (four_nos_relaxed) and an added partner: each equals the same run alone."""
    scenario = request.getfixturevalue(name) if name == "with_india" else load_scenario(name)
    varying = _coefficient_draws(scenario, 3, seed=len(name))
    seeds = [5, 901, 77]
    together = HedgingModel(scenario, seeds=seeds, varying=varying).run()
    points = vary(scenario, varying)
    finals = together.series_values()[-1]
    assert len({tuple(row) for row in finals}) == 3, "the design points give different runs"
    for r, (point, seed) in enumerate(zip(points, seeds, strict=True)):
        alone = HedgingModel(point, seed=seed).run()
        assert _replicate(together.series(), r).equals(alone.series()), f"run {r}"
        assert _replicate(together.actions(), r).equals(alone.actions()), f"run {r}"
        assert _replicate(together.events(), r).equals(alone.events()), f"run {r}"
    listed = HedgingModel(points[::-1], seeds=seeds[::-1]).run()  # one scenario per replicate
    np.testing.assert_array_equal(listed.series_values()[:, 2], together.series_values()[:, 0])


def test_runs_that_differ_in_structure_cannot_share_a_block(with_india):
    plain = load_scenario("four_nos_relaxed")
    with pytest.raises(ValueError, match="structure"):
        HedgingModel([plain, with_india], seeds=[1, 2])
    with pytest.raises(ValueError, match="not a coefficient"):
        HedgingModel(plain, seeds=[1, 2], varying={"rules.no_force.enabled": np.array([0.0, 1.0])})


def test_recording_fewer_series_is_the_same_run():
    """``series=`` keeps only the named monthly columns, in their declared order: each equals the
    same column of a run that records everything, bit for bit (recording only reads the world)."""
    full = HedgingModel("historical_2013_2024", replicates=4, seed=9, record_actions=False).run()
    few = HedgingModel("historical_2013_2024", replicates=4, seed=9, record_actions=False,
                       series=["tension_china", "crisis_count", "hedging_index"]).run()
    assert [c.name for c in few.columns] == ["hedging_index", "tension_china", "crisis_count"]
    a, b = full.series(), few.series()
    assert list(b.columns) == ["replicate", "step", "date", "hedging_index", "tension_china", "crisis_count"]
    assert a[list(b.columns)].equals(b)
    assert few.series_values().shape == (144, 4, 3)
    one = HedgingModel("historical_2013_2024", seed=9, series="tension_china")
    assert [c.name for c in one.columns] == ["tension_china"], "one name, not its letters"
    none = HedgingModel("historical_2013_2024", seed=9, series=[]).run(2)
    assert list(none.series().columns) == ["step", "date"], "nothing recorded: the months alone"


def test_recording_an_unknown_series_is_refused_naming_it():
    with pytest.raises(ValueError, match="no monthly series 'hedging_indx'; there are: hedging_index"):
        HedgingModel("historical_2013_2024", seed=1, series=["hedging_indx"])
