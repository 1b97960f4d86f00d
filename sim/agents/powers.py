"""The United States, Japan, Russia and any added partner: each engages Vietnam in its own way.

They share one shape (offer upgrades, aid, sell arms) with different repertoires and weights, so
they live together here; each class's docstring names its sources.
"""

from __future__ import annotations

import numpy as np

from sim.actions import INDEX, Action
from sim.agents.base import StateAgent
from sim.scenario.schema import Country
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


class UnitedStates(Partner):
    """The US: upgrade offers, maritime aid, democracy promotion and CAATSA pressure (seeds 000,
    002, 003). Arms sales only once a scenario lifts the embargo (Oct 2014 / May 2016)."""

    MOVES = (Action.UPGRADE_OFFER, Action.MARITIME_AID, Action.DEMOCRACY_PROMOTION,
             Action.SANCTIONS_PRESSURE, Action.ARMS_SALE, Action.HOLD)

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        super().after_moves(world, actions, targets)
        pressed = actions == INDEX[Action.SANCTIONS_PRESSURE]
        russia = world.index(Country.RUSSIA.value)
        world.arms_supplier[:, russia] *= np.where(pressed, 0.9, 1.0)  # CAATSA raises the price


class Japan(Partner):
    """Japan: upgrade offers, ODA and coast-guard capacity building (seeds 000, 001)."""

    MOVES = (Action.UPGRADE_OFFER, Action.ODA, Action.COAST_GUARD_AID, Action.HOLD)


class Russia(Partner):
    """Russia: arms sales and ideological solidarity; its reliability falls under sanctions and
    with its dependence on China, while shared history keeps its tier (seed 003)."""

    MOVES = (Action.ARMS_SALE, Action.IDEOLOGICAL_SOLIDARITY, Action.UPGRADE_OFFER, Action.HOLD)

    def erode_reliability(self, world: World) -> None:
        """Monthly: sanctions cut reliability; without them it recovers slowly toward its start."""
        me, p = self.index, self.params
        sanctioned = world.sanctioned_months[:, me] > 0
        target = p.reliability * (1.0 - 0.5 * p.dependence_on_china)
        drift = np.where(sanctioned, -0.03 * world.reliability[:, me], 0.01 * (target - world.reliability[:, me]))
        world.reliability[:, me] = np.clip(world.reliability[:, me] + drift, 0, 1)


def open_offer(world: World, partner: int, where: np.ndarray, tier: np.ndarray | float) -> None:
    """Put an upgrade to ``tier`` on the table for ``OFFER_OPEN_MONTHS`` where ``where`` is True."""
    if partner == CHINA or not where.any():
        return
    tier = np.minimum(np.broadcast_to(np.asarray(tier, dtype=float), where.shape), 3)
    world.offer_months[:, partner] = np.where(where, OFFER_OPEN_MONTHS, world.offer_months[:, partner])
    world.offer_tier[:, partner] = np.where(where, tier, world.offer_tier[:, partner])
