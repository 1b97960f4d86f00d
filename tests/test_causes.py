"""Behaviour that answers to its causes (issue 10): China's choice of coercion, crises bargained by
both sides, threat with memory. Axelrod-style: a small hand-set world, two replicates that differ
in one quantity, and the DIRECTION of the effect on an agent's utility or on the world."""

from __future__ import annotations

import numpy as np
import pytest

from sim.actions import INDEX, Action
from sim.agents.vietnam import Goal
from sim.dynamics import advance_crisis, open_crisis, relax, threat_anchor
from sim.effects import apply_moves
from sim.metrics import EQUIDISTANCE_BAND
from sim.model import HedgingModel
from sim.scenario.loader import with_overrides
from sim.state import CHINA, THREAT_RUNG

HIST = "historical_2013_2024"


def _model(overrides: dict | None = None, replicates: int = 2) -> HedgingModel:
    return HedgingModel(with_overrides(HIST, overrides or {}), replicates=replicates)


def _china_value(model: HedgingModel, action: Action) -> np.ndarray:
    i = int(np.flatnonzero(model.china.menu.is_(action))[0])
    return model.china.utilities(model.world)[:, i]


def _vietnam_value(model: HedgingModel, action: Action) -> np.ndarray:
    i = int(np.flatnonzero(model.vietnam.menu.is_(action))[0])
    return model.vietnam.utilities(model.world)[:, i]


def _raise_in_the_second(w, quantity: str, values: dict[str, float]) -> None:
    """Make replicate 1 differ from replicate 0 in one quantity: China's interdependence (0.4 vs
    0.9), US commitment (+0.3), or a world quantity set to ``values[quantity]`` in replicate 1."""
    us = w.index("united_states")
    if quantity == "interdependence":
        w.interdependence[:, CHINA] = [0.4, 0.9]
    elif quantity == "us_commitment":
        w.commitment[1, us] = w.commitment[0, us] + 0.3
    else:
        getattr(w, quantity)[1] = values[quantity]


# ------------------------------------------------------------------- 1. China decides its coercion
@pytest.mark.parametrize("quantity, rises", [
    ("china_suspicion", True),          # motive
    ("us_commitment", False),           # opportunity: a retreating US invites pressure
    ("us_defense", True),               # Vietnam's defense ties with a rival
    ("interdependence", False),         # cost
    ("reputation_cost", False),         # cost: scrutiny still carried from the last crisis
    ("summit", False),                  # cost: a pending summit with China
])
def test_chinas_incident_value_answers_to_motive_opportunity_and_cost(quantity, rises):
    model = _model()
    w = model.world
    us = w.index("united_states")
    target = {"china_suspicion": (w.china_suspicion, None), "us_commitment": (w.commitment, us),
              "us_defense": (w.defense, us), "interdependence": (w.interdependence, CHINA),
              "reputation_cost": (w.reputation_cost, None), "summit": (w.summit, CHINA)}[quantity]
    arr, col = target
    if col is None:
        arr[1] = arr[0] + 0.5
    else:
        arr[1, col] = min(1.0, arr[0, col] + 0.3)
    value = _china_value(model, Action.GRAY_ZONE_INCIDENT)
    assert (value[1] > value[0]) == rises
    assert value[1] != value[0]


def test_a_more_assertive_china_values_an_incident_more():
    low = _china_value(_model({"agents.china.assertiveness": 0.3}), Action.GRAY_ZONE_INCIDENT)
    high = _china_value(_model({"agents.china.assertiveness": 0.9}), Action.GRAY_ZONE_INCIDENT)
    assert (high > low).all()


def test_china_starts_incidents_of_its_own_and_more_when_more_assertive():
    counts = {}
    for a in (0.2, 0.9):
        model = _model({"agents.china.assertiveness": a}, replicates=12).run()
        counts[a] = model.world.crisis_count.sum()
        crises = model.crises()
        counts[f"china_{a}"] = int((crises.started_by == "china").sum())
    assert counts["china_0.9"] > counts["china_0.2"] >= 0
    assert counts[0.9] > counts[0.2]


