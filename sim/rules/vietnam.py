"""Rules that bind Vietnam: the Four Nos, One Depend, assurance toward China, regime security,
cooperation-and-struggle. Each cites the source it encodes."""

from __future__ import annotations

import numpy as np

from sim.actions import ASSURANCE_ACTIONS, Action
from sim.coefficients import coef, count
from sim.rules.base import Context, Rule, RuleParams, register
from sim.scenario.schema import Country
from sim.state import ALL, CHINA, World


class _FourNo(Rule):
    """Base of the four separate Four-Nos rules: each forbids one action outright."""

    binds = Country.VIETNAM.value
    group = "four_nos"
    forbidden: Action

    def forbid(self, ctx: Context) -> np.ndarray:
        hit = ctx.menu.is_(self.forbidden)
        return np.broadcast_to(hit, (ctx.world.replicates, len(ctx.menu)))


@register
class NoAlliance(_FourNo):
    """No military alliance with any foreign power (Four Nos, [DWP2019])."""

    id = "no_alliance"
    source = "[SCMP2023] (SCMP: 'four noes'); [Heydarian2022] ('Three Nos'); [DWP2019]"
    forbidden = Action.FORM_ALLIANCE


@register
class NoForeignBases(_FourNo):
    """No foreign military bases on Vietnamese soil (Four Nos)."""

    id = "no_foreign_bases"
    source = "[SCMP2023] (SCMP); [Heydarian2022] ('Three Nos'); [DWP2019]"
    forbidden = Action.HOST_FOREIGN_BASE


@register
class NoSidingAgainstThird(_FourNo):
    """No siding with one country against another (Four Nos)."""

    id = "no_siding_against_third"
    source = "[SCMP2023] (SCMP); [Diplomat2023] (The Diplomat); [DWP2019]"
    forbidden = Action.SIDE_AGAINST_THIRD


@register
class NoForce(_FourNo):
    """No use or threat of force in international relations (Four Nos)."""

    id = "no_force"
    source = "[SCMP2023] (SCMP: 'no use of force in international relations'); [DWP2019]"
    forbidden = Action.USE_FORCE


class OneDependParams(RuleParams):
    threat_threshold: float = coef(0.7, 0, 1, "threat above which defense ties may deepen further",
                                   "[Diplomat2023]")
    base_cap: float = coef(0.5, 0, 1, "deepest defense tie allowed below the threshold")
    weight: float = coef(0.6, 0, 10, "extra value of defense ties per unit of threat above the threshold")


@register
class OneDepend(Rule):
    """One Depend: defense ties with other powers deepen only as circumstances (threat) demand.

    Below ``threat_threshold`` a defense tie may not pass ``base_cap``; above it the cap rises toward
    1 and defense ties gain value in proportion to the excess threat.
    """

    id = "one_depend"
    binds = Country.VIETNAM.value
    source = "[Diplomat2023] ('One Depend'); [DWP2019]"
    Params = OneDependParams

    def _excess(self, world: World) -> np.ndarray:
        k = self.k
        return np.clip((world.threat - k.threat_threshold) / np.maximum(1e-9, 1 - k.threat_threshold), 0, 1)

    def forbid(self, ctx: Context) -> np.ndarray:
        w, k = ctx.world, self.k
        cap = k.base_cap + (1 - k.base_cap) * self._excess(w)  # (R,)
        ties = ctx.menu.columns(Action.DEFENSE_TIES)
        out = ctx.blank(bool)
        out[:, ties] = w.defense[:, ctx.menu.targets[ties]] >= cap[:, None]  # each tie's depth
        return out

    def reweight(self, ctx: Context) -> np.ndarray:
        out = ctx.blank()
        bonus = self.k.weight[:, None] * self._excess(ctx.world)[:, None]
        out[:, ctx.menu.columns(Action.DEFENSE_TIES)] = bonus
        return out


class ChinaFirstParams(RuleParams):
    assurance_within_months: int = count(3, 1, 36, "months within which the assurance debt is paid",
                                         "[Diplomat2023]")
    debt_weight: float = coef(0.5, 0, 10, "value of an assurance act per unit of debt")
    urgency: float = coef(0.5, 0, 10, "extra value per month of debt age, scaled by the deadline")


@register
class ChinaFirst(Rule):
    """China first: Beijing's tier is never below another's; assurance is owed after deepening.

    (1) No partner may be upgraded above China's tier. (2) Every deepening with another power adds
    to an assurance debt (actions table); assurance acts toward China gain value with the debt and
    with how long it has been owed, so the debt is paid within ``assurance_within_months``.
    """

    id = "china_first"
    binds = Country.VIETNAM.value
    source = "[Diplomat2023] (policy of assurance: 'always prioritise Beijing'); [VOA2023]; [SCMP2023]"
    Params = ChinaFirstParams

    def forbid(self, ctx: Context) -> np.ndarray:
        w = ctx.world
        upgrades = ctx.menu.columns(Action.UPGRADE_PARTNERSHIP, Action.SEEK_UPGRADE)
        t = ctx.menu.targets[upgrades]
        new_tier = np.maximum(w.tier[:, t] + 1, w.offer_tier[:, t])
        out = ctx.blank(bool)
        out[:, upgrades] = new_tier > w.tier[:, CHINA][:, None]
        return out

    def reweight(self, ctx: Context) -> np.ndarray:
        w, k = ctx.world, self.k
        lateness = w.debt_age / k.assurance_within_months
        value = w.assurance_debt * (k.debt_weight + k.urgency * lateness)  # (R,)
        assurance = ctx.menu.columns(*ASSURANCE_ACTIONS)
        out = ctx.blank()
        out[:, assurance[ctx.menu.targets[assurance] == CHINA]] = value[:, None]
        return out


