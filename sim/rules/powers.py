"""Rules that bind the other powers: China's red lines and US sanctions pressure (CAATSA)."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from sim.actions import Action
from sim.rules.base import Context, Rule, RuleParams, register
from sim.scenario.schema import Country
from sim.state import CHINA

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Weight = Annotated[float, Field(ge=0.0, le=10.0)]


class RedLinesParams(RuleParams):
    weight: Weight = 1.5  # extra value of coercion once a red line is crossed; calibration
    defense_threshold: Unit = 0.6  # defense tie with a rival that Beijing treats as a red line


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
        w, p = ctx.world, self.params
        rival_defense = (w.rivalry * w.defense)[:, 2:].max(axis=1, initial=0.0)  # (R,)
        crossed = np.maximum(w.red_line, (rival_defense > p.defense_threshold).astype(float))
        parity = ((w.tier[:, 2:] >= w.tier[:, [CHINA]]) * w.rivalry[:, 2:]).max(axis=1, initial=0.0)
        coercion = ctx.menu.is_(Action.GRAY_ZONE_INCIDENT, Action.ESCALATE, Action.ECONOMIC_PUNISHMENT)
        warning = ctx.menu.is_(Action.WARNING)
        return (np.where(coercion, p.weight * crossed[:, None], 0.0)
                + np.where(warning, p.weight * (crossed + 0.3 * parity)[:, None], 0.0))


class SanctionsPressureParams(RuleParams):
    share_threshold: Unit = 0.3  # Russian share of Vietnam's arms that draws pressure ([Heydarian2022])
    weight: Weight = 1.0  # value of pressing a buyer of Russian arms; calibration


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
        return (w.sanctioned_months[:, russia] > 0) & (w.arms_share[:, russia] > self.params.share_threshold)

    def forbid(self, ctx: Context) -> np.ndarray:
        return ctx.menu.is_(Action.SANCTIONS_PRESSURE) & ~self._pressing(ctx)[:, None]

    def reweight(self, ctx: Context) -> np.ndarray:
        w = ctx.world
        russia = w.index(Country.RUSSIA.value)
        value = self.params.weight * w.arms_share[:, russia] * self._pressing(ctx)
        return np.where(ctx.menu.is_(Action.SANCTIONS_PRESSURE), value[:, None], 0.0)