def test_the_crisis_record_names_who_started_and_who_ended_each_crisis_and_why():
    model = _model({"agents.china.assertiveness": 0.8}, replicates=6).run()
    crises = model.crises()
    assert set(crises.started_by) <= {"china", "event"} and "event" in set(crises.started_by)
    closed = crises[crises.ended_by != ""]
    assert len(closed) > 0 and set(closed.ended_by) <= {"china", "vietnam"}
    assert closed.end_terms.str.count(";").eq(2).all()  # the three weightiest terms, signed
    s = model.series()
    assert s.ended_by_china.sum() + s.ended_by_vietnam.sum() == len(closed)


# ------------------------------------------------------------------- 2. crises bargained by both
def test_the_cost_of_force_comes_from_the_cited_costs_not_a_constant():
    """With interdependence, US deterrence, reputation and assurance all zero, no rung costs anything:
    the cost of force is those costs at rung 5."""
    model = _model()
    w = model.world
    w.interdependence[:, CHINA] = [0.0, 0.8]
    w.commitment[:, w.index("united_states")] = [0.0, 0.6]
    w.reputation_cost[:] = 0.0
    w.assurance_in_crisis[:] = 0.0
    costs = [model.china.cost_at(w, np.full(2, r)) for r in range(6)]
    assert np.allclose(costs[5][0], 0.0)
    assert costs[5][1] > costs[4][1] > costs[1][1] > 0  # convex in the rung
    assert costs[5][1] - costs[4][1] > costs[2][1] - costs[1][1]


@pytest.mark.parametrize("quantity, more_likely_to_step_down", [
    ("reputation_cost", True), ("assurance_in_crisis", True), ("stood_firm", False),
    ("escalation", True),
])
def test_china_steps_down_when_holding_out_costs_more_than_it_gains(quantity, more_likely_to_step_down):
    model = _model()
    w = model.world
    w.escalation[:] = 2
    w.crisis_severity[:] = 0.5
    getattr(w, quantity)[1] += 1.0 if quantity != "escalation" else 2
    value = _china_value(model, Action.DE_ESCALATE)
    assert (value[1] > value[0]) == more_likely_to_step_down


def test_no_clock_ends_a_crisis_months_alone_do_not_change_chinas_choice():
    model = _model()
    w = model.world
    w.escalation[:] = 2
    w.crisis_months[:] = [1, 30]
    values = model.china.utilities(w)
    assert np.allclose(values[0], values[1])


def test_an_assertive_china_values_stepping_down_less():
    low = _model({"agents.china.assertiveness": 0.2})
    high = _model({"agents.china.assertiveness": 0.9})
    for m in (low, high):
        m.world.escalation[:] = 2
    assert (_china_value(high, Action.DE_ESCALATE) < _china_value(low, Action.DE_ESCALATE)).all()


@pytest.mark.parametrize("quantity, rises", [
    ("escalation", True),        # the risk of a clash
    ("interdependence", True),   # exposure to China's economic retaliation
    ("us_commitment", False),    # a partner standing behind Vietnam
    ("crisis_severity", False),  # what is at stake at sea
])
def test_vietnams_value_of_conceding(quantity, rises):
    model = _model()
    w = model.world
    w.escalation[:] = 3
    w.crisis_severity[:] = 0.4
    _raise_in_the_second(w, quantity, {"escalation": 4, "crisis_severity": 0.9})
    value = _vietnam_value(model, Action.CONCEDE)
    assert (value[1] > value[0]) == rises


def test_vietnam_may_concede_only_in_a_crisis():
    model = _model()
    w = model.world
    w.escalation[:] = [0, 3]
    i = int(np.flatnonzero(model.vietnam.menu.is_(Action.CONCEDE))[0])
    assert model.vietnam.available(w)[:, i].tolist() == [False, True]


