"""Applying the effects table to the world: one pure, vectorised function.

``apply_moves`` takes, per replicate, the move an actor made (or -1 for none) and adds that move's
row of the effects table to the world (``world.k.effects``: each replicate's effect sizes, from the
scenario's ``actions`` table), clipped to each quantity's range. Consequences that
are not deltas (opening or ending a crisis, an offer, a package) are the world's mechanics in
:mod:`sim.dynamics` (``open_crisis``, ``end_crisis``, ``open_offer``, ``open_package``), which the
acting agent calls; no effect size lives in an agent.
"""

from __future__ import annotations

import numpy as np

from sim.actions import ACTION_TABLE, EFFECTS, INDEX, Action, Channel, Family
from sim.state import CHINA, USE_OF_FORCE_RUNG, VIETNAM, World

_IS_ASSURANCE = np.array([s.is_assurance for s in ACTION_TABLE])
_IS_FORBIDDEN = np.array([s.family is Family.FORBIDDEN for s in ACTION_TABLE])
_IS_COERCION = np.array([s.family is Family.COERCION for s in ACTION_TABLE])

_DYADS = {Channel.DYAD_TRUST: "trust", Channel.DYAD_TENSION: "tension",
          Channel.DYAD_INTERDEPENDENCE: "interdependence", Channel.DYAD_DEFENSE: "defense"}
_VIETNAM = {Channel.THREAT: "threat", Channel.REGIME_INSECURITY: "regime_insecurity",
            Channel.CAPABILITY: "capability"}


def bounded(x: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Move a [0, 1] quantity by ``delta`` with diminishing returns near its bounds: a rise is
    scaled by the room left (1 - x), a fall by what is there (x), so relations saturate smoothly."""
    return np.clip(x + np.where(delta > 0, delta * (1.0 - x), delta * x), 0.0, 1.0)


def apply_moves(world: World, actor: int, actions: np.ndarray, targets: np.ndarray,
                scale: float | np.ndarray = 1.0) -> None:
    """Add the effects of ``actions[r]`` (index into ACTIONS, -1 = none) by ``actor`` on ``targets[r]``.

    Args:
        world: the state, changed in place.
        actor: index of the acting state in ``world.countries``.
        actions: ``(R,)`` action indices, -1 where the actor made no move in that replicate.
        targets: ``(R,)`` target indices.
        scale: the scenario's ``effects_scale``, or a per-replicate ``(R,)`` factor.
    """
    made = actions >= 0
    if not made.any():
        return
    rows = np.where(made, actions, INDEX[Action.HOLD])
    r = np.arange(world.replicates)
    delta = world.k.effects[r, rows] * (made * np.asarray(scale, dtype=float))[..., None]  # (R, C)
    other = targets if actor == VIETNAM else np.full_like(targets, actor)

    for ch, name in _DYADS.items():
        arr = getattr(world, name)
        arr[r, other] = bounded(arr[r, other], delta[:, ch])
    world.tension[:, CHINA] = np.clip(world.tension[:, CHINA] + delta[:, Channel.TENSION_CHINA], 0, 1)
    sanctioned = world.sanctioned_months > 0  # (R, n): CAATSA cuts every sanctioned supplier
    if sanctioned.any():
        world.arms_supplier[:] = np.where(
            sanctioned, bounded(world.arms_supplier, delta[:, [Channel.SANCTIONED_ARMS]]),
            world.arms_supplier)
    for ch, name in _VIETNAM.items():
        arr = getattr(world, name)
        arr[:] = np.clip(arr + delta[:, ch], 0.0, 1.0)

    raise_tier = made & (EFFECTS[rows, Channel.DYAD_TIER] > 0)
    offered = np.maximum(world.tier[r, other] + 1, world.offer_tier[r, other])
    world.tier[r, other] = np.where(raise_tier, offered, world.tier[r, other])

    world.assurance_debt[:] = np.maximum(0.0, world.assurance_debt + delta[:, Channel.ASSURANCE_DEBT])
    world.china_suspicion[:] = np.clip(world.china_suspicion + delta[:, Channel.CHINA_SUSPICION], 0, 3)
    world.reputation_cost[:] = np.maximum(0.0, world.reputation_cost + delta[:, Channel.REPUTATION_COST])
    in_crisis = world.escalation > 0
    world.escalation[:] = np.clip(world.escalation + np.where(in_crisis | (delta[:, Channel.ESCALATION] > 0),
                                                              delta[:, Channel.ESCALATION], 0), 0,
                                  USE_OF_FORCE_RUNG)

    toward_china = (other == CHINA) if actor == VIETNAM else np.zeros_like(made)
    world.assurance_acts += made & _IS_ASSURANCE[rows] & toward_china
    world.four_nos_violations += made & _IS_FORBIDDEN[rows]
    world.china_coercion += made & _IS_COERCION[rows] & (actor == CHINA)
    world.use_of_force[:] = np.maximum(world.use_of_force, world.escalation >= USE_OF_FORCE_RUNG)
