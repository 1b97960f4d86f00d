"""The United States ([VOA2023]; [SCMP2023]; [Heydarian2022])."""

from __future__ import annotations

import numpy as np

from sim.actions import INDEX, Action
from sim.agents.base import register_agent
from sim.agents.partner import Partner, PartnerParams, start_tier
from sim.coefficients import coef
from sim.scenario.schema import Country
from sim.state import World


class UnitedStatesParams(PartnerParams):
    """The US: comprehensive partnership from Jul 2013 ([WhiteHouse2013]); democracy promotion
    ([Heydarian2022])."""

    tier: int = start_tier(0, "[WhiteHouse2013]")
    trust: float = coef(0.3, 0, 1, "Vietnam's trust in it at the start")
    interdependence: float = coef(0.3, 0, 1, "share-like weight of trade and investment ties")
    commitment: float = coef(0.65, 0, 1, "willingness to invest in Vietnam (the US knob of DESIGN.md)")
    democracy_promotion: float = coef(0.35, 0, 1, "pressure on Vietnam's regime", "[Heydarian2022]")
    arms_supplier: float = coef(0.15, 0, 1, "attractiveness as an arms supplier (embargo until 2016; "
                                "expensive kit)")
    rivalry_with_china: float = coef(0.7, 0, 1, "how openly the partner confronts China")
    offer_propensity: float = coef(0.35, 0, 1, "readiness to offer Vietnam a higher tier")
    caatsa_arms_factor: float = coef(0.9, 0, 1, "Russia's arms-supplier attractiveness x this after "
                                     "each month of CAATSA pressure", "[Heydarian2022]")


@register_agent
class UnitedStates(Partner):
    """The US: upgrade offers, maritime aid, democracy promotion and CAATSA pressure ([VOA2023];
    [SCMP2023]; [Heydarian2022]). Arms sales only once a scenario lifts the embargo (Oct 2014 /
    May 2016)."""

    key = Country.UNITED_STATES.value
    Params = UnitedStatesParams
    MOVES = (Action.UPGRADE_OFFER, Action.MARITIME_AID, Action.DEMOCRACY_PROMOTION,
             Action.SANCTIONS_PRESSURE, Action.ARMS_SALE, Action.HOLD)

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        super().after_moves(world, actions, targets)
        pressed = actions == INDEX[Action.SANCTIONS_PRESSURE]
        russia = world.index(Country.RUSSIA.value)
        world.arms_supplier[:, russia] *= np.where(pressed, self.k.caatsa_arms_factor, 1.0)  # CAATSA
