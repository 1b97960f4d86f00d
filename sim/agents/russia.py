"""Russia ([Heydarian2022])."""

from __future__ import annotations

import numpy as np

from sim.actions import Action
from sim.agents.partner import Partner
from sim.state import World


class Russia(Partner):
    """Russia: arms sales and ideological solidarity; its reliability falls under sanctions and
    with its dependence on China, while shared history keeps its tier ([Heydarian2022])."""

    MOVES = (Action.ARMS_SALE, Action.IDEOLOGICAL_SOLIDARITY, Action.UPGRADE_OFFER, Action.HOLD)

    def erode_reliability(self, world: World) -> None:
        """Monthly: sanctions cut reliability; without them it recovers slowly toward its start."""
        me, p = self.index, self.params
        sanctioned = world.sanctioned_months[:, me] > 0
        target = p.reliability * (1.0 - 0.5 * p.dependence_on_china)
        current = world.reliability[:, me]
        drift = np.where(sanctioned, -0.03 * current, 0.01 * (target - current))
        world.reliability[:, me] = np.clip(current + drift, 0, 1)
