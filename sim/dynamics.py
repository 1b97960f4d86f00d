"""What changes each month without anyone choosing it, and the world's own mechanics: decay toward
baselines, countdowns, the crisis clock, opening a crisis or an offer. Pure functions of the world.

Their coefficients are the scenario's ``dynamics`` table (``dynamics.<name>``), read as
``world.k.dynamics.<name>``: arrays with a leading replicate axis.
"""

from __future__ import annotations

import numpy as np

from sim.coefficients import coef
from sim.scenario.schema import Country, Frozen, Tier
from sim.state import CHINA, THREAT_RUNG, USE_OF_FORCE_RUNG, World

FIRST_RUNGS = 2  # an incident's severity 0..1 opens the crisis on rung 1..3 (definition, DESIGN.md)


class Dynamics(Frozen):
    """Monthly relaxation, the crisis clock, and what an incident or an offer sets."""

    threat_decay: float = coef(0.05, 0, 1, "monthly share of the gap to baseline threat closed")
    tension_decay: float = coef(0.08, 0, 1, "monthly share of the gap to baseline tension closed")
    trust_decay: float = coef(0.03, 0, 1, "monthly share of the gap to the trust anchor closed")
    regime_insecurity_decay: float = coef(0.03, 0, 1, "monthly share of the gap to baseline regime "
                                          "insecurity closed")
    interdependence_decay: float = coef(0.02, 0, 1, "monthly share of the gap to baseline "
                                        "interdependence closed")
    trust_commitment_cap: float = coef(2.0, 1, 10, "the trust anchor follows sqrt(commitment / its "
                                       "start), capped at this ratio", "[Kuik2021]")
    defense_upkeep: float = coef(0.01, 0, 0.5, "share of a defense tie lost per month without "
                                 "exercises and visits")
    suspicion_decay: float = coef(0.05, 0, 1, "share of China's suspicion that fades per month")
    red_line_memory: float = coef(0.9, 0, 1, "share of the red-line memory kept per month")
    debt_due: float = coef(0.3, 0, 3, "assurance debt above which its age counts")
    crisis_threat: float = coef(0.005, 0, 0.1, "threat added per month per crisis rung")
    crisis_tension: float = coef(0.01, 0, 0.1, "Vietnam-China tension added per month per crisis rung")
    scrutiny: float = coef(0.03, 0, 0.5, "reputational cost China accrues per crisis month",
                           "[Thayer2011]")
    scrutiny_fade: float = coef(0.2, 0, 1, "share of reputational cost that fades per calm month")
    incident_threat: float = coef(0.15, 0, 1, "threat added by an incident per unit of severity",
                                  "[Diplomat2023]")
    incident_tension: float = coef(0.2, 0, 1, "tension added by an incident per unit of severity",
                                   "[Diplomat2023]")
    offer_open_months: float = coef(12, 1, 60, "months an upgrade offer stays on the table")
    memory_incident: float = coef(0.5, 0, 3, "coercion memory added by an incident per unit of "
                                  "severity", "[Diplomat2023]; [Kuik2021]")
    memory_crisis: float = coef(0.1, 0, 1, "coercion memory added per crisis month per rung / 5",
                                "[Kuik2021]")
    memory_decay: float = coef(0.03, 0, 1, "share of the coercion memory that fades per month "
                               "(half-life ~2 years)")
    trade_scale: float = coef(0.277, 0, 5, "gravity: interdependence settles at 1 - exp(-this x GDP / "
                              "(distance / 1000 km)^elasticity); set so China's anchor is ~0.8 "
                              "(largest partner, > $175bn trade 2022)", "[VOA2023]")
    distance_elasticity: float = coef(1.0, 0, 3, "gravity: how fast a partner's economic weight falls "
                                      "with distance (gravity models find about 1)")
    memory_threat: float = coef(0.25, 0, 1, "rise of the threat anchor per unit of coercion memory "
                                "(saturating: x (1 - baseline threat))", "[Kuik2021]")


DECAYING = ("threat", "tension", "trust", "regime_insecurity", "interdependence")


def per_replicate(coefficient: np.ndarray, like: np.ndarray) -> np.ndarray:
    """An ``(R,)`` coefficient shaped to broadcast over ``like``'s trailing axes (``(R, 1)``...)."""
    return coefficient.reshape(coefficient.shape + (1,) * (like.ndim - 1))


