"""The United States ([VOA2023]; [SCMP2023]; [Heydarian2022])."""

from __future__ import annotations

from sim.actions import Action
from sim.agents.base import register_agent
from sim.agents.partner import Partner, PartnerParams, start_tier
from sim.coefficients import coef
from sim.scenario.schema import Country


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
    economy: float = coef(20.8, 0, 100, "GDP, USD trillion, mean of 2013-2023 (IMF WEO, "
                          "rounded; gravity weight)", "[IMFWEO2024]")
    distance_km: float = coef(13344, 100, 20000, "distance from Hanoi to its capital, km "
                              "(great circle; gravity): Washington", "[Sinnott1984]")
    offer_propensity: float = coef(0.35, 0, 1, "readiness to offer Vietnam a higher tier")


@register_agent
class UnitedStates(Partner):
    """The US: upgrade offers, maritime aid, democracy promotion and CAATSA pressure ([VOA2023];
    [SCMP2023]; [Heydarian2022]). Arms sales only once a scenario lifts the embargo (Oct 2014 /
    May 2016)."""

    key = Country.UNITED_STATES.value
    Params = UnitedStatesParams
    MOVES = (Action.UPGRADE_OFFER, Action.MARITIME_AID, Action.DEMOCRACY_PROMOTION,
             Action.SANCTIONS_PRESSURE, Action.ARMS_SALE, Action.HOLD)
    # CAATSA pressure cuts a sanctioned supplier's arms attractiveness: the sanctions_pressure row
    # of the actions table (actions.sanctions_pressure.sanctioned_arms), applied by sim.effects.
