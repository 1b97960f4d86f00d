"""A generic partner state (India, South Korea, Australia...), and the base of the US, Japan and
Russia: offers upgrades, aid and arms. A scenario adds one with ``type: partner``; a state with a
class of its own (registered with :func:`sim.agents.base.register_agent`) enters by its name."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim.actions import INDEX, Action
from sim.agents.base import StateAgent
from sim.coefficients import coef, count
from sim.decision import bernoulli, logistic
from sim.dynamics import open_offer
from sim.scenario.schema import Frozen, Latitude, Longitude, Tier
from sim.state import ALL, VIETNAM, World
from sim.streams import Purpose

TOP_TIER = int(Tier.COMPREHENSIVE_STRATEGIC)  # the highest tier a partner other than China reaches


class PartnerUtility(Frozen):
    """What each of a partner's moves is worth to it (:meth:`Partner.values`)."""

    # an upgrade is worth to a partner what Vietnam is worth to it ([Grossman2023]: Hanoi's ties with
    # "strategically significant nations"; [SCMP2023]: the US and Japan courted Hanoi in 2023)
    offer_rivalry: float = coef(0.8, 0, 5, "value of a higher tier per unit of rivalry with China x "
                                "(base + Vietnam's threat perception): Vietnam's strategic value to "
                                "China's rivals grows with Beijing's pressure", "[Grossman2023]; [SCMP2023]")
    offer_value_base: float = coef(0.3, 0, 2, "threat added before scaling the strategic value")
    offer_commitment: float = coef(0.6, 0, 5, "value of a higher tier per unit of commitment to the region")
    offer_trust: float = coef(0.3, 0, 5, "value of a higher tier per unit of Vietnam's trust")
    offer_trade: float = coef(0.5, 0, 5, "value of a higher tier per unit of interdependence (economic gain)")
    offer_readiness: float = coef(0.5, 0, 5, "value of a higher tier per unit of offer_propensity")
    offer_tier: float = coef(0.6, 0, 5, "cost of a higher tier per unit of the tier already held / 3 "
                             "(the top tier is a statement)")
    offer_cost: float = coef(1.6, 0, 10, "cost of proposing a higher tier (a summit, a joint statement)")
    request_bonus: float = coef(0.9, 0, 5, "value of agreeing to a tier Vietnam asked for: no risk of "
                                "a snub, the summit is Hanoi's initiative")
    oda_commitment: float = coef(0.3, 0, 2, "value of ODA per unit of commitment")
    oda_interdependence: float = coef(0.1, 0, 2, "value of ODA per unit of interdependence")
    oda_cost: float = coef(0.25, 0, 2, "cost of ODA")
    coast_guard_scale: float = coef(0.4, 0, 2, "value of coast-guard aid per unit of commitment x "
                                    "threat x (base + rivalry)", "[Thayer2011]")
    coast_guard_rivalry_base: float = coef(0.5, 0, 2, "rivalry added before scaling coast-guard aid")
    coast_guard_cost: float = coef(0.3, 0, 2, "cost of coast-guard aid")
    arms_threat_base: float = coef(0.3, 0, 2, "threat added before scaling an arms sale's value")
    arms_cost: float = coef(0.3, 0, 2, "cost of an arms sale")
    maritime_scale: float = coef(0.5, 0, 2, "value of maritime aid per unit of commitment x threat x "
                                 "(base + rivalry)", "[SCMP2023]")
    maritime_rivalry_base: float = coef(0.5, 0, 2, "rivalry added before scaling maritime aid")
    maritime_cost: float = coef(0.35, 0, 2, "cost of maritime aid")
    democracy_cost: float = coef(0.35, 0, 2, "cost of democracy promotion (its value is the "
                                 "partner's democracy_promotion)", "[Heydarian2022]")
    solidarity_trust: float = coef(0.2, 0, 2, "value of ideological solidarity per unit of trust")
    solidarity_cost: float = coef(0.05, 0, 2, "cost of ideological solidarity")


def start_tier(default: int, source: str = "[Grossman2023] (history of the tiers)") -> int:
    """Partnership tier with Vietnam at the start (0 none .. 3 comprehensive strategic)."""
    return count(default, 0, 3, "partnership tier with Vietnam at the start (0 none .. 3 comprehensive "
                 "strategic)", source)


class PartnerParams(Frozen):
    """Any state other than Vietnam: its relation to Vietnam at the start, and its character.

    ``type: partner`` adds a state the engine does not know by name (India, South Korea, ...).
    """

    type: Literal["partner"] | None = None
    display_name: str | None = None
    tier: int = start_tier(0)
    trust: float = coef(0.4, 0, 1, "Vietnam's trust in it at the start")
    tension: float = coef(0.05, 0, 1, "tension with Vietnam at the start")
    interdependence: float = coef(0.1, 0, 1, "share-like weight of trade and investment ties",
                                  "[VOA2023]")
    defense: float = coef(0.05, 0, 1, "depth of defense cooperation with Vietnam at the start")
    commitment: float = coef(0.5, 0, 1, "willingness to invest in Vietnam (the US knob of DESIGN.md)")
    democracy_promotion: float = coef(0.0, 0, 1, "pressure on Vietnam's regime", "[Heydarian2022]")
    arms_supplier: float = coef(0.1, 0, 1, "attractiveness as an arms supplier (quality x price x credit)")
    reliability: float = coef(0.8, 0, 1, "whether its arms keep coming", "[Heydarian2022]")
    rivalry_with_china: float = coef(0.2, 0, 1, "how openly the partner confronts China")
    economy: float = coef(1.0, 0, 100, "GDP, USD trillion, mean of 2013-2023 (gravity weight)")
    distance_km: float = coef(4000, 100, 20000, "distance from Hanoi to its capital, km (gravity)")
    offer_propensity: float = coef(0.3, 0, 1, "readiness to offer Vietnam a higher tier")
    temperature: float = coef(0.15, 0.01, 10, "softmax temperature of choice")
    position: tuple[Longitude, Latitude] | None = None  # (lon, lat) for the map view
    utility: PartnerUtility = Field(default_factory=PartnerUtility)


