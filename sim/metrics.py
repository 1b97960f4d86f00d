"""The monthly outcome series, declared once: name, description, and how to read it off the world.

The hedging index ([Kuik2008]; [SCMP2023]'s "equidistance") is Vietnam's net alignment between the
United States and China: the difference of its closeness to each over their sum, in [-1, 1];
0 is equidistance, negative leans to China, positive to the US.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.coefficients import coef
from sim.scenario.schema import Country, Frozen
from sim.state import CHINA, VIETNAM, World

if TYPE_CHECKING:
    import pandas as pd

EQUIDISTANCE_BAND = 0.2  # |hedging_index| below this counts as equidistant (a reporting definition)


class HedgingIndex(Frozen):
    """Weights of Vietnam's closeness to a power in the hedging index ([Kuik2008]; [SCMP2023])."""

    tier: float = coef(0.3, 0, 1, "closeness per unit of tier / 3 (capped at comprehensive strategic)")
    trust: float = coef(0.3, 0, 1, "closeness per unit of trust")
    defense: float = coef(0.25, 0, 1, "closeness per unit of defense tie")
    interdependence: float = coef(0.15, 0, 1, "closeness per unit of interdependence")
    tension: float = coef(0.3, 0, 1, "closeness lost per unit of tension")


def closeness(world: World, p: int) -> np.ndarray:
    """``(R,)`` Vietnam's closeness to state ``p``: tier, trust, defense and trade ties, less tension
    (weights: the scenario's ``metrics`` table)."""
    w = world.k.metrics
    tier = np.minimum(world.tier[:, p], 3) / 3.0
    return np.clip(w.tier * tier + w.trust * world.trust[:, p] + w.defense * world.defense[:, p]
                   + w.interdependence * world.interdependence[:, p] - w.tension * world.tension[:, p],
                   0.0, None)


def hedging_index(world: World) -> np.ndarray:
    us = closeness(world, world.index(Country.UNITED_STATES.value))
    cn = closeness(world, CHINA)
    return (us - cn) / np.maximum(us + cn, 1e-9)


@dataclass(frozen=True)
class Series:
    name: str
    description: str
    read: Callable[[World], np.ndarray]


def series_for(countries: tuple[str, ...]) -> tuple[Series, ...]:
    """Every monthly column for a world with these states (tiers and trust per partner)."""
    russia = countries.index(Country.RUSSIA.value)
    fixed = (
        Series("hedging_index", "net alignment, -1 China .. +1 US; 0 equidistance", hedging_index),
        Series("tension_china", "Vietnam-China tension, 0..1", lambda w: w.tension[:, CHINA]),
        Series("crisis", "1 while a maritime crisis is open", lambda w: (w.escalation > 0) * 1.0),
        Series("escalation", "crisis-ladder rung 0..5 (5 = use of force)", lambda w: w.escalation),
        Series("use_of_force", "1 in a month with interstate use of force", lambda w: w.use_of_force),
        Series("threat_china", "Vietnam's threat perception of China, 0..1", lambda w: w.threat),
        Series("regime_insecurity", "Vietnam's regime insecurity, 0..1", lambda w: w.regime_insecurity),
        Series("capability", "Vietnam's military capability, 0..1", lambda w: w.capability),
        Series("russia_arms_share", "Russia's share of Vietnam's arms purchases",
               lambda w: w.arms_share[:, russia]),
        Series("domestic_arms_share", "home production's share of arms", lambda w: w.arms_share[:, VIETNAM]),
        Series("assurance_acts", "assurance acts toward China this month", lambda w: w.assurance_acts),
        Series("assurance_debt", "assurance owed to Beijing", lambda w: w.assurance_debt),
        Series("four_nos_violations", "actions the Four Nos forbid, taken this month",
               lambda w: w.four_nos_violations),
        Series("four_nos_removed", "choice probability the Four Nos removed from Vietnam's moves "
               "this month (sim.rules.binding)", lambda w: w.four_nos_removed),
        Series("four_nos_prevented", "expected forbidden moves the Four Nos prevented this month",
               lambda w: w.four_nos_prevented),
        Series("china_coercion", "coercive Chinese moves this month", lambda w: w.china_coercion),
        Series("china_suspicion", "China's suspicion of Vietnam's ties with rivals",
               lambda w: w.china_suspicion),
        Series("agreements_signed", "agreements of a Chinese package signed this month",
               lambda w: w.agreements_signed),
        Series("agreements_refused", "agreements of a Chinese package refused this month",
               lambda w: w.agreements_refused),
        Series("sensitive_signed", "security or strategic-resource agreements signed this month",
               lambda w: w.sensitive_signed),
        Series("sensitive_refused", "security or strategic-resource agreements refused this month",
               lambda w: w.sensitive_refused),
        Series("crisis_count", "crises opened so far", lambda w: w.crisis_count),
        Series("china_incidents", "gray-zone incidents China chose to start this month",
               lambda w: w.china_incidents),
        Series("ended_by_china", "1 in a month China stepped down and ended a crisis",
               lambda w: w.ended_by_china),
        Series("ended_by_vietnam", "1 in a month Vietnam conceded and ended a crisis",
               lambda w: w.ended_by_vietnam),
        Series("coercion_memory", "Vietnam's accumulated memory of China's coercion",
               lambda w: w.coercion_memory),
    )

    def dyad(kind: str, i: int) -> Callable[[World], np.ndarray]:
        return lambda w: getattr(w, kind)[:, i]

    per_state = tuple(
        Series(f"{kind}_{name}", f"Vietnam's {kind} with {name}", dyad(kind, i))
        for kind in ("tier", "trust", "defense", "interdependence")
        for i, name in enumerate(countries) if i != VIETNAM
    )
    return fixed + per_state


