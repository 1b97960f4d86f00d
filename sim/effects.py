"""Applying the effects table to the world: one function, compiled (:mod:`sim.compiled`).

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
from sim.compiled import kernel
from sim.state import CHINA, USE_OF_FORCE_RUNG, VIETNAM, World

# What the kernel reads of other modules, passed as arguments: numba freezes a kernel's globals into
# its cached machine code, and its cache watches only this file, so a change to the actions table or
# the channels must reach the kernel as data (see sim/compiled.py).
_KINDS = np.array([[s.is_assurance for s in ACTION_TABLE],
                   [s.family is Family.FORBIDDEN for s in ACTION_TABLE],
                   [s.family is Family.COERCION for s in ACTION_TABLE],
                   EFFECTS[:, Channel.DYAD_TIER] > 0])  # (4, actions): the table's own rows
_ASSURANCE, _FORBIDDEN, _COERCION, _RAISES_TIER = range(4)  # rows of _KINDS
_PLACES = np.array([VIETNAM, CHINA, INDEX[Action.HOLD], USE_OF_FORCE_RUNG], dtype=np.int64)
_CHANNELS = (Channel.DYAD_TRUST, Channel.DYAD_TENSION, Channel.DYAD_INTERDEPENDENCE, Channel.DYAD_DEFENSE,
             Channel.THREAT, Channel.REGIME_INSECURITY, Channel.CAPABILITY, Channel.ASSURANCE_DEBT,
             Channel.CHINA_SUSPICION, Channel.ESCALATION, Channel.REPUTATION_COST, Channel.TENSION_CHINA,
             Channel.SANCTIONED_ARMS)
_COLUMNS = np.array([int(c) for c in _CHANNELS], dtype=np.int64)  # the effects table's column of each
(_TRUST, _TENSION, _INTERDEPENDENCE, _DEFENSE, _THREAT, _REGIME_INSECURITY, _CAPABILITY, _ASSURANCE_DEBT,
 _CHINA_SUSPICION, _ESCALATION, _REPUTATION_COST, _TENSION_CHINA, _SANCTIONED_ARMS) = range(13)  # _CHANNELS


def apply_moves(world: World, actor: int, actions: np.ndarray, targets: np.ndarray,
                scale: float | np.ndarray = 1.0) -> None:
    """Add the effects of ``actions[r]`` (index into ACTIONS, -1 = none) by ``actor`` on ``targets[r]``.

    Args:
        world: the state, changed in place (by the compiled :func:`_apply_rows`).
        actor: index of the acting state in ``world.countries``.
        actions: ``(R,)`` action indices, -1 where the actor made no move in that replicate.
        targets: ``(R,)`` target indices.
        scale: the scenario's ``effects_scale``, or a per-replicate ``(R,)`` factor.
    """
    actions = np.asarray(actions, dtype=np.int64)
    if not (actions >= 0).any():
        return
    w = world
    scale = np.asarray(scale, dtype=float)
    if scale.shape != actions.shape:  # one factor for all: as an (R,) array for the kernel
        scale = np.full(actions.shape, scale) if scale.ndim == 0 else np.broadcast_to(scale, actions.shape)
    scale = np.ascontiguousarray(scale)
    _apply_rows(_KINDS, _PLACES, _COLUMNS, actor, actions, np.asarray(targets, dtype=np.int64), scale,
                w.k.effects, w.trust, w.tension, w.interdependence, w.defense, w.tier, w.offer_tier,
                w.arms_supplier, w.sanctioned_months, w.threat, w.regime_insecurity, w.capability,
                w.assurance_debt, w.china_suspicion, w.reputation_cost, w.escalation, w.assurance_acts,
                w.four_nos_violations, w.china_coercion, w.use_of_force)


@kernel
def _apply_rows(kinds, places, columns, actor, actions, targets, scale, effects, trust, tension,
                interdependence, defense, tier, offer_tier, arms_supplier, sanctioned_months, threat,
                regime_insecurity, capability, assurance_debt, china_suspicion, reputation_cost, escalation,
                assurance_acts, four_nos_violations, china_coercion, use_of_force):  # pragma: no cover
    """Each replicate's move, row by row: the move's row of the replicate's effects table times
    ``scale`` (a row without a move adds zeros), dyadic channels on the pair (actor, target) —
    Vietnam's target, or the actor for everyone else, whose dyads are with Vietnam — with diminishing
    returns (:func:`_bounded`), Vietnam's own quantities and China's debts clipped to their ranges;
    escalation moves only in a crisis or up, by whole rungs (``scale`` sizes effects, not rungs:
    :data:`sim.actions.DEFINITION_CHANNELS`); the tier rises to the partner's offer or one step.
    ``kinds``, ``places`` and ``columns``: :data:`_KINDS`, :data:`_PLACES`, :data:`_COLUMNS`."""
    vietnam, china, hold, rung = places[0], places[1], places[2], float(places[3])
    c = columns
    for r in range(actions.shape[0]):
        made = actions[r] >= 0
        row = actions[r] if made else hold
        other = targets[r] if actor == vietnam else actor
        d = effects[r, row]
        f = (1.0 if made else 0.0) * scale[r]  # the deltas are d[c] * f
        trust[r, other] = _bounded(trust[r, other], d[c[_TRUST]] * f)
        tension[r, other] = _bounded(tension[r, other], d[c[_TENSION]] * f)
        interdependence[r, other] = _bounded(interdependence[r, other], d[c[_INTERDEPENDENCE]] * f)
        defense[r, other] = _bounded(defense[r, other], d[c[_DEFENSE]] * f)
        tension[r, china] = _clip(tension[r, china] + d[c[_TENSION_CHINA]] * f, 0.0, 1.0)
        for i in range(arms_supplier.shape[1]):  # CAATSA cuts every sanctioned supplier
            if sanctioned_months[r, i] > 0:
                arms_supplier[r, i] = _bounded(arms_supplier[r, i], d[c[_SANCTIONED_ARMS]] * f)
        threat[r] = _clip(threat[r] + d[c[_THREAT]] * f, 0.0, 1.0)
        regime_insecurity[r] = _clip(regime_insecurity[r] + d[c[_REGIME_INSECURITY]] * f, 0.0, 1.0)
        capability[r] = _clip(capability[r] + d[c[_CAPABILITY]] * f, 0.0, 1.0)
        if made and kinds[_RAISES_TIER, row]:
            tier[r, other] = _max(tier[r, other] + 1.0, offer_tier[r, other])
        assurance_debt[r] = _max(0.0, assurance_debt[r] + d[c[_ASSURANCE_DEBT]] * f)
        china_suspicion[r] = _clip(china_suspicion[r] + d[c[_CHINA_SUSPICION]] * f, 0.0, 3.0)
        reputation_cost[r] = _max(0.0, reputation_cost[r] + d[c[_REPUTATION_COST]] * f)
        up = d[c[_ESCALATION]] if made else 0.0  # a rung is a definition: whole, never scaled
        escalation[r] = _clip(escalation[r] + (up if escalation[r] > 0 or up > 0 else 0.0), 0.0, rung)
        toward_china = actor == vietnam and other == china
        assurance_acts[r] += 1.0 if made and kinds[_ASSURANCE, row] and toward_china else 0.0
        four_nos_violations[r] += 1.0 if made and kinds[_FORBIDDEN, row] else 0.0
        china_coercion[r] += 1.0 if made and kinds[_COERCION, row] and actor == china else 0.0
        use_of_force[r] = _max(use_of_force[r], 1.0 if escalation[r] >= rung else 0.0)


@kernel
def _bounded(x, delta):  # pragma: no cover - compiled
    """Move a [0, 1] quantity by ``delta`` with diminishing returns near its bounds: a rise is
    scaled by the room left (1 - x), a fall by what is there (x), so relations saturate smoothly."""
    return _clip(x + (delta * (1.0 - x) if delta > 0 else delta * x), 0.0, 1.0)


@kernel
def _max(a, b):  # pragma: no cover - compiled
    """numpy's ``maximum`` of two floats (NaN propagates; a tie gives ``a``)."""
    return a if a >= b or np.isnan(a) else b


@kernel
def _clip(x, low, high):  # pragma: no cover - compiled
    """numpy's ``clip`` of a float: ``min(max(x, low), high)``, NaN propagates."""
    if np.isnan(x):
        return x
    x = x if x > low else low
    return x if x < high else high
