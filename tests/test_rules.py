"""Policy rules: the registry, and what each rule does to behaviour.

Behaviour is measured over many replicates advanced in lockstep (one model, ``replicates=R``), so a
claim about "many seeds" costs about one run. Comparisons of a rule on and off use the same seed and
aggregate over the replicates, so they test a direction, not one seed's outcome.
"""

from __future__ import annotations

import inspect
from functools import cache

import pandas as pd
import pytest

from sim import HedgingModel, load_scenario, with_overrides
from sim.actions import FORBIDDEN_ACTIONS, Action
from sim.rules import RULES, Rule, RuleParams, get_rule, groups
from sim.rules.base import suggest
from sim.scenario.schema import Country

FOUR_NOS = {"no_alliance": Action.FORM_ALLIANCE, "no_foreign_bases": Action.HOST_FOREIGN_BASE,
            "no_siding_against_third": Action.SIDE_AGAINST_THIRD, "no_force": Action.USE_FORCE}
FORBIDDEN = {a.value for a in FORBIDDEN_ACTIONS}
VIETNAM_RULES = [rid for rid, cls in RULES.items() if cls.binds == Country.VIETNAM.value and not cls.group]
REPLICATES = 40


@cache
def run(name: str, overrides: tuple[tuple[str, object], ...] = (), seed: int = 3,
        replicates: int = REPLICATES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Series and actions of ``replicates`` lockstep runs of a bundled scenario (cached)."""
    scenario = load_scenario(name)
    if overrides:
        scenario = with_overrides(scenario, dict(overrides))
    model = HedgingModel(scenario, seed=seed, replicates=replicates).run()
    return model.series(), model.actions()


def vietnam_moves(actions: pd.DataFrame) -> pd.DataFrame:
    return actions[actions["actor"] == Country.VIETNAM.value]


def rule_ids_logged(actions: pd.DataFrame) -> set[str]:
    return set(vietnam_moves(actions)["rules"].str.split(";").explode()) - {""}


# ------------------------------------------------------------------------------------ registry
@pytest.mark.parametrize("rule_id", list(RULES))
def test_every_rule_has_id_docstring_source_params_and_binds_a_known_state(rule_id):
    cls = RULES[rule_id]
    assert issubclass(cls, Rule) and cls.id == rule_id
    assert inspect.getdoc(cls) and cls.summary(), "the docstring says what the rule encodes"
    assert cls.source.strip(), "every rule cites its source"
    assert cls.binds in {c.value for c in Country} | {"partners"}
    assert issubclass(cls.Params, RuleParams)
    assert next(iter(cls.Params.model_fields)) == "enabled"
    assert cls.forbid is not Rule.forbid or cls.reweight is not Rule.reweight \
        or cls.agreement_bonus is not Rule.agreement_bonus, "a rule changes some decision"


def test_the_four_nos_are_four_separate_rules_in_one_group():
    assert groups()["four_nos"] == list(FOUR_NOS)
    for rid, action in FOUR_NOS.items():
        assert RULES[rid].group == "four_nos"
        assert RULES[rid].forbidden is action
    assert set(FOUR_NOS.values()) == set(FORBIDDEN_ACTIONS), "each forbidden action has its rule"


def test_the_design_cards_rules_are_registered():
    required = {"one_depend", "china_first", "not_against_third_country", "refuse_security_sensitive",
                "regime_security", "cooperate_and_struggle", "china_red_lines", "us_sanctions_pressure"}
    assert required <= set(RULES)


def test_unknown_rule_id_names_the_nearest():
    with pytest.raises(KeyError, match="did you mean 'one_depend'"):
        get_rule("one_dpend")
    assert get_rule("no_force") is RULES["no_force"]
    assert suggest("china_frist", list(RULES)) == " (did you mean 'china_first'?)"
    assert suggest("zzz", ["b", "a"]) == " (valid: a, b)"


# ------------------------------------------------------------------------------------ Four Nos
@pytest.mark.parametrize("name", ["south_china_sea_flareup", "historical_2013_2024"])
def test_with_the_four_nos_on_no_forbidden_action_is_ever_chosen(name):
    for seed in (1, 2):
        series, actions = run(name, seed=seed)
        assert not actions["action"].isin(FORBIDDEN).any()
        assert series["four_nos_violations"].sum() == 0


def test_in_the_flareup_the_four_nos_actually_bind():
    # Without this, "no forbidden action" could hold only because none was ever attractive.
    series, actions = run("south_china_sea_flareup", seed=1)
    assert series["four_nos_prevented"].sum() > 0
    assert rule_ids_logged(actions) & set(FOUR_NOS)


def test_with_the_four_nos_off_the_counterfactual_produces_forbidden_actions():
    series, actions = run("four_nos_relaxed", seed=1)
    moves = vietnam_moves(actions)
    forbidden_moves = moves[moves["action"].isin(FORBIDDEN)]
    assert len(forbidden_moves) > 0
    assert series["four_nos_violations"].sum() == len(forbidden_moves), "the series counts the log"
    assert not rule_ids_logged(actions) & set(FOUR_NOS), "switched-off rules shape nothing"


@pytest.mark.parametrize("rule_id", ["no_alliance", "no_foreign_bases", "no_siding_against_third"])
def test_switching_off_one_of_the_four_nos_frees_only_its_action(rule_id):
    _, actions = run("south_china_sea_flareup", ((f"rules.{rule_id}.enabled", False),), seed=1)
    chosen = set(vietnam_moves(actions)["action"]) & FORBIDDEN
    assert chosen == {FOUR_NOS[rule_id].value}


# ------------------------------------------------------------------------------------ China first
@pytest.mark.parametrize("name", ["historical_2013_2024", "south_china_sea_flareup",
                                  "russia_collapse_of_supply"])
def test_china_tier_is_never_below_another_partners_in_any_month(name):
    series, _ = run(name, seed=4)
    others = series[["tier_united_states", "tier_japan", "tier_russia"]].max(axis=1)
    assert (series["tier_china"] >= others).all()


LOW_CHINA_TIER = (("agents.china.tier", 2), ("agents.russia.tier", 2))  # the US offers tier 3 in 2023


def test_china_first_keeps_partners_below_a_lower_china_tier():
    series, _ = run("historical_2013_2024", LOW_CHINA_TIER)
    others = series[["tier_united_states", "tier_japan", "tier_russia"]].max(axis=1)
    assert (series["tier_china"] >= others).all()


def test_without_china_first_a_partner_can_overtake_china():
    series, _ = run("historical_2013_2024", (*LOW_CHINA_TIER, ("rules.china_first.enabled", False)))
    others = series[["tier_united_states", "tier_japan", "tier_russia"]].max(axis=1)
    assert (series["tier_china"] < others).any()


# ------------------------------------------------------------------------------------ each Vietnam rule
@pytest.mark.parametrize("rule_id", VIETNAM_RULES)
def test_an_enabled_rule_is_named_in_the_action_log_and_a_disabled_one_never(rule_id):
    _, on = run("historical_2013_2024")
    _, off = run("historical_2013_2024", ((f"rules.{rule_id}.enabled", False),))
    assert rule_id in rule_ids_logged(on)
    assert rule_id not in rule_ids_logged(off)


def _total(name: str, rule_id: str, measure) -> tuple[float, float]:
    """``measure(series, vietnam_moves)`` with the rule on and off (same seed, same replicates)."""
    on = run(name)
    off = run(name, ((f"rules.{rule_id}.enabled", False),))
    return (measure(on[0], vietnam_moves(on[1])) / REPLICATES,
            measure(off[0], vietnam_moves(off[1])) / REPLICATES)


def test_one_depend_caps_defense_ties():
    deepest = ["defense_united_states", "defense_japan", "defense_russia"]
    on, off = _total("historical_2013_2024", "one_depend",
                     lambda s, v: s[deepest].max(axis=1).sum() / s["step"].max())
    assert off > on + 0.02


def test_china_first_brings_more_assurance_toward_beijing():
    on, off = _total("south_china_sea_flareup", "china_first", lambda s, v: s["assurance_acts"].sum())
    assert on > 1.2 * off


def test_not_against_third_country_holds_back_ties_with_chinas_rivals():
    def deepening_with_us(s, v):
        return ((v["target"] == "united_states")
                & v["action"].isin(["defense_ties", "upgrade_partnership"])).sum()

    on, off = _total("historical_2013_2024", "not_against_third_country", deepening_with_us)
    assert off > 1.3 * on


def test_refusing_security_sensitive_deals_means_fewer_are_signed():
    on, off = _total("historical_2013_2024", "refuse_security_sensitive",
                     lambda s, v: s["sensitive_signed"].sum())
    assert off > on + 1


def test_regime_security_favours_ideological_bonding():
    on, off = _total("historical_2013_2024", "regime_security",
                     lambda s, v: (v["action"] == "ideological_bonding").sum())
    assert on > 1.2 * off


def test_cooperate_and_struggle_means_more_protest_and_standing_firm():
    on, off = _total("south_china_sea_flareup", "cooperate_and_struggle",
                     lambda s, v: v["action"].isin(["legal_protest", "stand_firm"]).sum())
    assert on > 1.2 * off


def test_every_vietnam_rule_has_a_behaviour_test():
    tested = {"one_depend", "china_first", "not_against_third_country", "refuse_security_sensitive",
              "regime_security", "cooperate_and_struggle"}
    assert set(VIETNAM_RULES) == tested, "a new Vietnam rule needs its own on/off test here"


# --- each rule's mask and bonus, as defined over the whole menu ----------------------------------
def _as_defined(rule_id: str, ctx, k) -> tuple[object, object]:
    """``(forbid, reweight)`` of a rule written as its definition reads: each term over the whole
    menu, masked to the moves it concerns. The rules compute only those columns (faster); the
    values must be these (a zero bonus may be -0.0 where this gives +0.0: scores only add it)."""
    import numpy as np

    from sim.actions import ASSURANCE_ACTIONS
    from sim.state import CHINA

    w, m, t = ctx.world, ctx.menu, ctx.menu.targets
    if rule_id == "one_depend":
        excess = np.clip((w.threat - k.threat_threshold) / np.maximum(1e-9, 1 - k.threat_threshold), 0, 1)
        cap = k.base_cap + (1 - k.base_cap) * excess
        return (m.is_(Action.DEFENSE_TIES) & (w.defense[:, t] >= cap[:, None]),
                np.where(m.is_(Action.DEFENSE_TIES), k.weight[:, None] * excess[:, None], 0.0))
    if rule_id == "china_first":
        new_tier = np.maximum(w.tier[:, t] + 1, w.offer_tier[:, t])
        value = w.assurance_debt * (k.debt_weight + k.urgency * w.debt_age / k.assurance_within_months)
        return (m.is_(Action.UPGRADE_PARTNERSHIP, Action.SEEK_UPGRADE) & (new_tier > w.tier[:, CHINA][:, None]),
                np.where(m.is_(*ASSURANCE_ACTIONS) & (t == CHINA), value[:, None], 0.0))
    if rule_id == "not_against_third_country":
        cost = k.weight[:, None] * w.rivalry[:, t] * (k.suspicion_base[:, None] + w.china_suspicion[:, None])
        deepening = m.is_(Action.DEFENSE_TIES, Action.UPGRADE_PARTNERSHIP, Action.SEEK_UPGRADE)
        return None, np.where(deepening, -cost, 0.0)
    if rule_id == "regime_security":
        s, fear = k.sensitivity[:, None], w.regime_insecurity[:, None]
        cost = s * fear * w.democracy_promotion[:, t] * k.western_cost[:, None]
        western = m.is_(Action.UPGRADE_PARTNERSHIP, Action.SEEK_UPGRADE, Action.DEFENSE_TIES)
        return None, (np.where(western, -cost, 0.0)
                      + np.where(m.is_(Action.IDEOLOGICAL_BONDING), s * fear * k.bonding[:, None], 0.0))
    if rule_id == "cooperate_and_struggle":
        struggle = k.struggle[:, None] * (k.severity_base[:, None] + w.crisis_severity[:, None])
        return None, w.in_crisis[:, None] * (
            np.where(m.is_(Action.LEGAL_PROTEST, Action.STAND_FIRM), struggle, 0.0)
            + np.where(m.is_(Action.PARTY_VISIT, Action.IDEOLOGICAL_BONDING), k.cooperate[:, None], 0.0))
    assert rule_id == "china_red_lines"
    rival_defense = (w.rivalry * w.defense)[:, 2:].max(axis=1, initial=0.0)
    crossed = np.maximum(w.red_line, (rival_defense > k.defense_threshold).astype(float))
    parity = ((w.tier[:, 2:] >= w.tier[:, [CHINA]]) * w.rivalry[:, 2:]).max(axis=1, initial=0.0)
    coercion = m.is_(Action.GRAY_ZONE_INCIDENT, Action.ESCALATE, Action.THREATEN_FORCE, Action.ECONOMIC_PUNISHMENT)
    return None, (np.where(coercion, k.weight[:, None] * crossed[:, None], 0.0)
                  + np.where(m.is_(Action.WARNING), k.weight[:, None] * (crossed + k.parity_warning * parity)[:, None],
                             0.0))


@pytest.mark.parametrize("rule_id", ["one_depend", "china_first", "not_against_third_country", "regime_security",
                                     "cooperate_and_struggle", "china_red_lines"])
def test_a_rule_fills_the_columns_of_its_moves_as_its_definition_does(rule_id):
    """On the replay's world after 30 months and on worlds scrambled with NaNs, zeros and values past
    the thresholds, the rule's mask and bonus equal its definition over the whole menu."""
    import numpy as np

    from sim.rules.base import Context

    model = HedgingModel("historical_2013_2024", seed=5, replicates=60, record_actions=False)
    for _ in range(30):
        model.step()
    agent = model.china if rule_id == "china_red_lines" else model.vietnam
    rule = next(r for r in agent.rules if r.id == rule_id)
    w, rng = model.world, np.random.default_rng(7)
    for trial in range(12):
        if trial:
            for name in ("threat", "regime_insecurity", "china_suspicion", "crisis_severity", "assurance_debt",
                         "debt_age", "red_line", "defense", "rivalry", "democracy_promotion", "tier", "offer_tier"):
                values = getattr(w, name)
                values[:] = rng.choice([0.0, 0.3, 0.7, 1.0, 2.0, 3.0, np.nan], values.shape)
            w.in_crisis[:] = rng.random(w.replicates) < 0.5
        ctx = Context(w, agent.index, agent.menu)
        forbid, reweight = _as_defined(rule_id, ctx, rule.k)
        got_forbid, got_reweight = rule.forbid(ctx), rule.reweight(ctx)
        if forbid is None:
            assert got_forbid is None
        else:
            np.testing.assert_array_equal(got_forbid, forbid)
        np.testing.assert_array_equal(got_reweight, reweight)  # NaN where NaN; -0.0 equals +0.0


def test_an_agent_scores_its_rules_forbids_and_bonuses_in_order(monkeypatch):
    """Three hand-made rules on Vietnam's menu: a bonus is added to every score in the rules' order;
    a move any rule forbids scores -inf, whichever rule forbade it and whatever bonus came after;
    each rule's forbid mask is reported on the possible moves only."""
    import numpy as np

    from sim.agents.base import StateAgent

    class Stub:
        def __init__(self, id_, forbid=None, bonus=None):
            self.id, self._forbid, self._bonus = id_, forbid, bonus

        def forbid(self, ctx):
            return self._forbid

        def reweight(self, ctx):
            return self._bonus

    model = HedgingModel(load_scenario("historical_2013_2024"), seeds=[1, 2])
    v = model.vietnam
    utilities = v.utilities(model.world)
    R, M = utilities.shape
    first, second = np.zeros((R, M), dtype=bool), np.zeros((R, M), dtype=bool)
    first[:, 0], second[:, 1] = True, True
    one, two = np.full((R, M), 0.1), np.zeros((R, M))
    two[:, :2] = 0.2
    rules = [Stub("a", first, one), Stub("b", None, two), Stub("c", second, None)]
    monkeypatch.setattr(StateAgent, "rules_in_force", lambda self: rules)
    s = v.score(model.world, utilities)
    base = np.where(v.available(model.world), utilities, -np.inf)
    expected = (base + 0.1) + two
    expected[:, :2] = -np.inf
    np.testing.assert_array_equal(s.base, base)
    np.testing.assert_array_equal(s.final, expected)
    assert [rid for rid, _ in s.forbidden_by] == ["a", "c"] and [rid for rid, _ in s.reweighted_by] == ["a", "b"]
    np.testing.assert_array_equal(s.forbidden_by[0][1], first & np.isfinite(base))