class NotAgainstThirdParams(RuleParams):
    weight: float = coef(0.4, 0, 10, "cost of a tie per unit of the partner's rivalry with China x "
                         "(base + China's suspicion)")
    suspicion_base: float = coef(0.5, 0, 3, "suspicion added before scaling the cost")


@register
class NotAgainstThirdCountry(Rule):
    """Ties with others are not aimed at China: deepening with a partner costs in proportion to
    that partner's open rivalry with Beijing (assurance principle 2)."""

    id = "not_against_third_country"
    binds = Country.VIETNAM.value
    source = "[Diplomat2023] ('improvements in ties with others are not anti-China'); [VOA2023] (Giang)"
    Params = NotAgainstThirdParams

    def reweight(self, ctx: Context) -> np.ndarray:
        w, k = ctx.world, self.k
        deepening = ctx.menu.columns(Action.DEFENSE_TIES, Action.UPGRADE_PARTNERSHIP, Action.SEEK_UPGRADE)
        cost = (k.weight[:, None] * w.rivalry[:, ctx.menu.targets[deepening]]
                * (k.suspicion_base[:, None] + w.china_suspicion[:, None]))
        out = ctx.blank()
        out[:, deepening] = -cost
        return out


class RefuseSensitiveParams(RuleParams):
    weight: float = coef(1.5, 0, 10, "utility lost per unit of an agreement's security cost x "
                         "(base + threat)", "[VOA2023]; [Grossman2023]")
    threat_base: float = coef(0.5, 0, 3, "threat added before scaling the penalties")


@register
class RefuseSecuritySensitive(Rule):
    """Refuse security-sensitive deals: each agreement with China loses value in proportion to its
    kind's security cost (Vietnam's table, ``agents.vietnam.package``), so low-sensitivity pacts
    (search and rescue, joint patrols) pass and critical minerals are mostly refused."""

    id = "refuse_security_sensitive"
    binds = Country.VIETNAM.value
    source = "[VOA2023] (~10 of 45 refused, incl. critical minerals); [Grossman2023] (rare earths)"
    Params = RefuseSensitiveParams

    def agreement_bonus(self, world: World, kinds: np.ndarray, security_cost: np.ndarray,
                        rows: np.ndarray | slice = ALL) -> np.ndarray:
        k, r = self.k, rows
        return -k.weight[r, None] * security_cost * (k.threat_base[r, None] + world.threat[r, None])


class RegimeSecurityParams(RuleParams):
    sensitivity: float = coef(1.0, 0, 10, "how strongly regime fears discount Western ties")
    western_cost: float = coef(2.0, 0, 10, "cost of a tie per unit of sensitivity x fear x the "
                               "partner's democracy promotion", "[Heydarian2022]")
    bonding: float = coef(0.6, 0, 10, "value of ideological bonding per unit of sensitivity x fear",
                          "[Heydarian2022]")


@register
class RegimeSecurity(Rule):
    """Regime security: US democracy promotion feeds regime insecurity, which lowers the value of
    upgrades and defense ties with democracy promoters and raises ideological bonding with China."""

    id = "regime_security"
    binds = Country.VIETNAM.value
    source = "[Heydarian2022] (Summit for Democracy viewed with suspicion); [SCMP2023] (wary of the West)"
    Params = RegimeSecurityParams

    def reweight(self, ctx: Context) -> np.ndarray:
        w, k = ctx.world, self.k
        s = k.sensitivity[:, None]
        fear = w.regime_insecurity[:, None]
        western = ctx.menu.columns(Action.UPGRADE_PARTNERSHIP, Action.SEEK_UPGRADE, Action.DEFENSE_TIES)
        cost = s * fear * w.democracy_promotion[:, ctx.menu.targets[western]] * k.western_cost[:, None]
        out = ctx.blank()
        out[:, western] = -cost
        out[:, ctx.menu.columns(Action.IDEOLOGICAL_BONDING)] = s * fear * k.bonding[:, None]
        return out


class CooperateStruggleParams(RuleParams):
    struggle: float = coef(0.4, 0, 10, "value of protesting and standing firm per unit of "
                           "(base + severity)", "[Thayer2011]")
    cooperate: float = coef(0.4, 0, 10, "value of keeping the party channel open in a crisis",
                            "[Thayer2011]")
    severity_base: float = coef(0.5, 0, 3, "severity added before scaling the value of struggle")


@register
class CooperateAndStruggle(Rule):
    """Cooperate and struggle: in a maritime crisis, protest and stand firm at sea while keeping the
    party channel to Beijing open; never downgrade the tie over an incident."""

    id = "cooperate_and_struggle"
    binds = Country.VIETNAM.value
    source = "[Thayer2011] ('cooperation and struggle'); [Diplomat2023] (HD-981, 2019, 2023)"
    Params = CooperateStruggleParams

    def reweight(self, ctx: Context) -> np.ndarray:
        w, k = ctx.world, self.k
        crisis = w.in_crisis[:, None]
        struggle = ctx.menu.columns(Action.LEGAL_PROTEST, Action.STAND_FIRM)
        cooperate = ctx.menu.columns(Action.PARTY_VISIT, Action.IDEOLOGICAL_BONDING)
        out = ctx.blank()
        severity = k.severity_base[:, None] + w.crisis_severity[:, None]
        out[:, struggle] = crisis * (k.struggle[:, None] * severity)
        out[:, cooperate] = crisis * k.cooperate[:, None]
        return out