def test_conceding_ends_the_crisis_and_is_recorded_as_vietnams():
    model = _model()
    w = model.world
    w.escalation[:] = 3
    model.log_crisis_start(np.array([True, True]), None)
    model.vietnam.decide(w)  # the terms the choice is made on
    actions = np.array([INDEX[Action.CONCEDE], INDEX[Action.HOLD]])
    model.vietnam.after_moves(w, actions, np.array([CHINA, 0]))
    assert w.escalation.tolist() == [0, 3]
    assert w.ended_by_vietnam.tolist() == [1, 0]
    crises = model.crises()
    assert crises.ended_by.tolist() == ["vietnam", ""]
    assert "stability" in crises.end_terms[0]


@pytest.mark.parametrize("rung", [1, 3, THREAT_RUNG])
def test_china_withdrawing_ends_the_crisis_from_any_rung_and_is_recorded_as_chinas(rung):
    """HD-981 left in Jul 2014 from a standoff with water cannon: no walk down the ladder."""
    model = _model()
    w = model.world
    w.escalation[:] = rung
    model.log_crisis_start(np.array([True, True]), None)
    model.china.decide(w)
    actions = np.array([INDEX[Action.DE_ESCALATE], INDEX[Action.HOLD]])
    apply_moves(w, CHINA, actions, np.zeros(2, dtype=int))
    model.china.after_moves(w, actions, np.zeros(2, dtype=int))
    assert w.escalation.tolist() == [0, rung]
    assert w.ended_by_china.tolist() == [1, 0]
    assert model.crises().ended_by.tolist() == ["china", ""]


# ---------------------------------------------------- 2b. a direct threat of force (compellence)
@pytest.mark.parametrize("quantity, rises", [
    ("interdependence", True),   # leverage: what Vietnam stands to lose
    ("us_commitment", False),    # leverage and deterrence: somebody stands behind Vietnam
    ("stood_firm", True),        # defiance to answer
    ("reputation_cost", False),  # a standing cost, times the threat's price
])
def test_chinas_value_of_a_threat_answers_to_leverage_and_costs(quantity, rises):
    model = _model()
    w = model.world
    w.escalation[:] = 2
    w.crisis_severity[:] = 0.5
    _raise_in_the_second(w, quantity, {"stood_firm": 1.0, "reputation_cost": 1.0})
    value = _china_value(model, Action.THREATEN_FORCE)
    assert (value[1] > value[0]) == rises


def test_a_threat_is_priced_by_the_standing_costs_times_its_own_price_not_the_rungs_risk():
    """Words that may be tested ([Fearon1994]): the ladder's risk prices holding a rung, not the
    threat, so a riskier ladder makes holding the threat rung dearer but the threat itself no dearer."""
    values = {}
    for risk in (0.1, 0.6):
        model = _model({"agents.china.ladder.gain_threat": 0.0, "agents.china.ladder.risk": risk})
        w = model.world
        w.escalation[:] = 2
        china = model.china
        expected = china.gain_of_pressing(w) - china.k.ladder.threat_cost * sum(china.standing_costs(w).values())
        values[risk] = _china_value(model, Action.THREATEN_FORCE)
        assert np.allclose(values[risk], expected)
    assert np.allclose(values[0.1], values[0.6])


def test_china_may_threaten_only_in_a_crisis_below_the_threat_rung():
    model = _model(replicates=3)
    w = model.world
    w.escalation[:] = [0, 2, THREAT_RUNG]
    i = int(np.flatnonzero(model.china.menu.is_(Action.THREATEN_FORCE))[0])
    assert model.china.available(w)[:, i].tolist() == [False, True, False]


def test_each_of_chinas_moves_is_open_only_under_its_own_condition():
    """Replicates: no crisis, a crisis at rung 2, one at the threat rung; a package cooling down in
    the last two. Escalating and calming need a crisis, an incident needs none, a package its
    cooldown over; every other move is always open."""
    model = _model(replicates=3)
    w, china = model.world, model.china
    w.escalation[:] = [0, 2, THREAT_RUNG]
    w.package_cooldown[:] = [0, 3, 1]
    open_ = china.available(w)

    def column(*actions: Action) -> list[list[bool]]:
        return open_[:, china.menu.columns(*actions)].T.tolist()

    assert column(Action.ESCALATE, Action.DE_ESCALATE) == [[False, True, True]] * 2
    assert column(Action.GRAY_ZONE_INCIDENT) == [[True, False, False]]
    assert column(Action.PROPOSE_PACKAGE) == [[True, False, False]]
    conditioned = china.menu.is_(Action.ESCALATE, Action.DE_ESCALATE, Action.GRAY_ZONE_INCIDENT,
                                 Action.PROPOSE_PACKAGE, Action.THREATEN_FORCE)
    assert open_[:, ~conditioned].all()


