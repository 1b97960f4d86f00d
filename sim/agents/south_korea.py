"""South Korea ([ROK2009]; [ROK2022])."""

from __future__ import annotations

from sim.actions import Action
from sim.agents.base import register_agent
from sim.agents.partner import Partner, PartnerParams, start_tier
from sim.coefficients import coef


class SouthKoreaParams(PartnerParams):
    """South Korea: strategic cooperative partner since Oct 2009 ([ROK2009]), comprehensive strategic
    from Dec 2022 ([ROK2022]); a large investor, careful with Beijing."""

    tier: int = start_tier(2, "[ROK2009]")
    trust: float = coef(0.5, 0, 1, "Vietnam's trust in it at the start")
    interdependence: float = coef(0.15, 0, 1, "share-like weight of trade and investment ties")
    commitment: float = coef(0.55, 0, 1, "willingness to invest in Vietnam")
    rivalry_with_china: float = coef(0.25, 0, 1, "how openly the partner confronts China")
    economy: float = coef(1.64, 0, 100, "GDP, USD trillion, mean of 2013-2023 (IMF WEO, rounded; "
                          "gravity weight)", "[IMFWEO2024]")
    distance_km: float = coef(2741, 100, 20000, "distance from Hanoi to its capital, km (great "
                              "circle; gravity): Seoul", "[Sinnott1984]")
    offer_propensity: float = coef(0.3, 0, 1, "readiness to offer Vietnam a higher tier")


@register_agent
class SouthKorea(Partner):
    """South Korea: upgrade offers, development aid and coast-guard help ([ROK2022])."""

    key = "south_korea"
    Params = SouthKoreaParams
    MOVES = (Action.UPGRADE_OFFER, Action.ODA, Action.COAST_GUARD_AID, Action.HOLD)
