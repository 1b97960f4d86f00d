"""China: presses its claims at sea, pulls Vietnam back with inducements and summits, and warns.

The crisis ladder (DESIGN.md): in a crisis China weighs pressing on (its assertiveness, Vietnam's
defiance) against the cost (economic interdependence, US commitment and defense ties with Vietnam,
accumulated reputational cost, Vietnam's assurance, and the rising risk of each higher rung).
Crises end when pressing on costs more than it gains ([Diplomat2023]: every crisis ended without
force). Status anxiety ([SCMP2023]): when a rival reaches China's tier, Beijing proposes a summit
with a package of agreements and a symbolic upgrade ([VOA2023]; [Grossman2023]). Every coefficient
is a scenario parameter: ``agents.china.ladder.<name>`` and ``agents.china.utility.<name>``.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from sim.actions import INDEX, Action, AgreementKind
from sim.agents.base import StateAgent, register_agent
from sim.agents.partner import PartnerParams
from sim.coefficients import coef, count
from sim.dynamics import end_crisis, open_crisis, open_package, threaten
from sim.scenario.schema import Country, Frozen
from sim.state import CHINA, THREAT_RUNG, VIETNAM, World
from sim.streams import Purpose

MOVES = (Action.GRAY_ZONE_INCIDENT, Action.ESCALATE, Action.THREATEN_FORCE, Action.DE_ESCALATE,
         Action.INDUCEMENT, Action.PROPOSE_PACKAGE, Action.WARNING, Action.ECONOMIC_PUNISHMENT, Action.HOLD)


class Ladder(Frozen):
    """The crisis ladder, bargained: what holding or pressing one rung higher gains and costs Beijing.

    The same cited costs (interdependence, US deterrence, reputation, Vietnam's assurance) price
    every rung; the risk of an accident or a clash multiplies them with the square of the rung, so the
    cost of force is these costs at rung 5, not a constant of its own (DESIGN.md, "Crisis ladder").
    """

    gain_assertiveness: float = coef(1.2, 0, 5, "gain of pressing per unit of assertiveness")
    gain_defiance: float = coef(0.3, 0, 3, "gain of pressing when Vietnam stood firm last month")
    gain_severity: float = coef(0.2, 0, 3, "gain of pressing per unit of the crisis's severity")
    cost_interdependence: float = coef(0.5, 0, 3, "cost of pressing per unit of interdependence",
                                       "[VOA2023]")
    cost_us: float = coef(0.6, 0, 3, "cost per unit of US commitment x (base + US defense tie)")
    cost_us_base: float = coef(0.3, 0, 2, "US defense tie added before scaling its deterrent cost")
    cost_assurance: float = coef(0.25, 0, 2, "cost of pressing per assurance act in this crisis")
    assurance_cap: float = coef(3.0, 0, 12, "assurance acts beyond this count no more")
    risk: float = coef(0.12, 0, 1, "risk of an accident or clash: the costs above x (1 + this x rung^2)",
                       "[Diplomat2023]; [Thayer2011]")
    gain_threat: float = coef(4.5, 0, 10, "gain of a direct threat of force per unit of Vietnam's "
                              "exposure to it: interdependence with China x (1 - US commitment), what "
                              "Hanoi stands to lose with nobody behind it",
                              "[Schelling1966]; [Hayton2017]; [Hayton2018]")
    threat_cost: float = coef(2.9, 0, 20, "what a direct threat of force costs, as a multiple of the "
                              "standing costs: words that may be tested (an audience cost, "
                              "[Fearon1994]), priced on their own and not as a month at the threat's "
                              "rung", "calibrated")
    restraint_assertiveness: float = coef(1.5, 0, 3, "face lost by withdrawing (the whole crisis "
                                          "given up at once) per unit of assertiveness, with the "
                                          "gain of holding the rung", "calibrated")
    incident_severity_base: float = coef(0.2, 0, 1, "severity of a chosen incident before the draw")
    incident_severity_spread: float = coef(0.5, 0, 1, "severity added per unit of assertiveness x "
                                           "uniform draw")


class ChinaUtility(Frozen):
    """What China's other moves are worth to it (:meth:`China.utilities`)."""

    incident_assertiveness: float = coef(0.7, 0, 3, "value of a gray-zone incident per unit of "
                                         "assertiveness")
    incident_suspicion: float = coef(0.3, 0, 3, "value of an incident per unit of suspicion")
    incident_interdependence: float = coef(0.6, 0, 3, "cost of an incident per unit of interdependence")
    incident_anxiety: float = coef(0.3, 0, 3, "value of an incident per unit of status anxiety",
                                   "[SCMP2023]")
    incident_us_gap: float = coef(0.5, 0, 3, "value of an incident per unit of (1 - US commitment): "
                                  "the opportunity a retreating US leaves", "[Kuik2021]")
    incident_ties: float = coef(0.4, 0, 3, "value of an incident per unit of Vietnam's defense ties "
                                "with China's rivals (x their rivalry)", "[Diplomat2023]")
    incident_reputation: float = coef(0.5, 0, 3, "cost of an incident per unit of reputational cost "
                                      "still carried from the last crisis", "[Thayer2011]")
    incident_pending: float = coef(0.8, 0, 3, "cost of an incident in a summit month or while the "
                                   "community offer is open", "[Grossman2023]")
    incident_cost: float = coef(0.8, 0, 5, "base cost of starting an incident")
    inducement_suspicion: float = coef(0.25, 0, 2, "value of an inducement per unit of suspicion")
    inducement_restraint: float = coef(0.1, 0, 2, "value of an inducement per unit of (1 - assertiveness)")
    inducement_cost: float = coef(0.25, 0, 2, "cost of an inducement")
    package_anxiety: float = coef(1.2, 0, 5, "value of a package per unit of status anxiety", "[SCMP2023]")
    package_cost: float = coef(1.3, 0, 5, "cost of preparing a package and a summit")
    warning_suspicion: float = coef(0.6, 0, 3, "value of a warning per unit of suspicion", "[SCMP2023]")
    warning_cost: float = coef(0.5, 0, 3, "cost of a public warning")
    punishment_suspicion: float = coef(0.4, 0, 3, "value of economic punishment per unit of "
                                       "suspicion x assertiveness")
    punishment_interdependence: float = coef(0.5, 0, 3, "cost of punishment per unit of interdependence")
    punishment_cost: float = coef(0.4, 0, 3, "base cost of economic punishment")
    anxiety_suspicion: float = coef(0.25, 0, 2, "status anxiety per unit of suspicion")
    package_cooldown: float = coef(24, 1, 120, "months before another package (Xi's state visits to "
                                   "Hanoi were years apart)", "[Grossman2023]")
    community_offer_months: float = coef(3, 1, 24, "months the community offer of a package stays open")


class ChinaParams(PartnerParams):
    """China: the neighbour. Defaults: CSP since 2008 ([Grossman2023]), top trade partner ([VOA2023])."""

    tier: int = count(3, 0, 4, "tier with Vietnam at the start (4: community with a shared future)",
                      "[Grossman2023]")
    trust: float = coef(0.35, 0, 1, "Vietnam's trust in China at the start")
    tension: float = coef(0.3, 0, 1, "Vietnam-China tension at the start")
    interdependence: float = coef(0.8, 0, 1, ">$175bn trade 2022; textiles ~50%, rubber ~70% inputs",
                                  "[VOA2023]; [Heydarian2022]")
    defense: float = coef(0.05, 0, 1, "depth of defense cooperation with Vietnam at the start")
    commitment: float = coef(0.6, 0, 1, "willingness to invest in Vietnam")
    assertiveness: float = coef(0.5, 0, 1, "appetite for gray-zone pressure in the South China Sea")
    economy: float = coef(13.5, 0, 100, "GDP, USD trillion, mean of 2013-2023 (IMF WEO, "
                          "rounded; gravity weight)", "[IMFWEO2024]")
    distance_km: float = coef(2325, 100, 20000, "distance from Hanoi to its capital, km "
                              "(great circle; gravity): Beijing", "[Sinnott1984]")
    status_sensitivity: float = coef(0.7, 0, 1, "anxiety when a rival reaches its tier", "[SCMP2023]")
    reputation_weight: float = coef(0.5, 0, 1, "weight of reputational cost when pressing on",
                                    "[Thayer2011]")
    # a package's composition sets how many agreements of each kind it has: structure, not a rate
    package_size: int = count(45, 1, 200, "prepared pacts in a package, Dec 2023", "[Grossman2023]")
    package_maritime_share: float = coef(0.07, 0, 1, "low-sensitivity maritime share (search and "
                                         "rescue, Gulf of Tonkin patrols, fishery hotline: 3 of 45)",
                                         "[Grossman2023]; [VOA2023]", structural=True)
    package_security_share: float = coef(0.1, 0, 1, "sensitive security share of a package (of the ~10 "
                                         "refused)", "[VOA2023]", structural=True)
    package_resource_share: float = coef(0.05, 0, 1, "strategic-resource (rare earth) share",
                                         "[VOA2023]; [Grossman2023]", structural=True)
    package_symbolic_share: float = coef(0.3, 0, 1, "symbolic share; the rest is economic", "[VOA2023]",
                                         structural=True)
    rivalry_with_china: float = coef(0.0, 0, 1, "(China itself: none)")
    ladder: Ladder = Field(default_factory=Ladder)
    utility: ChinaUtility = Field(default_factory=ChinaUtility)  # type: ignore[assignment]

    @model_validator(mode="after")
    def _shares(self) -> ChinaParams:
        total = (self.package_maritime_share + self.package_security_share + self.package_resource_share
                 + self.package_symbolic_share)
        if total > 1.0:
            raise ValueError(f"package shares (maritime + security + resource + symbolic) sum to "
                             f"{total:.2f} > 1")
        return self


@register_agent
class China(StateAgent):
    """Beijing's monthly move."""

    key = Country.CHINA.value
    Params = ChinaParams

    def menu_items(self, world: World) -> list[tuple[Action, int]]:
        return [(a, VIETNAM) for a in MOVES]

    def available(self, world: World) -> np.ndarray:
        """Escalating or calming a crisis only in one, a threat of force only below
        ``THREAT_RUNG`` of it, a new incident only outside one, a package only after its cooldown.
        Set column by column: a ``(R, 1) & (M,)`` broadcast walks each replicate's row on its own."""
        m, crisis = self.menu, world.in_crisis
        ok = np.ones((world.replicates, len(m)), dtype=bool)
        ok[:, m.columns(Action.ESCALATE, Action.DE_ESCALATE)] = crisis[:, None]
        ok[:, m.columns(Action.THREATEN_FORCE)] = (crisis & (world.escalation < THREAT_RUNG))[:, None]
        ok[:, m.columns(Action.GRAY_ZONE_INCIDENT)] = ~crisis[:, None]
        ok[:, m.columns(Action.PROPOSE_PACKAGE)] = ~(world.package_cooldown > 0)[:, None]
        return ok

    def status_anxiety(self, world: World) -> np.ndarray:
        """``(R,)``: rivals at or above China's tier, weighted by rivalry, plus suspicion."""
        parity = (world.tier[:, 2:] >= world.tier[:, [CHINA]]) * world.rivalry[:, 2:]
        return self.k.status_sensitivity * (parity.sum(axis=1)
                                            + self.k.utility.anxiety_suspicion * world.china_suspicion)

    def standing_costs(self, world: World) -> dict[str, np.ndarray]:
        """``name -> (R,)``: the cited costs of keeping up pressure, before the rung's risk."""
        k, L = self.k, self.k.ladder
        us = world.index(Country.UNITED_STATES.value)
        return {
            "interdependence": L.cost_interdependence * world.interdependence[:, CHINA],
            "us_deterrence": L.cost_us * world.commitment[:, us] * (L.cost_us_base + world.defense[:, us]),
            "reputation": k.reputation_weight * world.reputation_cost,
            "vietnam_assurance": L.cost_assurance * np.minimum(world.assurance_in_crisis, L.assurance_cap),
        }

    def cost_at(self, world: World, rung: np.ndarray,
                costs: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """``(R,)``: a month's pressure at ``rung`` costs the standing costs x (1 + risk x rung^2)
        (``costs``: :meth:`standing_costs` of this world where the caller has them)."""
        costs = self.standing_costs(world) if costs is None else costs
        return sum(costs.values()) * (1.0 + self.k.ladder.risk * rung ** 2)

    def cost_of_pressing(self, world: World, costs: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """``(R,)``: what one more rung would cost Beijing (DESIGN.md, "Crisis ladder")."""
        return self.cost_at(world, world.escalation + 1, costs)

    def gain_of_pressing(self, world: World) -> np.ndarray:
        """``(R,)``: what keeping up pressure gains: assertiveness, defiance to answer, the stakes."""
        L = self.k.ladder
        return (L.gain_assertiveness * self.k.assertiveness + L.gain_defiance * world.stood_firm
                + L.gain_severity * world.crisis_severity)

    def threat_terms(self, world: World, costs: dict[str, np.ndarray] | None = None,
                     gain: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """``name -> (R,)``: the signed terms of a direct threat of force, which lifts the crisis to
        :data:`~sim.state.THREAT_RUNG` at once (compellence, [Schelling1966]; Jul 2017 and Mar 2018,
        [Hayton2017]; [Hayton2018]). The gain of pressing, plus the leverage of the threat — what
        Vietnam stands to lose (its interdependence with China) with nobody behind it (1 - US
        commitment) — against the standing costs times the threat's own price, ``threat_cost``
        (words that may be tested, [Fearon1994]). The threat is not priced as a month at its rung:
        the rung's risk is what holding it costs afterwards (:meth:`withdrawal_terms`). ``costs``,
        ``gain``: :meth:`standing_costs` and :meth:`gain_of_pressing` of this world, where the
        caller has them."""
        us = world.index(Country.UNITED_STATES.value)
        leverage = world.interdependence[:, CHINA] * (1.0 - world.commitment[:, us])
        costs = self.standing_costs(world) if costs is None else costs
        return {"gain_of_pressing": self.gain_of_pressing(world) if gain is None else gain,
                "leverage": self.k.ladder.gain_threat * leverage,
                "threat_cost": -self.k.ladder.threat_cost * sum(costs.values())}

    def withdrawal_terms(self, world: World, costs: dict[str, np.ndarray] | None = None,
                         gain: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """``name -> (R,)``: the signed terms of withdrawing (positive: for withdrawing) — the costs of
        holding the current rung another month, against the gain of pressing and the face lost.
        Withdrawing ends the crisis from any rung: the rig or the survey ship goes home (HD-981,
        Jul 2014; Haiyang Dizhi 8, Oct 2019; [Diplomat2023]), there is no walk down the ladder.
        ``costs``, ``gain``: as for :meth:`threat_terms`."""
        risk = 1.0 + self.k.ladder.risk * world.escalation ** 2
        costs = self.standing_costs(world) if costs is None else costs
        terms = {name: cost * risk for name, cost in costs.items()}
        terms["gain_of_pressing"] = -(self.gain_of_pressing(world) if gain is None else gain)
        terms["face"] = -self.k.ladder.restraint_assertiveness * self.k.assertiveness
        return terms

    def incident_terms(self, world: World, anxiety: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """``name -> (R,)``: the signed terms of starting a gray-zone incident this month: motive
        (assertiveness, suspicion, status anxiety), opportunity (a retreating US, Vietnam's defense
        ties with rivals) against costs (interdependence, reputation, a pending summit or offer).
        ``anxiety``: :meth:`status_anxiety` of this world, where the caller has it."""
        k, u = self.k, self.k.utility
        us = world.index(Country.UNITED_STATES.value)
        ties = (world.defense[:, 2:] * world.rivalry[:, 2:]).sum(axis=1)
        pending = np.maximum(world.summit[:, CHINA], world.community_offer > 0)
        return {
            "assertiveness": u.incident_assertiveness * k.assertiveness,
            "suspicion": u.incident_suspicion * world.china_suspicion,
            "status_anxiety": u.incident_anxiety * (self.status_anxiety(world) if anxiety is None
                                                    else anxiety),
            "us_retreat": u.incident_us_gap * (1.0 - world.commitment[:, us]),
            "defense_ties": u.incident_ties * ties,
            "interdependence": -u.incident_interdependence * world.interdependence[:, CHINA],
            "reputation": -u.incident_reputation * world.reputation_cost,
            "pending_summit": -u.incident_pending * pending,
            "base": -u.incident_cost * np.ones(world.replicates),
        }

    def utilities(self, world: World, withdrawal: dict[str, np.ndarray] | None = None,
                  costs: dict[str, np.ndarray] | None = None, gain: np.ndarray | None = None) -> np.ndarray:
        """``(R, M)``: each move's value. The standing costs, the gain of pressing and the status
        anxiety several moves share are computed once (``withdrawal``, ``costs``, ``gain``: the
        month's :meth:`withdrawal_terms` and what they were made of, where the caller has them)."""
        k, u, m = self.k, self.k.utility, self.menu
        a = k.assertiveness
        suspicion, interdep = world.china_suspicion, world.interdependence[:, CHINA]
        costs = self.standing_costs(world) if costs is None else costs
        gain = self.gain_of_pressing(world) if gain is None else gain
        withdrawal = self.withdrawal_terms(world, costs, gain) if withdrawal is None else withdrawal
        anxiety = self.status_anxiety(world)
        values = {
            Action.GRAY_ZONE_INCIDENT: sum(self.incident_terms(world, anxiety).values()),
            Action.ESCALATE: gain - self.cost_of_pressing(world, costs),
            Action.THREATEN_FORCE: sum(self.threat_terms(world, costs, gain).values()),
            Action.DE_ESCALATE: sum(withdrawal.values()),
            Action.INDUCEMENT: (u.inducement_suspicion * suspicion + u.inducement_restraint * (1 - a)
                                - u.inducement_cost),
            Action.PROPOSE_PACKAGE: u.package_anxiety * anxiety - u.package_cost,
            Action.WARNING: u.warning_suspicion * suspicion - u.warning_cost,
            Action.ECONOMIC_PUNISHMENT: (u.punishment_suspicion * suspicion * a
                                         - u.punishment_interdependence * interdep - u.punishment_cost),
            Action.HOLD: np.zeros(world.replicates),
        }
        out = np.empty((world.replicates, len(m)))
        for j, i in enumerate(m.actions):
            out[:, j] = values[self.action_of(i)]  # one value, or one per replicate
        return out

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        k, L, u = self.k, self.k.ladder, self.k.utility
        incident = actions == INDEX[Action.GRAY_ZONE_INCIDENT]
        if incident.any():
            terms = self.incident_terms(world)
            draw = self.model.streams.of(Purpose.CHINA_INCIDENT).random(world.replicates, where=incident)
            severity = (L.incident_severity_base
                        + L.incident_severity_spread * k.assertiveness * np.nan_to_num(draw))
            open_crisis(world, incident, severity)
            world.china_incidents += incident
            self.model.log_crisis_start(incident, terms)
        threaten(world, actions == INDEX[Action.THREATEN_FORCE])
        withdrawn = (actions == INDEX[Action.DE_ESCALATE]) & world.in_crisis
        if withdrawn.any():
            end_crisis(world, withdrawn, Country.CHINA)
            self.model.log_crisis_end(withdrawn, "china", self._terms_before_move)
        proposed = actions == INDEX[Action.PROPOSE_PACKAGE]
        if proposed.any():
            open_package(world, proposed, u.package_cooldown, u.community_offer_months)
            self.model.vietnam.answer_package(world, self.package_kinds(), proposed)

    def decide(self, world: World):  # noqa: ANN201
        """Remember the withdrawal terms the month's choice was made on (for the crisis record)."""
        costs, gain = self.standing_costs(world), self.gain_of_pressing(world)
        self._terms_before_move = self.withdrawal_terms(world, costs, gain)
        return super().decide(world, self.utilities(world, self._terms_before_move, costs, gain))

    def package_kinds(self) -> np.ndarray:
        """The tags of a package's agreements, in proportions set by the scenario ([VOA2023])."""
        p = self.params
        n = p.package_size
        shares = {AgreementKind.SYMBOLIC: p.package_symbolic_share, AgreementKind.ECONOMIC: 0.0,
                  AgreementKind.MARITIME: p.package_maritime_share,
                  AgreementKind.SECURITY: p.package_security_share,
                  AgreementKind.STRATEGIC_RESOURCE: p.package_resource_share}
        counts = [round(n * shares[kind]) for kind in AgreementKind]
        counts[AgreementKind.ECONOMIC] = max(0, n - sum(counts))
        return np.repeat(np.arange(len(AgreementKind)), counts)
