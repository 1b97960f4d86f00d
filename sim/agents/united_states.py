"""The United States ([VOA2023], [SCMP2023], [Heydarian2022])."""

from __future__ import annotations

import numpy as np

from sim.actions import INDEX, Action
from sim.agents.partner import Partner
from sim.scenario.schema import Country
from sim.state import World


class UnitedStates(Partner):
    """The US: upgrade offers, maritime aid, democracy promotion and CAATSA pressure ([VOA2023],
    002, 003). Arms sales only once a scenario lifts the embargo (Oct 2014 / May 2016)."""

    MOVES = (Action.UPGRADE_OFFER, Action.MARITIME_AID, Action.DEMOCRACY_PROMOTION,
             Action.SANCTIONS_PRESSURE, Action.ARMS_SALE, Action.HOLD)

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        super().after_moves(world, actions, targets)
        pressed = actions == INDEX[Action.SANCTIONS_PRESSURE]
        russia = world.index(Country.RUSSIA.value)
        world.arms_supplier[:, russia] *= np.where(pressed, 0.9, 1.0)  # CAATSA raises the price