def test_a_partner_offers_a_higher_tier_only_with_none_open_and_below_the_top():
    """Replicates: nothing open at tier 2, an offer open, the top tier held."""
    model = _model(replicates=3)
    w, japan = model.world, next(a for a in model.others if a.name == "japan")
    w.tier[:, japan.index] = [2, 2, 3]
    w.offer_months[:, japan.index] = [0, 4, 0]
    open_ = japan.available(w)
    assert open_[:, japan.menu.columns(Action.UPGRADE_OFFER)].T.tolist() == [[True, False, False]]
    assert open_[:, ~japan.menu.is_(Action.UPGRADE_OFFER)].all()


def test_a_threat_lifts_the_crisis_to_the_threat_rung_and_vietnam_concedes_more():
    model = _model()
    w = model.world
    w.escalation[:] = 2
    w.crisis_severity[:] = 0.5
    before = _vietnam_value(model, Action.CONCEDE)
    actions = np.array([INDEX[Action.THREATEN_FORCE], INDEX[Action.HOLD]])
    apply_moves(w, CHINA, actions, np.zeros(2, dtype=int))
    model.china.after_moves(w, actions, np.zeros(2, dtype=int))
    assert w.escalation.tolist() == [THREAT_RUNG, 2]
    after = _vietnam_value(model, Action.CONCEDE)
    assert after[0] > before[0] and after[1] == before[1]


def test_under_threat_vietnam_concedes_low_stakes_and_stands_firm_on_high():
    """The Repsol halts (2017, 2018) against HD-981 (2014): under the same threat, what is at stake
    at sea (the crisis's severity) decides whether conceding is worth it."""
    model = _model()
    w = model.world
    w.escalation[:] = THREAT_RUNG
    w.crisis_severity[:] = [0.5, 0.9]
    concede = _vietnam_value(model, Action.CONCEDE)
    firm = _vietnam_value(model, Action.STAND_FIRM)
    assert concede[0] - firm[0] > concede[1] - firm[1]


# ------------------------------------------------------------------- 3. threat has memory
def test_sustained_coercion_raises_the_threat_anchor_more_than_one_incident():
    model = _model()
    w, base = model.world, model.baseline
    for month in range(12):
        open_crisis(w, np.array([month == 0, True]), 0.6)
    anchor = threat_anchor(w, base)
    assert anchor[1] > anchor[0] > base.threat[0]


def test_the_memory_of_coercion_fades_in_calm_years_and_threat_returns():
    model = _model()
    w, base = model.world, model.baseline
    for _ in range(6):
        open_crisis(w, np.array([True, True]), 0.8)
    raised = w.threat.copy()
    w.escalation[:] = 0
    for _ in range(120):
        relax(w, base)
    assert (w.threat < raised).all()
    assert np.allclose(w.threat, base.threat, atol=0.05)


def test_under_sustained_pressure_threat_crosses_the_balancing_threshold_and_not_when_calm():
    model = _model()
    w, base = model.world, model.baseline
    threshold = float(model.vietnam.k.china_threat_threshold[0])
    for month in range(24):  # two years: an incident every other month in replicate 1 only
        open_crisis(w, np.array([False, bool(month % 2)]), 0.7)
        w.escalation[:] = np.where([False, True], 2, 0)
        advance_crisis(w)
        relax(w, base)
    assert w.threat[0] < threshold < w.threat[1]


# ------------------------------------- 3b. Kuik's balancing switch: a higher tier with a partner that would
# stand against China gains security value only past the threshold (sim.agents.vietnam, balancing_rivalry)
BALANCING_MOVES = (Action.UPGRADE_PARTNERSHIP, Action.SEEK_UPGRADE)


