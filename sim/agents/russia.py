"""Russia ([Heydarian2022])."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from sim.actions import Action
from sim.agents.base import register_agent
from sim.agents.partner import Partner, PartnerParams, start_tier
from sim.coefficients import coef
from sim.scenario.schema import Country, Frozen
from sim.state import World


class ReliabilityDrift(Frozen):
    """How Russia's reliability as a supplier moves each month ([Heydarian2022])."""

    sanctions_erosion: float = coef(0.03, 0, 0.5, "share of reliability lost per month under sanctions",
                                    "[Heydarian2022]")
    recovery: float = coef(0.01, 0, 0.5, "share of the gap to its target recovered per month without "
                           "sanctions")
    china_dependence_cut: float = coef(0.5, 0, 1, "target reliability x (1 - this x dependence on China)",
                                       "[Heydarian2022]")


class RussiaParams(PartnerParams):
    """Russia: CSP since Jul 2012, main arms supplier ([Heydarian2022])."""

    tier: int = start_tier(3, "[Kremlin2012]")
    trust: float = coef(0.6, 0, 1, "Vietnam's trust in it at the start")
    interdependence: float = coef(0.05, 0, 1, "share-like weight of trade and investment ties")
    defense: float = coef(0.45, 0, 1, "depth of defense cooperation with Vietnam at the start")
    commitment: float = coef(0.5, 0, 1, "willingness to invest in Vietnam")
    arms_supplier: float = coef(0.8, 0, 1, "attractiveness as an arms supplier (> half of Russia's "
                                "regional arms exports went to Vietnam)", "[Heydarian2022]")
    reliability: float = coef(0.85, 0, 1, "whether its arms keep coming", "[Heydarian2022]")
    rivalry_with_china: float = coef(0.0, 0, 1, "how openly the partner confronts China")
    economy: float = coef(1.8, 0, 100, "GDP, USD trillion, mean of 2013-2023 (IMF WEO, "
                          "rounded; gravity weight)", "[IMFWEO2024]")
    distance_km: float = coef(6734, 100, 20000, "distance from Hanoi to its capital, km "
                              "(great circle; gravity): Moscow", "[Sinnott1984]")
    dependence_on_china: float = coef(0.2, 0, 1, "dependence on China; erodes reliability as it grows",
                                      "[Heydarian2022]")
    offer_propensity: float = coef(0.1, 0, 1, "readiness to offer Vietnam a higher tier")
    drift: ReliabilityDrift = Field(default_factory=ReliabilityDrift)


@register_agent
class Russia(Partner):
    """Russia: arms sales and ideological solidarity; its reliability falls under sanctions and
    with its dependence on China, while shared history keeps its tier ([Heydarian2022])."""

    key = Country.RUSSIA.value
    Params = RussiaParams
    MOVES = (Action.ARMS_SALE, Action.IDEOLOGICAL_SOLIDARITY, Action.UPGRADE_OFFER, Action.HOLD)

    def erode_reliability(self, world: World) -> None:
        """Monthly: sanctions cut reliability; without them it recovers slowly toward its start."""
        me, k, d = self.index, self.k, self.k.drift
        sanctioned = world.sanctioned_months[:, me] > 0
        target = k.reliability * (1.0 - d.china_dependence_cut * k.dependence_on_china)
        current = world.reliability[:, me]
        drift = np.where(sanctioned, -d.sanctions_erosion * current, d.recovery * (target - current))
        world.reliability[:, me] = np.clip(current + drift, 0, 1)