def trust_anchor(world: World, baseline: World) -> np.ndarray:
    """``(R, n)`` the trust each relation settles at: the starting trust, scaled by how the partner's
    commitment compares with its start — a partner that retreats is trusted less ([Kuik2021])."""
    ratio = world.commitment / np.maximum(baseline.commitment, 1e-9)
    cap = world.k.dynamics.trust_commitment_cap[:, None]
    return np.clip(baseline.trust * np.sqrt(np.clip(ratio, 0.0, cap)), 0.0, 1.0)


def threat_anchor(world: World, baseline: World) -> np.ndarray:
    """``(R,)`` the threat Vietnam's perception settles at: the starting threat, raised by the memory
    of sustained coercion ([Kuik2021]: threat is read from a pattern of behaviour, not one incident).
    The rise saturates (x the room above the baseline), so the anchor stays below 1."""
    d = world.k.dynamics
    rise = 1.0 - np.exp(-d.memory_threat * world.coercion_memory)
    return baseline.threat + (1.0 - baseline.threat) * rise


def trade_anchor(world: World) -> np.ndarray:
    """``(R, n)`` the interdependence each relation settles at: a gravity weight of the partner's
    economic size over its distance from Vietnam, saturating below 1. China's lead as the largest
    economic partner follows from its size and proximity, not from a starting value; trade deals
    and economic punishment move interdependence around this anchor.

    Sizes and distances do not change in a run, and the coefficients never do, so the anchor (a
    power and an exponential of every relation, needed twice a month) is kept on the world, read-only,
    and made again only when ``economy`` or ``distance`` differ from what it was made of (compared
    at every call: a notebook may set them)."""
    kept = world.__dict__.get("_trade_anchor")  # not a field of World: copies make their own
    if (kept is not None and np.array_equal(kept[0], world.economy)
            and np.array_equal(kept[1], world.distance)):
        return kept[2]
    d = world.k.dynamics
    elasticity = per_replicate(d.distance_elasticity, world.distance)
    reach = (np.maximum(world.distance, 1.0) / 1000.0) ** -elasticity
    anchor = 1.0 - np.exp(-per_replicate(d.trade_scale, world.economy) * world.economy * reach)
    anchor.setflags(write=False)
    world.__dict__["_trade_anchor"] = (world.economy.copy(), world.distance.copy(), anchor)
    return anchor


def remember_coercion(world: World, severity: np.ndarray) -> None:
    """Add ``severity`` (R,) times ``memory_incident`` to Vietnam's coercion memory."""
    world.coercion_memory += world.k.dynamics.memory_incident * severity


def relax(world: World, baseline: World) -> None:
    """Pull moving quantities back toward their anchors (the scenario's starting values; threat's
    anchor rises with the memory of coercion, which itself fades slowly; interdependence settles at
    its gravity weight, :func:`trade_anchor`)."""
    d = world.k.dynamics
    anchors = {"trust": trust_anchor(world, baseline), "threat": threat_anchor(world, baseline),
               "interdependence": trade_anchor(world)}
    for name in DECAYING:
        arr = getattr(world, name)
        rate = per_replicate(getattr(d, f"{name}_decay"), arr)
        anchor = anchors.get(name, getattr(baseline, name))
        arr += rate * (anchor - arr)
    world.coercion_memory *= 1.0 - d.memory_decay
    world.defense *= 1.0 - d.defense_upkeep[:, None]
    world.china_suspicion *= 1.0 - d.suspicion_decay
    world.red_line *= d.red_line_memory


def advance_crisis(world: World) -> None:
    """The crisis clock: months run, threat and tension climb with the rung; a crisis at rung 0 ends."""
    d = world.k.dynamics
    crisis = world.in_crisis
    world.crisis_months += crisis
    world.assurance_in_crisis += np.where(crisis, world.assurance_acts, 0)
    world.threat[:] = np.clip(world.threat + d.crisis_threat * world.escalation, 0, 1)
    world.coercion_memory += d.memory_crisis * world.escalation / USE_OF_FORCE_RUNG
    world.tension[:, CHINA] = np.clip(world.tension[:, CHINA] + d.crisis_tension * world.escalation, 0, 1)
    world.reputation_cost += np.where(crisis, d.scrutiny, -d.scrutiny_fade * world.reputation_cost)
    world.crisis_severity[:] = np.where(crisis, world.crisis_severity, 0)
    world.crisis_months[:] = np.where(crisis, world.crisis_months, 0)