def _security_gain(model: HedgingModel, action: Action, target: str) -> np.ndarray:
    """``(R,)`` the security goal's (unweighted) gain of ``action`` aimed at ``target``."""
    menu, w = model.vietnam.menu, model.world
    i = int(np.flatnonzero(menu.is_(action) & (menu.targets == w.index(target)))[0])
    return model.vietnam.gains(w)[:, i, Goal.SECURITY]


def test_balancing_is_zero_up_to_the_threshold_and_rises_past_it():
    model = _model(replicates=4)
    threshold = float(model.vietnam.k.china_threat_threshold[0])
    model.world.threat[:] = [threshold - 0.2, threshold, threshold + 0.1, 1.0]
    b = model.vietnam.balancing(model.world)
    assert b[0] == b[1] == 0.0
    assert 0.0 < b[2] < b[3] == 1.0


@pytest.mark.parametrize("action", BALANCING_MOVES)
def test_past_the_balancing_threshold_a_rival_of_china_is_worth_more_to_security(action):
    """Two replicates differ only in the US's rivalry with China: under high threat the more openly
    rival US is worth more to Vietnam's security; in calm years the same difference adds nothing."""
    for threat, rises in ((0.95, True), (0.5, False)):
        model = _model()
        w = model.world
        us = w.index("united_states")
        w.threat[:] = threat
        w.tier[:, us] = 1  # room to upgrade
        w.rivalry[:, us] = [0.2, 0.9]
        gain = _security_gain(model, action, "united_states")
        assert (gain[1] > gain[0]) == rises, (action, threat, gain)
        if not rises:
            assert gain[1] == pytest.approx(gain[0])


@pytest.mark.parametrize("action", BALANCING_MOVES)
def test_the_balancing_pull_is_the_scenarios_coefficient(action):
    """Set to 0 from YAML, a rival and a partner dependent on China (Russia, rivalry 0) are worth the
    same extra security under high threat; at the default the rival gains."""
    path = f"agents.vietnam.gains.{action.value}.security.balancing_rivalry"

    def rival_edge(overrides: dict) -> float:
        model = _model(overrides, replicates=1)
        w = model.world
        w.threat[:] = 0.95
        for p in ("united_states", "russia"):
            w.tier[:, w.index(p)] = 1
            w.commitment[:, w.index(p)] = 0.6
        return float(_security_gain(model, action, "united_states")[0]
                     - _security_gain(model, action, "russia")[0])

    assert rival_edge({}) > rival_edge({path: 0.0}) >= -1e-12


def test_under_sustained_coercion_vietnam_tilts_toward_the_partners_through_the_switch():
    """Whole runs, same seeds: under an assertive China (0.9) Vietnam spends more months past the
    equidistance band toward the US with the balancing pull than with it switched off (both moves
    set to 0): [SCMP2023]'s equidistance holds only while China is not overly aggressive."""
    off = {f"agents.vietnam.gains.{a.value}.security.balancing_rivalry": 0.0 for a in BALANCING_MOVES}
    assertive = {"agents.china.assertiveness": 0.9}

    def toward_us(overrides: dict) -> float:
        model = HedgingModel(with_overrides(HIST, overrides), seed=3, replicates=40, record_actions=False)
        return float((model.run().series()["hedging_index"] >= EQUIDISTANCE_BAND).mean())

    with_pull, without = toward_us(assertive), toward_us({**assertive, **off})
    assert with_pull - without > 0.04, (with_pull, without)


def test_vietnam_values_force_less_the_higher_the_rung_before_any_rule_forbids_it():
    """Asymmetry ([Womack2006]): at a high rung force risks the clash that makes conceding pay, so
    before the fourth No (Nov 2019) Vietnam's own weighing, not a rule, keeps it from force."""
    model = _model()
    w = model.world
    w.crisis_severity[:] = 0.85  # HD-981's stakes
    w.escalation[:] = [1, THREAT_RUNG]
    value = _vietnam_value(model, Action.USE_FORCE)
    assert value[1] < value[0]
