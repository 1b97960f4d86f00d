"""The compiled apply_moves (sim/effects.py): hand-worked rows on a small world, and bit-for-bit
agreement with the numpy version it replaced (kept here only, as the reference; since then a rung moves whole, unscaled) on random worlds
where every replicate differs: all actors, moves and no moves, sanctions, crises, a scale per row."""

from __future__ import annotations

import numpy as np
import pytest

from sim import with_overrides
from sim.actions import ACTION_TABLE, ACTIONS, EFFECTS, INDEX, Action, Channel, Family
from sim.effects import apply_moves
from sim.state import CHINA, USE_OF_FORCE_RUNG, VIETNAM, initial_world

WORLD_ARRAYS = ("trust", "tension", "interdependence", "defense", "tier", "offer_tier", "arms_supplier",
                "sanctioned_months", "threat", "regime_insecurity", "capability", "assurance_debt",
                "china_suspicion", "reputation_cost", "escalation", "assurance_acts", "four_nos_violations",
                "china_coercion", "use_of_force")


def numpy_apply_moves(world, actor, actions, targets, scale=1.0) -> None:
    """sim.effects.apply_moves as numpy array code (commit 523a790), the reference."""
    def bounded(x, delta):
        return np.clip(x + np.where(delta > 0, delta * (1.0 - x), delta * x), 0.0, 1.0)

    made = actions >= 0
    if not made.any():
        return
    rows = np.where(made, actions, INDEX[Action.HOLD])
    r = np.arange(world.replicates)
    delta = world.k.effects[r, rows] * (made * np.asarray(scale, dtype=float))[..., None]
    other = targets if actor == VIETNAM else np.full_like(targets, actor)
    dyads = {Channel.DYAD_TRUST: "trust", Channel.DYAD_TENSION: "tension",
             Channel.DYAD_INTERDEPENDENCE: "interdependence", Channel.DYAD_DEFENSE: "defense"}
    for ch, name in dyads.items():
        arr = getattr(world, name)
        arr[r, other] = bounded(arr[r, other], delta[:, ch])
    world.tension[:, CHINA] = np.clip(world.tension[:, CHINA] + delta[:, Channel.TENSION_CHINA], 0, 1)
    sanctioned = world.sanctioned_months > 0
    if sanctioned.any():
        world.arms_supplier[:] = np.where(
            sanctioned, bounded(world.arms_supplier, delta[:, [Channel.SANCTIONED_ARMS]]), world.arms_supplier)
    for ch, name in {Channel.THREAT: "threat", Channel.REGIME_INSECURITY: "regime_insecurity",
                     Channel.CAPABILITY: "capability"}.items():
        arr = getattr(world, name)
        arr[:] = np.clip(arr + delta[:, ch], 0.0, 1.0)
    raise_tier = made & (EFFECTS[rows, Channel.DYAD_TIER] > 0)
    offered = np.maximum(world.tier[r, other] + 1, world.offer_tier[r, other])
    world.tier[r, other] = np.where(raise_tier, offered, world.tier[r, other])
    world.assurance_debt[:] = np.maximum(0.0, world.assurance_debt + delta[:, Channel.ASSURANCE_DEBT])
    world.china_suspicion[:] = np.clip(world.china_suspicion + delta[:, Channel.CHINA_SUSPICION], 0, 3)
    world.reputation_cost[:] = np.maximum(0.0, world.reputation_cost + delta[:, Channel.REPUTATION_COST])
    in_crisis = world.escalation > 0
    rungs = world.k.effects[r, rows, Channel.ESCALATION] * made  # whole rungs: never scaled
    world.escalation[:] = np.clip(world.escalation + np.where(in_crisis | (rungs > 0), rungs, 0), 0,
                                  USE_OF_FORCE_RUNG)
    toward_china = (other == CHINA) if actor == VIETNAM else np.zeros_like(made)
    is_assurance = np.array([s.is_assurance for s in ACTION_TABLE])
    is_forbidden = np.array([s.family is Family.FORBIDDEN for s in ACTION_TABLE])
    is_coercion = np.array([s.family is Family.COERCION for s in ACTION_TABLE])
    world.assurance_acts += made & is_assurance[rows] & toward_china
    world.four_nos_violations += made & is_forbidden[rows]
    world.china_coercion += made & is_coercion[rows] & (actor == CHINA)
    world.use_of_force[:] = np.maximum(world.use_of_force, world.escalation >= USE_OF_FORCE_RUNG)


def _world(replicates: int = 2, overrides: dict | None = None):
    return initial_world(with_overrides("historical_2013_2024", overrides or {}), replicates)


def _random_world(rng, replicates: int):
    """Every quantity drawn per replicate (and per partner), effect sizes jittered per replicate."""
    w = _world(replicates)
    n = len(w.countries)
    for name in ("trust", "tension", "interdependence", "defense", "arms_supplier"):
        getattr(w, name)[:] = rng.choice([0.0, 1.0, 0.3], (replicates, n)) * (rng.random((replicates, n)) < 0.2) \
            + rng.uniform(0, 1, (replicates, n)) * (rng.random((replicates, n)) >= 0.2)
    w.tier[:] = rng.integers(0, 4, (replicates, n))
    w.offer_tier[:] = rng.integers(0, 5, (replicates, n))
    w.sanctioned_months[:] = rng.integers(0, 3, (replicates, n)) * (rng.random((replicates, n)) < 0.3)
    for name in ("threat", "regime_insecurity", "capability"):
        getattr(w, name)[:] = rng.uniform(0, 1, replicates)
    w.assurance_debt[:] = rng.uniform(0, 2, replicates)
    w.china_suspicion[:] = rng.uniform(0, 3, replicates)
    w.reputation_cost[:] = rng.uniform(0, 1, replicates)
    w.escalation[:] = rng.integers(0, USE_OF_FORCE_RUNG + 1, replicates)
    vars(w.k)["effects"] = w.k.effects * rng.uniform(0.5, 3.0, w.k.effects.shape)  # read-only: a new table
    return w


