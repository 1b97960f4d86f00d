"""Policy rules: the registry, the Four Nos as hard constraints and their counterfactual, and the
rules that reweight choices leaving their id in the action log."""

from __future__ import annotations

import pytest

from sim import HedgingModel, load_scenario, with_overrides
from sim.actions import FORBIDDEN_ACTIONS
from sim.rules import RULES, groups
from sim.scenario.schema import Country

FORBIDDEN = {a.value for a in FORBIDDEN_ACTIONS}
FOUR_NOS = ["no_alliance", "no_foreign_bases", "no_siding_against_third", "no_force"]


def test_every_rule_is_registered_with_id_doc_source_and_whom_it_binds():
    countries = {c.value for c in Country}
    for rid, cls in RULES.items():
        assert cls.id == rid
        assert (cls.__doc__ or "").strip(), rid
        assert cls.source.strip(), rid
        assert cls.binds in countries, rid
    assert sorted(groups()["four_nos"]) == sorted(FOUR_NOS), "each of the Four Nos is its own rule"
    assert {"one_depend", "china_first", "not_against_third_country", "refuse_security_sensitive",
            "regime_security", "cooperate_and_struggle", "china_red_lines", "us_sanctions_pressure"} <= set(RULES)


@pytest.mark.parametrize("name", ["south_china_sea_flareup", "historical_2013_2024"])
def test_with_the_four_nos_in_force_no_forbidden_action_is_ever_taken(name):
    model = HedgingModel(load_scenario(name), seed=3, replicates=40).run()
    vietnam = model.actions().query("actor == 'vietnam'")
    assert not set(vietnam["action"]) & FORBIDDEN
    assert model.series()["four_nos_violations"].sum() == 0


def test_with_the_four_nos_off_the_counterfactual_produces_them():
    model = HedgingModel(load_scenario("four_nos_relaxed"), seed=3, replicates=40).run()
    taken = set(model.actions().query("actor == 'vietnam'")["action"]) & FORBIDDEN
    assert taken, "lifting the Four Nos makes alliances, bases, siding or force possible"
    assert model.series()["four_nos_violations"].sum() > 0


@pytest.mark.parametrize("rule", FOUR_NOS)
def test_one_no_switched_off_lifts_only_its_own_ban(rule):
    scenario = with_overrides(load_scenario("four_nos_relaxed"),
                              {f"rules.{r}.enabled": r == rule for r in FOUR_NOS})
    banned = {RULES[rule].forbidden.value}
    actions = set(HedgingModel(scenario, seed=5, replicates=40).run().actions()
                  .query("actor == 'vietnam'")["action"])
    assert not actions & banned, f"{rule} in force bans {banned}"


def test_china_first_tier_ordering_holds_every_month():
    series = HedgingModel(load_scenario("historical_2013_2024"), seed=2, replicates=30,
                          record_actions=False).run().series()
    others = series[["tier_united_states", "tier_japan", "tier_russia"]].max(axis=1)
    assert (series["tier_china"] >= others).all()


@pytest.mark.parametrize("rule", ["china_first", "cooperate_and_struggle", "not_against_third_country"])
def test_a_reweighting_rule_is_named_in_the_log_and_changes_behaviour_when_off(rule):
    scenario = load_scenario("south_china_sea_flareup")
    on = HedgingModel(scenario, seed=1, replicates=20).run()
    off = HedgingModel(with_overrides(scenario, {f"rules.{rule}.enabled": False}), seed=1, replicates=20).run()
    log_on, log_off = on.actions(), off.actions()
    assert log_on["rules"].str.contains(rule).any(), f"{rule} shaped some choice"
    assert not log_off["rules"].str.contains(rule).any()
    mix_on = log_on.query("actor == 'vietnam'")["action"].value_counts(normalize=True)
    mix_off = log_off.query("actor == 'vietnam'")["action"].value_counts(normalize=True)
    assert (mix_on - mix_off).abs().fillna(1).max() > 0.01, "switching it off changes Vietnam's choices"
