"""India ([MEA2016]; [Grossman2023])."""

from __future__ import annotations

from sim.agents.base import register_agent
from sim.agents.partner import Partner, PartnerParams, start_tier
from sim.coefficients import coef


class IndiaParams(PartnerParams):
    """India: strategic partner since 2007, the tier its 2016 comprehensive strategic partnership
    upgraded ([MEA2016]; [Grossman2023]: with Russia, Vietnam's only other CSP until 2022). Its
    rivalry with China (the Himalayan border) makes Vietnam strategically valuable to it."""

    tier: int = start_tier(2, "[MEA2016] (the strategic partnership of 2007 it upgraded)")
    trust: float = coef(0.55, 0, 1, "Vietnam's trust in it at the start")
    interdependence: float = coef(0.2, 0, 1, "share-like weight of trade and investment ties")
    defense: float = coef(0.1, 0, 1, "depth of defense cooperation with Vietnam at the start")
    commitment: float = coef(0.45, 0, 1, "willingness to invest in Vietnam ('Act East')")
    arms_supplier: float = coef(0.1, 0, 1, "attractiveness as an arms supplier (defence credit lines)")
    rivalry_with_china: float = coef(0.5, 0, 1, "how openly the partner confronts China")
    economy: float = coef(2.6, 0, 100, "GDP, USD trillion, mean of 2013-2023 (IMF WEO, rounded; "
                          "gravity weight)", "[IMFWEO2024]")
    distance_km: float = coef(3002, 100, 20000, "distance from Hanoi to its capital, km (great "
                              "circle; gravity): New Delhi", "[Sinnott1984]")
    offer_propensity: float = coef(0.3, 0, 1, "readiness to offer Vietnam a higher tier")


@register_agent
class India(Partner):
    """India: upgrade offers, arms on credit and coast-guard help ([MEA2016])."""

    key = "india"
    Params = IndiaParams
