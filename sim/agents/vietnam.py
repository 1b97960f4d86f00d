"""Vietnam, the hedger: reassures Beijing, deters it, and upgrades ties with other powers.

Utility is a weighted sum over five goals ([LeHongHiep2013]; [Kuik2008]): security, autonomy,
prosperity, regime security and stability with China. Kuik's (2021) regime switches act on the
weights: when US reliability falls below a threshold Vietnam leans toward accommodation; when China's
threat rises above one it leans toward balancing. Arms procurement is a continuous allocation across
suppliers ([Heydarian2022]), not a monthly move.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from sim.actions import INDEX, Action, AgreementKind
from sim.agents.base import StateAgent
from sim.decision import bernoulli, logistic, softmax
from sim.effects import apply_moves
from sim.scenario.schema import Country
from sim.state import CHINA, VIETNAM, World


class Goal(IntEnum):
    SECURITY = 0
    AUTONOMY = 1
    PROSPERITY = 2
    REGIME = 3
    STABILITY = 4


#: moves Vietnam can aim at China only, at every other state, or at no one (target = itself)
CHINA_MOVES = (Action.PARTY_VISIT, Action.IDEOLOGICAL_BONDING, Action.JOIN_COMMUNITY,
               Action.LEGAL_PROTEST, Action.STAND_FIRM, Action.USE_FORCE, Action.TRADE_DEAL)
PARTNER_MOVES = (Action.DEFENSE_TIES, Action.UPGRADE_PARTNERSHIP, Action.TRADE_DEAL,
                 Action.FORM_ALLIANCE, Action.HOST_FOREIGN_BASE, Action.SIDE_AGAINST_THIRD)
SELF_MOVES = (Action.MODERNISE, Action.HOLD)
ALLIANCE_DEPTH = 0.8  # a defense tie this deep already is an alliance: no second one to form


class Vietnam(StateAgent):
    """Vietnam's monthly decision ([Diplomat2023]: deterrence by assurance first, by force as fallback)."""

    @property
    def actions_per_month(self) -> int:  # type: ignore[override]
        return self.params.actions_per_month

    def menu_items(self, world: World) -> list[tuple[Action, int]]:
        others = range(2, len(world.countries))
        return ([(a, CHINA) for a in CHINA_MOVES] + [(a, p) for p in others for a in PARTNER_MOVES]
                + [(a, VIETNAM) for a in SELF_MOVES])

    def available(self, world: World) -> np.ndarray:
        m, t = self.menu, self.menu.targets
        crisis = world.in_crisis[:, None]
        upgrade_open = (world.offer_months[:, t] > 0) & (world.tier[:, t] < 3)
        return ~((m.is_(Action.STAND_FIRM, Action.USE_FORCE, Action.LEGAL_PROTEST) & ~crisis)
                 | (m.is_(Action.UPGRADE_PARTNERSHIP) & ~upgrade_open)
                 | (m.is_(Action.JOIN_COMMUNITY) & ~(world.community_offer[:, None] > 0))
                 | (m.is_(Action.DEFENSE_TIES) & (world.defense[:, t] >= 0.99))
                 | (m.is_(Action.SIDE_AGAINST_THIRD) & (world.red_line[:, None] >= 0.5))
                 | (m.is_(Action.FORM_ALLIANCE, Action.HOST_FOREIGN_BASE)
                    & (world.defense[:, t] >= ALLIANCE_DEPTH)))

    def weights(self, world: World) -> np.ndarray:
        """Goal weights ``(R, 5)`` after Kuik's regime switches."""
        p = self.params
        w = np.tile([p.weight_security, p.weight_autonomy, p.weight_prosperity, p.weight_regime,
                     p.weight_stability], (world.replicates, 1)).astype(float)
        us = world.index(Country.UNITED_STATES.value)
        us_reliability = world.commitment[:, us] * (0.5 + world.trust[:, us])
        accommodate = us_reliability < p.us_reliability_threshold
        balance = world.threat > p.china_threat_threshold
        w[:, Goal.STABILITY] *= np.where(accommodate, 1.5, 1.0) * np.where(balance, 0.6, 1.0)
        w[:, Goal.SECURITY] *= np.where(balance, 1.5, 1.0) * np.where(accommodate, 0.8, 1.0)
        w[:, Goal.PROSPERITY] *= 1.0 + world.shock_severity * (world.economic_shock > 0)
        return w

    def gains(self, world: World) -> np.ndarray:
        """``(R, M, 5)``: what each move does for each goal, from the state of the world."""
        m, t = self.menu, self.menu.targets
        R, M = world.replicates, len(m)
        g = np.zeros((R, M, len(Goal)))
        threat, fear = world.threat[:, None], world.regime_insecurity[:, None]
        tension = world.tension[:, [CHINA]]
        crisis = world.in_crisis[:, None].astype(float)
        sev, esc = world.crisis_severity[:, None], world.escalation[:, None] / 5.0
        commit, rivalry = world.commitment[:, t], world.rivalry[:, t]
        room = 1.0 - world.defense[:, t]
        tier_room = 1.0 - world.tier[:, t] / 3.0
        summit = world.summit[:, t]
        dependence_gap = world.interdependence[:, [CHINA]] - world.interdependence[:, t]

        def add(action: Action, goal: Goal, value: np.ndarray | float) -> None:
            g[:, :, goal] += np.where(m.is_(action), value, 0.0)

        S, A, P, G, T = Goal
        add(Action.PARTY_VISIT, T, 0.15 + 0.4 * tension + 0.3 * crisis + 0.3 * summit)
        add(Action.PARTY_VISIT, G, 0.15 * fear)
        add(Action.PARTY_VISIT, A, -0.1)
        add(Action.IDEOLOGICAL_BONDING, G, 0.5 * fear)
        add(Action.IDEOLOGICAL_BONDING, T, 0.1 + 0.2 * tension)
        add(Action.IDEOLOGICAL_BONDING, A, -0.15)
        add(Action.JOIN_COMMUNITY, T, 0.45)
        add(Action.JOIN_COMMUNITY, G, 0.2 * fear)
        add(Action.JOIN_COMMUNITY, A, -0.15)  # "form over substance" ([VOA2023])
        add(Action.MODERNISE, S, threat * (1.0 - world.capability[:, None]))
        add(Action.MODERNISE, P, -0.2)
        add(Action.DEFENSE_TIES, S, 0.9 * threat * commit * room)
        add(Action.DEFENSE_TIES, A, 0.1)
        add(Action.DEFENSE_TIES, T, -0.2 * rivalry)
        add(Action.LEGAL_PROTEST, S, 0.3 + 0.4 * sev)
        add(Action.LEGAL_PROTEST, T, -0.15)
        add(Action.STAND_FIRM, S, 0.3 + 0.5 * sev)
        add(Action.STAND_FIRM, T, -0.1 - 0.4 * esc)
        add(Action.UPGRADE_PARTNERSHIP, A, 0.5 + 0.3 * tier_room)
        add(Action.UPGRADE_PARTNERSHIP, P, 0.3 * commit)
        add(Action.UPGRADE_PARTNERSHIP, S, 0.4 * threat * commit)
        add(Action.UPGRADE_PARTNERSHIP, T, -0.25 * rivalry)
        add(Action.TRADE_DEAL, P, 0.15 + 0.1 * summit)
        add(Action.TRADE_DEAL, A, np.where(t == CHINA, -0.15, 0.25 * np.maximum(dependence_gap, 0)))
        add(Action.TRADE_DEAL, T, np.where(t == CHINA, 0.1, 0.0))
        # what the Four Nos forbid pays off only under high threat (convex in threat)
        add(Action.FORM_ALLIANCE, S, 1.6 * threat**2 * commit)
        add(Action.FORM_ALLIANCE, A, -0.35)
        add(Action.FORM_ALLIANCE, T, -0.6 * (1.0 - threat))
        add(Action.HOST_FOREIGN_BASE, S, 1.4 * threat**2 * commit)
        add(Action.HOST_FOREIGN_BASE, A, -0.5)
        add(Action.HOST_FOREIGN_BASE, T, -0.6 * (1.0 - threat))
        add(Action.SIDE_AGAINST_THIRD, S, 1.2 * threat**2 * rivalry)
        add(Action.SIDE_AGAINST_THIRD, A, -0.25)
        add(Action.SIDE_AGAINST_THIRD, T, -0.5 * (1.0 - threat))
        add(Action.USE_FORCE, S, 0.8 * sev**2 + 0.8 * esc**2)
        add(Action.USE_FORCE, T, -0.8)
        add(Action.USE_FORCE, P, -0.3)
        return g

    def utilities(self, world: World) -> np.ndarray:
        return np.einsum("rmg,rg->rm", self.gains(world), self.weights(world))

    def after_moves(self, world: World, actions: np.ndarray, targets: np.ndarray) -> None:
        r = np.arange(world.replicates)
        upgraded = actions == INDEX[Action.UPGRADE_PARTNERSHIP]
        world.offer_months[r, targets] = np.where(upgraded, 0, world.offer_months[r, targets])
        world.community_offer[:] = np.where(actions == INDEX[Action.JOIN_COMMUNITY], 0,
                                            world.community_offer)
        world.stood_firm[:] = np.maximum(world.stood_firm, actions == INDEX[Action.STAND_FIRM])
        crossed = np.isin(actions, [INDEX[a] for a in (Action.FORM_ALLIANCE, Action.HOST_FOREIGN_BASE,
                                                       Action.SIDE_AGAINST_THIRD)])
        world.red_line[:] = np.maximum(world.red_line, crossed)
        forced = actions == INDEX[Action.USE_FORCE]
        world.use_of_force[:] = np.maximum(world.use_of_force, forced)

    # --- a Chinese package of agreements (DESIGN.md, "Status anxiety") ------------------------------
    def answer_package(self, world: World, kinds: np.ndarray, proposed: np.ndarray) -> np.ndarray:
        """Sign or refuse each agreement of a package; returns signed ``(R, A)`` (False where none).

        Each agreement is weighed by its benefit against its security cost ([VOA2023], [Grossman2023]), plus
        the bonus of any rule binding Vietnam (e.g. refusal of security-sensitive deals), plus an
        idiosyncratic merit drawn from the model's generator.
        """
        w = self.weights(world)
        threat, debt = world.threat[:, None], world.assurance_debt[:, None]
        value = np.select(
            [kinds == AgreementKind.SYMBOLIC, kinds == AgreementKind.ECONOMIC,
             kinds == AgreementKind.SECURITY, kinds == AgreementKind.STRATEGIC_RESOURCE],
            [(0.8 + 0.3 * debt) * w[:, [Goal.STABILITY]],
             0.8 * w[:, [Goal.PROSPERITY]],
             0.3 * w[:, [Goal.STABILITY]] - 0.4 * threat * w[:, [Goal.SECURITY]],
             0.4 * w[:, [Goal.PROSPERITY]] - 0.5 * threat * w[:, [Goal.SECURITY]]])
        shaping = []
        for rule in self.rules:
            bonus = rule.agreement_bonus(world, kinds)
            if bonus is not None:
                value = value + bonus
                shaping.append(rule.id)
        merit = self.model.streams.normal(0.0, 0.3, value.shape, where=proposed)
        signed = bernoulli(logistic((value + merit) / self.temperature), self.model.streams, proposed)
        self._sign(world, kinds, signed, proposed, tuple(shaping))
        return signed

    def _sign(self, world: World, kinds: np.ndarray, signed: np.ndarray, proposed: np.ndarray,
              shaping: tuple[str, ...]) -> None:
        n_signed = signed.sum(axis=1)
        world.agreements_signed += n_signed
        world.agreements_refused += np.where(proposed, len(kinds) - n_signed, 0)
        sensitive = (kinds == AgreementKind.SECURITY) | (kinds == AgreementKind.STRATEGIC_RESOURCE)
        world.sensitive_signed += (signed & sensitive).sum(axis=1)
        world.sensitive_refused += (~signed & sensitive & proposed[:, None]).sum(axis=1)
        share = n_signed / max(1, len(kinds))
        econ = (signed & (kinds == AgreementKind.ECONOMIC)).sum(axis=1)
        world.interdependence[:, CHINA] = np.clip(world.interdependence[:, CHINA] + 0.002 * econ, 0, 1)
        actions = np.where(proposed, INDEX[Action.SIGN_AGREEMENTS], -1)
        targets = np.full(world.replicates, CHINA)
        apply_moves(world, VIETNAM, actions, targets, share * self.model.scenario.effects_scale)
        if self.model.record_actions:
            detail = [self._package_detail(kinds, signed[r]) if proposed[r] else ""
                      for r in range(world.replicates)]
            self.model.log_moves(self, actions, targets, [shaping] * world.replicates, detail)

    @staticmethod
    def _package_detail(kinds: np.ndarray, signed: np.ndarray) -> str:
        refused = {k.name.lower(): int(((kinds == k) & ~signed).sum()) for k in AgreementKind}
        refused_txt = ", ".join(f"{k} {v}" for k, v in refused.items() if v)
        text = f"signed {int(signed.sum())} of {len(kinds)}"
        return f"{text}; refused {refused_txt}" if refused_txt else text

    # --- arms procurement ([Heydarian2022]) ----------------------------------------------------------------
    def procure_arms(self, world: World) -> None:
        """Spread this month's purchases over suppliers by attractiveness; home production grows
        with capability. The arms share is a 12-month moving mix of purchases."""
        attract = world.arms_supplier * world.reliability + 0.3 * world.defense
        attract[:, VIETNAM] = 0.15 + 0.4 * world.capability
        attract[:, CHINA] = -np.inf  # Vietnam does not arm itself against China with Chinese arms
        purchases = softmax(attract, self.params.procurement_temperature)
        world.arms_share[:] = purchases if not world.arms_share.any() else (
            world.arms_share * (11 / 12) + purchases / 12)
        world.capability[:] = np.clip(
            world.capability + 0.004 * (purchases * world.reliability).sum(axis=1) - 0.002, 0, 1)
