"""World mechanics in one place (issue 10 item 9): effects are rows of the actions table, and opening
or ending a crisis, an offer or a package is a function of sim.dynamics. Small hand-built worlds."""

from __future__ import annotations

import numpy as np
import pytest

from sim import HedgingModel, with_overrides
from sim.actions import INDEX, Action, Channel
from sim.dynamics import end_crisis, open_package
from sim.effects import apply_moves
from sim.scenario.schema import Country
from sim.state import CHINA, VIETNAM, initial_world


def _world(overrides: dict | None = None, replicates: int = 2):
    sc = with_overrides("historical_2013_2024", overrides or {})
    return initial_world(sc, replicates)


def _press(world) -> None:
    us = world.index(Country.UNITED_STATES.value)
    apply_moves(world, us, np.full(world.replicates, INDEX[Action.SANCTIONS_PRESSURE]),
                np.full(world.replicates, VIETNAM))


def test_caatsa_pressure_cuts_only_a_sanctioned_suppliers_arms_by_the_table_row():
    w = _world()
    russia, japan = w.index("russia"), w.index("japan")
    w.arms_supplier[:, [russia, japan]] = 0.8
    w.sanctioned_months[0, russia] = 12  # replicate 0: Russia under sanctions; replicate 1: not
    _press(w)
    assert w.arms_supplier[0, russia] == pytest.approx(0.8 * 0.9), "the default row: a 10% cut"
    assert w.arms_supplier[1, russia] == pytest.approx(0.8), "no sanctions, no cut"
    assert w.arms_supplier[:, japan] == pytest.approx([0.8, 0.8])


def test_the_caatsa_cut_is_a_scenario_coefficient():
    w = _world({"actions.sanctions_pressure.sanctioned_arms": -0.3})
    russia = w.index("russia")
    w.arms_supplier[:, russia] = 0.5
    w.sanctioned_months[:, russia] = 1
    _press(w)
    assert w.arms_supplier[:, russia] == pytest.approx([0.35, 0.35])


def test_a_signed_package_raises_interdependence_with_china_by_the_share_signed():
    w = _world()
    w.interdependence[:, CHINA] = 0.6
    row = float(w.k.effects[0, INDEX[Action.SIGN_AGREEMENTS], Channel.DYAD_INTERDEPENDENCE])
    share = np.array([1.0, 0.5])
    apply_moves(w, VIETNAM, np.full(2, INDEX[Action.SIGN_AGREEMENTS]), np.full(2, CHINA), share)
    assert w.interdependence[:, CHINA] == pytest.approx(0.6 + row * share * 0.4)
    assert row > 0


def test_a_package_opens_the_community_offer_only_from_the_top_tier_but_one():
    w = _world()
    w.tier[:, CHINA] = [3, 2]
    open_package(w, np.array([True, True]), np.full(2, 24.0), np.full(2, 3.0))
    assert w.package_cooldown == pytest.approx([24, 24])
    assert w.community_offer == pytest.approx([3, 0])


@pytest.mark.parametrize("by", [Country.CHINA, Country.VIETNAM])
def test_ending_a_crisis_records_who_stepped_down(by):
    w = _world()
    w.escalation[:] = 3
    end_crisis(w, np.array([True, False]), by)
    assert w.escalation == pytest.approx([0, 3])
    assert getattr(w, f"ended_by_{by.value}") == pytest.approx([1, 0])


def test_no_agent_module_holds_an_effect_size_any_more():
    model = HedgingModel("historical_2013_2024")
    assert not hasattr(model.others[0].k, "caatsa_arms_factor")
    assert not hasattr(model.vietnam.k.package, "interdependence_per_deal")
