"""Rules that bind the other powers: China's red lines and US sanctions pressure (CAATSA)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.actions import Action
from sim.coefficients import coef
from sim.rules.base import Context, Rule, RuleParams, register
from sim.scenario.schema import Country
from sim.state import CHINA, World


class RedLinesParams(RuleParams):
    weight: float = coef(1.5, 0, 10, "extra value of coercion once a red line is crossed")
    defense_threshold: float = coef(0.6, 0, 1, "defense tie with a rival that Beijing treats as a red "
                                    "line", "[SCMP2023]")
    parity_warning: float = coef(0.3, 0, 3, "extra weight of a warning per unit of a rival's tier "
                                 "parity x rivalry", "[SCMP2023]")


@register
class ChinaRedLines(Rule):
    """China's red lines: an alliance, a foreign base, siding with a rival, or a defense tie with a
    rival past a threshold makes coercion and warnings worth more to Beijing; a rival reaching
    China's tier makes a warning worth more."""

    id = "china_red_lines"
    binds = Country.CHINA.value
    source = "[SCMP2023] ('misunderstanding, dissatisfaction and even punishment'); [Diplomat2023] (2017)"
    Params = RedLinesParams

    def reweight(self, ctx: Context) -> np.ndarray:
        w, k = ctx.world, self.k
        rival_defense = _largest_over_rivals(w, lambda c: w.rivalry[:, c] * w.defense[:, c])
        crossed = np.maximum(w.red_line, (rival_defense > k.defense_threshold).astype(float))
        china_tier = w.tier[:, CHINA]
        parity = _largest_over_rivals(w, lambda c: (w.tier[:, c] >= china_tier) * w.rivalry[:, c])
        coercion = ctx.menu.columns(Action.GRAY_ZONE_INCIDENT, Action.ESCALATE, Action.THREATEN_FORCE,
                                    Action.ECONOMIC_PUNISHMENT)
        weight = k.weight[:, None]
        out = ctx.blank()
        out[:, coercion] = weight * crossed[:, None]
        out[:, ctx.menu.columns(Action.WARNING)] = weight * (crossed + k.parity_warning * parity)[:, None]
        return out


def _largest_over_rivals(world: World, value: Callable[[int], np.ndarray]) -> np.ndarray:
    """``(R,)``: the largest ``value(c)`` over the states other than Vietnam and China, and 0 if
    none is larger. One pass per state: numpy's ``max(axis=1)`` over so few columns walks each
    replicate's row on its own, four times slower."""
    out = np.zeros(world.replicates)
    for c in range(CHINA + 1, len(world.countries)):
        np.maximum(out, value(c), out=out)
    return out


class SanctionsPressureParams(RuleParams):
    share_threshold: float = coef(0.3, 0, 1, "Russian share of Vietnam's arms that draws pressure",
                                  "[Heydarian2022]")
    weight: float = coef(1.0, 0, 10, "value of pressing a buyer of Russian arms")


@register
class UsSanctionsPressure(Rule):
    """US sanctions pressure (CAATSA): while Russia is sanctioned and Vietnam buys much Russian
    arms, pressing Hanoi is worth more to Washington; otherwise it is not on the table."""

    id = "us_sanctions_pressure"
    binds = Country.UNITED_STATES.value
    source = "[Heydarian2022] (CAATSA made Indonesia and the Philippines cancel Russian deals)"
    Params = SanctionsPressureParams

    def _pressing(self, ctx: Context) -> np.ndarray:
        w = ctx.world
        russia = w.index(Country.RUSSIA.value)
        return (w.sanctioned_months[:, russia] > 0) & (w.arms_share[:, russia] > self.k.share_threshold)

    def forbid(self, ctx: Context) -> np.ndarray:
        return ctx.menu.is_(Action.SANCTIONS_PRESSURE) & ~self._pressing(ctx)[:, None]

    def reweight(self, ctx: Context) -> np.ndarray:
        w = ctx.world
        russia = w.index(Country.RUSSIA.value)
        value = self.k.weight * w.arms_share[:, russia] * self._pressing(ctx)
        return np.where(ctx.menu.is_(Action.SANCTIONS_PRESSURE), value[:, None], 0.0)