def recorded_columns(columns: tuple[Series, ...], names: Sequence[str] | None) -> tuple[Series, ...]:
    """The columns a model records: all of them (``names`` None), or those named, in their declared
    order. A sweep records only what its outcomes and stored series read: each column is a month's
    read of the world and 8 bytes a run-month of memory, and a block's monthly series is most of its
    memory. Unknown names are refused, listing the columns there are."""
    if names is None:
        return columns
    if isinstance(names, str):  # one name, not its letters
        names = [names]
    unknown = sorted(set(names) - {c.name for c in columns})
    if unknown:
        raise ValueError(f"no monthly series {', '.join(map(repr, unknown))}; there are: "
                         + ", ".join(c.name for c in columns))
    wanted = set(names)
    return tuple(c for c in columns if c.name in wanted)


def latest_value(model: Any, index: int) -> float:
    """Column ``index`` of the month the model just recorded (replicate 0)."""
    return float(model.latest[0, index])


def model_reporters(columns: tuple[Series, ...]) -> dict[str, partial[float]]:
    """``mesa.DataCollector(model_reporters=...)`` for these columns, by name, so Mesa's tables hold
    exactly what :meth:`HedgingModel.series` holds (Mesa calls a ``partial`` with the model)."""
    return {c.name: partial(latest_value, index=i) for i, c in enumerate(columns)}


class NonFiniteError(ValueError):
    """A table the model produced holds NaN or an infinity where a value is expected."""


#: columns that say where a row is, named in the error (whichever a table has)
_ROW_KEYS = ("date", "step", "run", "point", "replicate", "seed")


def require_finite(**tables: pd.DataFrame) -> None:
    """Refuse tables holding NaN or inf in any numeric column, before anything is written.

    Every input is checked finite and in range (:mod:`sim.scenario.schema`), so a non-finite value
    here is a defect of the model, not of a scenario; it must stop the run, not reach a table that a
    reader would average. The error names the table, column, month and replicate of the first one.
    """
    for name, table in tables.items():
        numeric = table.select_dtypes(include="number")
        bad = ~np.isfinite(numeric.to_numpy(dtype=float))
        if not bad.any():
            continue
        row, col = (int(i) for i in np.argwhere(bad)[0])
        column = numeric.columns[col]
        where = ", ".join(f"{k} {table[k].iloc[row]}" for k in _ROW_KEYS if k in table.columns)
        raise NonFiniteError(f"the {name} table holds {table[column].iloc[row]} in column {column!r} "
                             f"({where or f'row {row}'}); {int(bad.sum())} value(s) are not finite, "
                             "so nothing was written (please report this with the scenario)")