def count_down(world: World) -> None:
    """Offers expire, sanctions and shocks run out, summits last one month."""
    for name in ("offer_months", "sanctioned_months", "community_offer", "package_cooldown",
                 "economic_shock"):
        arr = getattr(world, name)
        np.maximum(arr - 1, 0, out=arr)
    world.summit[:] = 0
    world.shock_severity[:] = np.where(world.economic_shock > 0, world.shock_severity, 0)
    world.debt_age[:] = np.where(world.assurance_debt > world.k.dynamics.debt_due, world.debt_age + 1, 0)


def open_crisis(world: World, where: np.ndarray, severity: np.ndarray | float) -> None:
    """An incident at sea: open a crisis (or deepen the one under way) where ``where`` is True.

    The first rung follows severity (presence, standoff, water cannon); threat and tension rise.
    """
    d = world.k.dynamics
    severity = np.broadcast_to(np.asarray(severity, dtype=float), where.shape)
    new = where & ~world.in_crisis
    first_rung = 1 + np.round(FIRST_RUNGS * severity)
    world.crisis_count += new
    world.escalation[:] = np.where(where, np.maximum(world.escalation, first_rung), world.escalation)
    world.crisis_severity[:] = np.where(where, np.maximum(world.crisis_severity, severity),
                                        world.crisis_severity)
    world.crisis_months[:] = np.where(new, 0, world.crisis_months)
    world.assurance_in_crisis[:] = np.where(new, 0, world.assurance_in_crisis)
    world.reputation_cost[:] = np.where(new, 0, world.reputation_cost)
    world.threat[:] = np.clip(world.threat + np.where(where, d.incident_threat * severity, 0), 0, 1)
    world.tension[:, CHINA] = np.clip(
        world.tension[:, CHINA] + np.where(where, d.incident_tension * severity, 0), 0, 1)
    remember_coercion(world, np.where(where, severity, 0.0))


def threaten(world: World, where: np.ndarray) -> None:
    """A direct threat of force where ``where`` is True: the crisis under way jumps to
    :data:`~sim.state.THREAT_RUNG` (never down). The threat's other effects (threat perception,
    tension, trust) are its row of the action table."""
    world.escalation[:] = np.where(where & world.in_crisis, np.maximum(world.escalation, THREAT_RUNG),
                                   world.escalation)


def end_crisis(world: World, where: np.ndarray, by: Country) -> None:
    """The crisis ends where ``where`` is True: ``by`` (China or Vietnam) stepped down to rung 0 or
    conceded; the month's ``ended_by_<by>`` counter records it."""
    world.escalation[:] = np.where(where, 0, world.escalation)
    ended = getattr(world, f"ended_by_{by.value}")
    ended += where


def open_package(world: World, where: np.ndarray, cooldown: np.ndarray,
                 community_months: np.ndarray) -> None:
    """A Chinese summit package is on the table where ``where`` is True: no other for ``cooldown``
    months, and, if China is at the top tier but one, its community offer stays open for
    ``community_months`` ([VOA2023]; [Grossman2023])."""
    world.package_cooldown[:] = np.where(where, cooldown, world.package_cooldown)
    can_upgrade = where & (world.tier[:, CHINA] == int(Tier.COMPREHENSIVE_STRATEGIC))
    world.community_offer[:] = np.where(can_upgrade, community_months, world.community_offer)


def open_offer(world: World, partner: int, where: np.ndarray, tier: np.ndarray | float) -> None:
    """Put an upgrade to ``tier`` on the table for ``offer_open_months`` where ``where`` is True."""
    if partner == CHINA or not where.any():
        return
    tier = np.minimum(np.asarray(tier, dtype=float), int(Tier.COMPREHENSIVE_STRATEGIC))  # (R,) or one
    months = world.k.dynamics.offer_open_months
    np.copyto(world.offer_months[:, partner], months, where=where)  # a column: a view, set in place
    np.copyto(world.offer_tier[:, partner], tier, where=where)
