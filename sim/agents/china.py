"""China: presses its claims at sea, pulls Vietnam back with inducements and summits, and warns.

The crisis ladder (DESIGN.md): in a crisis China weighs pressing on (its assertiveness, Vietnam's
defiance) against the cost (economic interdependence, US commitment and defense ties with Vietnam,
accumulated reputational cost, Vietnam's assurance, and the rising risk of each higher rung).
Crises end when pressing on costs more than it gains ([Diplomat2023]: every crisis ended without force).
Status anxiety ([SCMP2023]): when a rival reaches China's tier, Beijing proposes a summit with a
package of agreements and a symbolic upgrade ([VOA2023], [Grossman2023]).
"""

from __future__ import annotations

import numpy as np

from sim.actions import INDEX, Action, AgreementKind
from sim.agents.base import StateAgent
from sim.scenario.schema import Country
from sim.state import CHINA, USE_OF_FORCE_RUNG, VIETNAM, World

MOVES = (Action.GRAY_ZONE_INCIDENT, Action.ESCALATE, Action.DE_ESCALATE, Action.INDUCEMENT,
         Action.PROPOSE_PACKAGE, Action.WARNING, Action.ECONOMIC_PUNISHMENT, Action.HOLD)
PACKAGE_COOLDOWN_MONTHS = 24  # calibration: Xi's state visits to Hanoi were years apart ([Grossman2023])
COMMUNITY_OFFER_MONTHS = 3


class China(StateAgent):
    """Beijing's monthly move."""

    def menu_items(self, world: World) -> list[tuple[Action, int]]:
        return [(a, VIETNAM) for a in MOVES]

    def available(self, world: World) -> np.ndarray:
        m = self.menu
        crisis = world.in_crisis[:, None]
        return ~((m.is_(Action.ESCALATE, Action.DE_ESCALATE) & ~crisis)
                 | (m.is_(Action.GRAY_ZONE_INCIDENT) & crisis)
                 | (m.is_(Action.PROPOSE_PACKAGE) & (world.package_cooldown[:, None] > 0)))

    def status_anxiety(self, world: World) -> np.ndarray:
        """``(R,)``: rivals at or above China's tier, weighted by rivalry, plus suspicion."""
        parity = (world.tier[:, 2:] >= world.tier[:, [CHINA]]) * world.rivalry[:, 2:]
        return self.params.status_sensitivity * (parity.sum(axis=1) + 0.25 * world.china_suspicion)

    def cost_of_pressing(self, world: World) -> np.ndarray:
        """``(R,)``: what one more rung would cost Beijing (DESIGN.md, "Crisis ladder")."""
        us = world.index(Country.UNITED_STATES.value)
        rung = world.escalation + 1
        return (0.5 * world.interdependence[:, CHINA]
                + 0.6 * world.commitment[:, us] * (0.3 + world.defense[:, us])
                + self.params.reputation_weight * world.reputation_cost
                + 0.25 * np.minimum(world.assurance_in_crisis, 3)
                + 0.08 * rung ** 2 + 3.0 * (rung >= USE_OF_FORCE_RUNG))

    def utilities(self, world: World) -> np.ndarray:
        p, m = self.params, self.menu
        a = p.assertiveness
        suspicion, interdep = world.china_suspicion, world.interdependence[:, CHINA]
        gain_pressing = 1.2 * a + 0.3 * world.stood_firm + 0.2 * world.crisis_severity
        fatigue = 0.2 * world.crisis_months
        values = {
            Action.GRAY_ZONE_INCIDENT: 0.7 * a + 0.3 * suspicion - 0.6 * interdep - 1.0,
            Action.ESCALATE: gain_pressing - self.cost_of_pressing(world),
            Action.DE_ESCALATE: (p.reputation_weight * world.reputation_cost + fatigue
                                 + 0.2 * np.minimum(world.assurance_in_crisis, 3) - 0.5 * a),
            Action.INDUCEMENT: 0.25 * suspicion + 0.1 * (1 - a) - 0.25,
            Action.PROPOSE_PACKAGE: 1.2 * self.status_anxiety(world) - 1.3,
            Action.WARNING: 0.6 * suspicion - 0.5,
            Action.ECONOMIC_PUNISHMENT: 0.4 * suspicion * a - 0.5 * interdep - 0.4,
            Action.HOLD: np.zeros(world.replicates),
        }
        return np.stack([np.broadcast_to(values[self.action_of(i)], (world.replicates,))
                         for i in m.actions], axis=1)

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        incident = actions == INDEX[Action.GRAY_ZONE_INCIDENT]
        if incident.any():
            draw = self.model.streams.random(world.replicates, where=incident)
            severity = 0.2 + 0.5 * self.params.assertiveness * np.nan_to_num(draw)
            open_crisis(world, incident, severity)
        proposed = actions == INDEX[Action.PROPOSE_PACKAGE]
        if proposed.any():
            world.package_cooldown[:] = np.where(proposed, PACKAGE_COOLDOWN_MONTHS, world.package_cooldown)
            can_upgrade = proposed & (world.tier[:, CHINA] == 3)
            world.community_offer[:] = np.where(can_upgrade, COMMUNITY_OFFER_MONTHS, world.community_offer)
            self.model.vietnam.answer_package(world, self.package_kinds(), proposed)

    def package_kinds(self) -> np.ndarray:
        """The tags of a package's agreements, in proportions set by the scenario ([VOA2023])."""
        p = self.params
        n = p.package_size
        counts = [round(n * s) for s in (p.package_symbolic_share, 0.0, p.package_security_share,
                                         p.package_resource_share)]
        counts[AgreementKind.ECONOMIC] = max(0, n - sum(counts))
        return np.repeat(np.arange(len(AgreementKind)), counts)


def open_crisis(world: World, where: np.ndarray, severity: np.ndarray | float) -> None:
    """An incident at sea: open a crisis (or deepen the one under way) where ``where`` is True.

    The first rung follows severity (presence, standoff, water cannon); threat and tension rise.
    """
    severity = np.broadcast_to(np.asarray(severity, dtype=float), where.shape)
    new = where & ~world.in_crisis
    first_rung = 1 + np.round(2 * severity)
    world.crisis_count += new
    world.escalation[:] = np.where(where, np.maximum(world.escalation, first_rung), world.escalation)
    world.crisis_severity[:] = np.where(where, np.maximum(world.crisis_severity, severity),
                                        world.crisis_severity)
    world.crisis_months[:] = np.where(new, 0, world.crisis_months)
    world.assurance_in_crisis[:] = np.where(new, 0, world.assurance_in_crisis)
    world.reputation_cost[:] = np.where(new, 0, world.reputation_cost)
    world.threat[:] = np.clip(world.threat + np.where(where, 0.15 * severity, 0), 0, 1)
    world.tension[:, CHINA] = np.clip(world.tension[:, CHINA] + np.where(where, 0.2 * severity, 0), 0, 1)
