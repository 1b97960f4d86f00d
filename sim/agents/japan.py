"""Japan ([VOA2023]; [Grossman2023])."""

from __future__ import annotations

from sim.actions import Action
from sim.agents.base import register_agent
from sim.agents.partner import Partner, PartnerParams, start_tier
from sim.coefficients import coef
from sim.scenario.schema import Country


class JapanParams(PartnerParams):
    """Japan: strategic partnership since 2009, extensive 2014 ([MOFAJ2014]); ODA and coast guard."""

    tier: int = start_tier(2, "[MOFAJ2014]")
    trust: float = coef(0.55, 0, 1, "Vietnam's trust in it at the start")
    interdependence: float = coef(0.3, 0, 1, "share-like weight of trade and investment ties")
    commitment: float = coef(0.6, 0, 1, "willingness to invest in Vietnam")
    arms_supplier: float = coef(0.05, 0, 1, "attractiveness as an arms supplier")
    rivalry_with_china: float = coef(0.5, 0, 1, "how openly the partner confronts China")
    economy: float = coef(4.9, 0, 100, "GDP, USD trillion, mean of 2013-2023 (IMF WEO, "
                          "rounded; gravity weight)", "[IMFWEO2024]")
    distance_km: float = coef(3665, 100, 20000, "distance from Hanoi to its capital, km "
                              "(great circle; gravity): Tokyo", "[Sinnott1984]")
    offer_propensity: float = coef(0.15, 0, 1, "readiness to offer Vietnam a higher tier")


@register_agent
class Japan(Partner):
    """Japan: upgrade offers, ODA and coast-guard capacity building ([VOA2023]; [Grossman2023])."""

    key = Country.JAPAN.value
    Params = JapanParams
    MOVES = (Action.UPGRADE_OFFER, Action.ODA, Action.COAST_GUARD_AID, Action.HOLD)
