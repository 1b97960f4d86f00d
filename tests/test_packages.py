"""Packages weighed item by item (issue 10 item 7).

Each kind of agreement in a Chinese package carries a benefit (to the goal it serves) and a security
cost per unit of threat (``agents.vietnam.package.<kind>``); the rule refusing security-sensitive
deals scales that cost. Hand-built worlds check the direction of every term; one block of
replicates answers the Dec 2023 package and checks what the articles report: search-and-rescue and
joint patrols signed ([Grossman2023]), critical minerals refused ([VOA2023]; [Grossman2023]).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import HedgingModel, with_overrides
from sim.actions import AgreementKind
from sim.agents.vietnam import AGREEMENTS, Goal

K = AgreementKind
KINDS = np.array(list(AgreementKind))


def _model(replicates: int = 1, **overrides) -> HedgingModel:
    sc = with_overrides("historical_2013_2024", {"months": 144, **overrides})
    model = HedgingModel(sc, replicates=replicates, seed=7, record_actions=False)
    model.steps = 133  # Jan 2024: every rule in force
    return model


def _values(model: HedgingModel, threat: float) -> dict[AgreementKind, float]:
    """Each kind's value to Vietnam, rules included, at ``threat`` (replicate 0)."""
    w = model.world
    w.threat[:] = threat
    v = model.vietnam
    benefit, cost = v.agreement_terms(w, KINDS)
    value = benefit - cost * w.threat[:, None] * v.weights(w)[:, [Goal.SECURITY]]
    for rule in v.rules_in_force():
        bonus = rule.agreement_bonus(w, KINDS, cost)
        if bonus is not None:
            value = value + bonus
    return {kind: float(value[0, i]) for i, kind in enumerate(KINDS)}


def test_every_kind_has_a_sourced_benefit_and_cost_reachable_by_path():
    model = _model(**{"agents.vietnam.package.maritime.security_cost": 0.5})
    assert float(model.vietnam.k.package.maritime.security_cost[0]) == 0.5
    for spec in AGREEMENTS.values():
        assert spec.source.startswith("[") and spec.benefit >= 0 and spec.security_cost >= 0
    assert set(AGREEMENTS) == set(AgreementKind)


def test_low_sensitivity_security_pacts_are_worth_signing_and_strategic_resources_are_not():
    values = _values(_model(), threat=0.6)
    assert values[K.MARITIME] > 0, "search and rescue, joint patrols: signed in Dec 2023"
    assert values[K.STRATEGIC_RESOURCE] < 0, "critical minerals: refused"
    assert values[K.SECURITY] < values[K.STRATEGIC_RESOURCE] < values[K.MARITIME]


def test_threat_lowers_the_value_of_costly_pacts_only():
    model = _model()
    calm, tense = _values(model, 0.2), _values(model, 0.8)
    for kind in (K.MARITIME, K.SECURITY, K.STRATEGIC_RESOURCE):
        assert tense[kind] < calm[kind]
    assert tense[K.ECONOMIC] == pytest.approx(calm[K.ECONOMIC])
    # the drop is proportional to the security cost: largest for the sensitive kinds
    drop = {k: calm[k] - tense[k] for k in (K.MARITIME, K.STRATEGIC_RESOURCE, K.SECURITY)}
    assert drop[K.MARITIME] < drop[K.STRATEGIC_RESOURCE] < drop[K.SECURITY]


def test_the_rule_penalises_in_proportion_to_each_kinds_security_cost():
    model = _model()
    rule = next(r for r in model.vietnam.rules if r.id == "refuse_security_sensitive")
    cost = np.array([[0.0, 0.15, 0.6, 1.2]])
    bonus = rule.agreement_bonus(model.world, KINDS[:4], cost)
    assert bonus[0, 0] == 0.0
    assert bonus[0, 3] == pytest.approx(2 * bonus[0, 2]) and bonus[0, 2] == pytest.approx(4 * bonus[0, 1])


def test_the_dec_2023_package_signs_maritime_pacts_and_refuses_minerals():
    model = _model(replicates=400)
    v, w = model.vietnam, model.world
    w.threat[:] = 0.6  # about the replay's threat when the package comes (2023-12 .. 2024)
    kinds = model.china.package_kinds()
    signed = v.answer_package(w, kinds, np.ones(w.replicates, dtype=bool))
    share = {kind: signed[:, kinds == kind].mean() for kind in AgreementKind}
    assert share[K.MARITIME] > 0.6, share
    assert share[K.STRATEGIC_RESOURCE] < 0.25, share
    assert share[K.SYMBOLIC] > 0.9 and share[K.ECONOMIC] > 0.9, share
    assert (v.package_proposed[:, K.MARITIME] == (kinds == K.MARITIME).sum()).all()
    assert v.package_signed[:, K.MARITIME].sum() == signed[:, kinds == K.MARITIME].sum()
    total = signed.sum(axis=1).mean()
    assert 30 <= total <= 42, "the articles: 36 of 45 signed"


def test_without_the_rule_sensitive_pacts_are_signed_more_often():
    on = _model(replicates=300)
    off = _model(replicates=300, **{"rules.refuse_security_sensitive.enabled": False})
    shares = []
    for model in (on, off):
        model.world.threat[:] = 0.6
        kinds = model.china.package_kinds()
        signed = model.vietnam.answer_package(model.world, kinds, np.ones(300, dtype=bool))
        shares.append(signed[:, kinds == K.STRATEGIC_RESOURCE].mean())
    assert shares[1] > shares[0] + 0.2