class Partner(StateAgent):
    """A generic partner (India, South Korea, Australia...): offers upgrades, aid and arms."""

    Params = PartnerParams
    MOVES: tuple[Action, ...] = (Action.UPGRADE_OFFER, Action.ODA, Action.COAST_GUARD_AID,
                                 Action.ARMS_SALE, Action.HOLD)

    def menu_items(self, world: World) -> list[tuple[Action, int]]:
        return [(a, VIETNAM) for a in self.MOVES]

    def available(self, world: World) -> np.ndarray:
        me = self.index
        offer_open = (world.offer_months[:, me] > 0) | (world.tier[:, me] >= 3)
        out = np.ones((world.replicates, len(self.menu)), dtype=bool)
        out[:, self.menu.columns(Action.UPGRADE_OFFER)] = ~offer_open[:, None]
        return out

    def values(self, world: World) -> dict[Action, np.ndarray]:
        """Value of each move on the menu, shape ``(R,)``: commitment drives engagement, threat
        invites help (:meth:`value_of`)."""
        return {action: self.value_of(action, world) for action in self.MOVES}

    def value_of(self, action: Action, world: World) -> np.ndarray:
        """Value of one move, shape ``(R,)``."""
        me, k, u = self.index, self.k, self.k.utility
        commit, threat = world.commitment[:, me], world.threat
        if action is Action.UPGRADE_OFFER:
            return sum(self.upgrade_interest(world).values())
        if action is Action.ODA:
            return (u.oda_commitment * commit + u.oda_interdependence * world.interdependence[:, me]
                    - u.oda_cost)
        if action is Action.COAST_GUARD_AID:
            return (u.coast_guard_scale * commit * threat
                    * (u.coast_guard_rivalry_base + k.rivalry_with_china) - u.coast_guard_cost)
        if action is Action.ARMS_SALE:
            return (world.arms_supplier[:, me] * world.reliability[:, me] * (u.arms_threat_base + threat)
                    - u.arms_cost)
        if action is Action.MARITIME_AID:
            return (u.maritime_scale * commit * threat * (u.maritime_rivalry_base + k.rivalry_with_china)
                    - u.maritime_cost)
        if action is Action.DEMOCRACY_PROMOTION:
            return world.democracy_promotion[:, me] - u.democracy_cost
        if action is Action.IDEOLOGICAL_SOLIDARITY:
            return u.solidarity_trust * world.trust[:, me] - u.solidarity_cost
        if action in (Action.SANCTIONS_PRESSURE, Action.HOLD):
            return np.zeros(world.replicates)
        raise ValueError(f"{type(self).__name__} has no value for {action.value}")

    def upgrade_interest(self, world: World, rows: np.ndarray | slice = ALL) -> dict[str, np.ndarray]:
        """``term -> (R,)``: what a higher tier with Vietnam is worth to this partner — Vietnam's
        strategic value to a rival of China (more under Beijing's pressure), its own commitment,
        trust and trade, against the cost of the summit and of a higher tier. ``rows``: only these
        replicates (each term is its replicate's own)."""
        me, k, u, r = self.index, self.k, self.k.utility, rows
        return {
            "strategic_value": (u.offer_rivalry[r] * world.rivalry[r, me]
                                * (u.offer_value_base[r] + world.threat[r])),
            "commitment": u.offer_commitment[r] * world.commitment[r, me],
            "trust": u.offer_trust[r] * world.trust[r, me],
            "trade": u.offer_trade[r] * world.interdependence[r, me],
            "readiness": u.offer_readiness[r] * k.offer_propensity[r],
            "tier_held": -u.offer_tier[r] * world.tier[r, me] / TOP_TIER,
            "cost": -u.offer_cost[r],
        }

    def answer_request(self, world: World, asked: np.ndarray) -> np.ndarray:
        """Vietnam asked for a higher tier where ``asked`` (R,): agree with the logistic probability of
        the interest plus ``request_bonus`` over the temperature; where agreed, the offer opens.
        Weighed only in the replicates that asked. Returns the ``(R,)`` agreements."""
        rows = np.flatnonzero(asked)
        value = sum(self.upgrade_interest(world, rows).values()) + self.k.utility.request_bonus[rows]
        answers = self.model.streams.of(Purpose.UPGRADE_REQUEST, self.name)
        agreed = np.zeros(world.replicates, dtype=bool)
        agreed[rows] = bernoulli(logistic(value / self.k.temperature[rows]), answers, asked, compact=True)
        agreed &= world.tier[:, self.index] < TOP_TIER
        open_offer(world, self.index, agreed, world.tier[:, self.index] + 1)
        return agreed

    def utilities(self, world: World) -> np.ndarray:
        out = np.empty((world.replicates, len(self.menu)))
        for m, i in enumerate(self.menu.actions):
            out[:, m] = self.value_of(self.action_of(i), world)
        return out

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        offered = actions == INDEX[Action.UPGRADE_OFFER]
        open_offer(world, self.index, offered, world.tier[:, self.index] + 1)
