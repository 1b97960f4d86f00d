"""A generic partner state (India, South Korea, Australia...), and the base of the US, Japan and
Russia: offers upgrades, aid and arms. A scenario adds one with ``type: partner``."""

from __future__ import annotations

import numpy as np

from sim.actions import INDEX, Action
from sim.agents.base import StateAgent
from sim.state import CHINA, VIETNAM, World

OFFER_OPEN_MONTHS = 12  # calibration: an upgrade offer stays on the table for a year


class Partner(StateAgent):
    """A generic partner (India, South Korea, Australia...): offers upgrades, aid and arms."""

    MOVES: tuple[Action, ...] = (Action.UPGRADE_OFFER, Action.ODA, Action.COAST_GUARD_AID,
                                 Action.ARMS_SALE, Action.HOLD)

    def menu_items(self, world: World) -> list[tuple[Action, int]]:
        return [(a, VIETNAM) for a in self.MOVES]

    def available(self, world: World) -> np.ndarray:
        me = self.index
        offer_open = (world.offer_months[:, me] > 0) | (world.tier[:, me] >= 3)
        return ~(self.menu.is_(Action.UPGRADE_OFFER) & offer_open[:, None])

    def values(self, world: World) -> dict[Action, np.ndarray]:
        """Value of each move, shape ``(R,)``: commitment drives engagement, threat invites help."""
        me, p = self.index, self.params
        commit, threat = world.commitment[:, me], world.threat
        warmth = world.trust[:, me] + 0.5 * world.interdependence[:, me]
        return {
            Action.UPGRADE_OFFER: 1.5 * p.offer_propensity * commit * (0.5 + warmth) - 1.4,
            Action.ODA: 0.3 * commit + 0.1 * world.interdependence[:, me] - 0.25,
            Action.COAST_GUARD_AID: 0.4 * commit * threat * (0.5 + p.rivalry_with_china) - 0.3,
            Action.ARMS_SALE: world.arms_supplier[:, me] * world.reliability[:, me] * (0.3 + threat) - 0.3,
            Action.MARITIME_AID: 0.5 * commit * threat * (0.5 + p.rivalry_with_china) - 0.35,
            Action.DEMOCRACY_PROMOTION: world.democracy_promotion[:, me] - 0.35,
            Action.SANCTIONS_PRESSURE: np.zeros(world.replicates),
            Action.IDEOLOGICAL_SOLIDARITY: 0.2 * world.trust[:, me] - 0.05,
            Action.HOLD: np.zeros(world.replicates),
        }

    def utilities(self, world: World) -> np.ndarray:
        values = self.values(world)
        return np.stack([np.broadcast_to(values[self.action_of(i)], (world.replicates,))
                         for i in self.menu.actions], axis=1)

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        offered = actions == INDEX[Action.UPGRADE_OFFER]
        open_offer(world, self.index, offered, world.tier[:, self.index] + 1)


def open_offer(world: World, partner: int, where: np.ndarray, tier: np.ndarray | float) -> None:
    """Put an upgrade to ``tier`` on the table for ``OFFER_OPEN_MONTHS`` where ``where`` is True."""
    if partner == CHINA or not where.any():
        return
    tier = np.minimum(np.broadcast_to(np.asarray(tier, dtype=float), where.shape), 3)
    world.offer_months[:, partner] = np.where(where, OFFER_OPEN_MONTHS, world.offer_months[:, partner])
    world.offer_tier[:, partner] = np.where(where, tier, world.offer_tier[:, partner])
