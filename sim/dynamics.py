"""What changes each month without anyone choosing it: decay toward baselines, countdowns, the
crisis clock, Russia's reliability and arms procurement. Pure functions of the world."""

from __future__ import annotations

import numpy as np

from sim.state import CHINA, World

DECAY = {  # monthly share of the gap to the baseline closed; calibration (docs/model.md)
    "threat": 0.05, "tension": 0.08, "trust": 0.03, "regime_insecurity": 0.03,
    "interdependence": 0.02,
}
DEFENSE_UPKEEP = 0.01  # defense ties fade without exercises and visits; calibration
SUSPICION_DECAY = 0.05
RED_LINE_MEMORY = 0.9
DEBT_DUE = 0.3  # assurance debt above which its age counts


def trust_anchor(world: World, baseline: World) -> np.ndarray:
    """``(R, n)`` the trust each relation settles at: the starting trust, scaled by how the partner's
    commitment compares with its start — a partner that retreats is trusted less (Kuik 2021)."""
    ratio = world.commitment / np.maximum(baseline.commitment, 1e-9)
    return np.clip(baseline.trust * np.sqrt(np.clip(ratio, 0.0, 2.0)), 0.0, 1.0)


def relax(world: World, baseline: World) -> None:
    """Pull moving quantities back toward their anchors (the scenario's starting values)."""
    for name, rate in DECAY.items():
        arr = getattr(world, name)
        anchor = trust_anchor(world, baseline) if name == "trust" else getattr(baseline, name)
        arr += rate * (anchor - arr)
    world.defense *= 1.0 - DEFENSE_UPKEEP
    world.china_suspicion *= 1.0 - SUSPICION_DECAY
    world.red_line *= RED_LINE_MEMORY


def advance_crisis(world: World) -> None:
    """The crisis clock: months run, threat and tension climb with the rung; a crisis at rung 0 ends."""
    crisis = world.in_crisis
    world.crisis_months += crisis
    world.assurance_in_crisis += np.where(crisis, world.assurance_acts, 0)
    world.threat[:] = np.clip(world.threat + 0.005 * world.escalation, 0, 1)
    world.tension[:, CHINA] = np.clip(world.tension[:, CHINA] + 0.01 * world.escalation, 0, 1)
    world.reputation_cost += np.where(crisis, 0.03, -0.2 * world.reputation_cost)  # scrutiny grows
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
    world.debt_age[:] = np.where(world.assurance_debt > DEBT_DUE, world.debt_age + 1, 0)
