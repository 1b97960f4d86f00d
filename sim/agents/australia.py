"""Australia ([PMA2024])."""

from __future__ import annotations

from sim.actions import Action
from sim.agents.base import register_agent
from sim.agents.partner import Partner, PartnerParams, start_tier
from sim.coefficients import coef


class AustraliaParams(PartnerParams):
    """Australia: comprehensive partner since 2009, strategic from Mar 2018, comprehensive strategic
    from Mar 2024 ([PMA2024]; the 2009 and 2018 steps are not in the observed table)."""

    tier: int = start_tier(1, "[PMA2024] (the comprehensive partnership of 2009 it built on)")
    trust: float = coef(0.45, 0, 1, "Vietnam's trust in it at the start")
    interdependence: float = coef(0.05, 0, 1, "share-like weight of trade and investment ties")
    commitment: float = coef(0.45, 0, 1, "willingness to invest in Vietnam")
    rivalry_with_china: float = coef(0.55, 0, 1, "how openly the partner confronts China")
    economy: float = coef(1.45, 0, 100, "GDP, USD trillion, mean of 2013-2023 (IMF WEO, rounded; "
                          "gravity weight)", "[IMFWEO2024]")
    distance_km: float = coef(7747, 100, 20000, "distance from Hanoi to its capital, km (great "
                              "circle; gravity): Canberra", "[Sinnott1984]")
    offer_propensity: float = coef(0.3, 0, 1, "readiness to offer Vietnam a higher tier")


@register_agent
class Australia(Partner):
    """Australia: upgrade offers, development aid and coast-guard help ([PMA2024])."""

    key = "australia"
    Params = AustraliaParams
    MOVES = (Action.UPGRADE_OFFER, Action.ODA, Action.COAST_GUARD_AID, Action.HOLD)