@pytest.mark.parametrize("seed", range(6))
def test_the_kernel_equals_the_numpy_rules_bit_for_bit_on_random_worlds(seed):
    rng = np.random.default_rng(seed)
    replicates = 64
    expected, got = _random_world(np.random.default_rng(seed), replicates), _random_world(rng, replicates)
    n = len(got.countries)
    for actor in (VIETNAM, CHINA, *range(2, n)) * 3:
        actions = np.where(rng.random(replicates) < 0.2, -1, rng.integers(0, len(ACTIONS), replicates))
        targets = rng.integers(0, n, replicates)
        scale = rng.uniform(0, 2, replicates) if rng.random() < 0.5 else float(rng.uniform(0.5, 1.5))
        numpy_apply_moves(expected, actor, actions, targets, scale)
        apply_moves(got, actor, actions, targets, scale)
    for name in WORLD_ARRAYS:
        assert getattr(got, name).tobytes() == getattr(expected, name).tobytes(), name


def test_a_row_without_a_move_changes_nothing_and_a_block_without_moves_returns_at_once():
    w = _world(2)
    before = {name: getattr(w, name).copy() for name in WORLD_ARRAYS}
    apply_moves(w, CHINA, np.array([-1, INDEX[Action.WARNING]]), np.array([VIETNAM, VIETNAM]))
    for name in WORLD_ARRAYS:
        np.testing.assert_array_equal(getattr(w, name)[0], before[name][0], err_msg=name)
    assert w.threat[1] > before["threat"][1]
    apply_moves(w, CHINA, np.array([-1, -1]), np.array([VIETNAM, VIETNAM]))
    np.testing.assert_array_equal(w.threat, [before["threat"][0], w.threat[1]])


def test_hand_worked_moves_on_a_small_world():
    """Two replicates, by hand: a rise scaled by the room left, a fall by what is there, escalation
    only in a crisis or upward, the tier up to the partner's offer, the counters."""
    w = _world(2)
    w.trust[:, CHINA] = [0.5, 0.8]
    w.escalation[:] = [0.0, 4.0]
    w.tier[:, CHINA] = [1.0, 1.0]
    w.offer_tier[:, CHINA] = [3.0, 0.0]
    trust = float(w.k.effects[0, INDEX[Action.JOIN_COMMUNITY], Channel.DYAD_TRUST])
    apply_moves(w, VIETNAM, np.full(2, INDEX[Action.JOIN_COMMUNITY]), np.full(2, CHINA), np.array([1.0, 0.5]))
    assert w.trust[:, CHINA].tolist() == [0.5 + trust * 0.5, 0.8 + trust * 0.5 * 0.2]
    assert w.tier[:, CHINA].tolist() == [3.0, 2.0]  # the offer, else one step
    assert w.assurance_acts.tolist() == [1.0, 1.0]

    china_trust = w.trust[:, CHINA].copy()
    apply_moves(w, CHINA, np.full(2, INDEX[Action.DE_ESCALATE]), np.full(2, VIETNAM))
    assert w.escalation.tolist() == [0.0, 4.0]  # withdrawal ends a crisis in dynamics, not a rung here
    apply_moves(w, CHINA, np.full(2, INDEX[Action.ESCALATE]), np.full(2, VIETNAM))
    apply_moves(w, CHINA, np.full(2, INDEX[Action.ESCALATE]), np.full(2, VIETNAM))
    assert w.escalation.tolist() == [2.0, USE_OF_FORCE_RUNG]  # clipped at the top rung
    assert w.use_of_force.tolist() == [0.0, 1.0]
    assert w.china_coercion.tolist() == [2.0, 2.0]
    fall = float(w.k.effects[0, INDEX[Action.ESCALATE], Channel.DYAD_TRUST])
    assert w.trust[0, CHINA] == pytest.approx(china_trust[0] * (1 + fall) ** 2)


def test_a_scale_sizes_the_effects_but_a_rung_moves_whole():
    """``effects_scale`` (and the share of a package signed) sizes what a move does, not what it
    is: an escalation at half scale still climbs one whole rung, while its threat is halved."""
    w = _world(2)
    w.escalation[:] = [2.0, 2.0]
    threat = w.threat.copy()
    apply_moves(w, CHINA, np.full(2, INDEX[Action.ESCALATE]), np.full(2, VIETNAM), np.array([1.0, 0.5]))
    assert w.escalation.tolist() == [3.0, 3.0]
    rise = float(w.k.effects[0, INDEX[Action.ESCALATE], Channel.THREAT])
    assert (w.threat - threat).tolist() == pytest.approx([rise, rise * 0.5])
