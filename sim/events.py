"""World shocks: dated events from the scenario and random events with monthly rates.

An event sets the world (an incident, an offer, sanctions); it never makes a state's choice
(DESIGN.md, "Mechanisms, not scripts"). Each kind's effect is one function below; its sizes are
the scenario's ``shocks`` table (``shocks.<name>``), read as ``world.k.shocks.<name>``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.coefficients import coef
from sim.dynamics import open_crisis, open_offer
from sim.scenario.schema import Event, EventKind, Frozen, RandomEventSpec
from sim.state import CHINA, World
from sim.streams import Purpose, ReplicateStreams


class Shocks(Frozen):
    """What a dated or random event does to the world, per unit of its severity."""

    sanctions_reliability_cut: float = coef(0.2, 0, 1, "reliability a sanctioned supplier loses at "
                                            "once", "[Heydarian2022]")
    foreign_base_threat: float = coef(0.15, 0, 1, "threat added by a foreign base nearby (Ream)",
                                      "[Grossman2023]")
    mekong_threat: float = coef(0.05, 0, 1, "threat added by upstream dams", "[Grossman2023]")
    mekong_tension: float = coef(0.08, 0, 1, "Vietnam-China tension added by upstream dams",
                                 "[Grossman2023]")
    embargo_lift: float = coef(0.3, 0, 1, "arms-supplier attractiveness gained when an embargo is "
                               "lifted without a stated value")


def _incident(world: World, e: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """Opens a crisis (or deepens the open one): first rung by severity; threat and tension rise
    ([Diplomat2023])."""
    open_crisis(world, where, severity)  # [Diplomat2023]: HD-981, Haiyang Dizhi 8, Xiang Yang Hong 10


def _sanctions(world: World, e: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """Sanctions on `actor` for `duration` months: reliability drops at once and erodes monthly
    ([Heydarian2022])."""
    i = world.index(e.actor or "russia")  # [Heydarian2022]: sanctions on Russia after Feb 2022
    world.sanctioned_months[:, i] = np.where(where, np.maximum(world.sanctioned_months[:, i], e.duration),
                                             world.sanctioned_months[:, i])
    cut = where * world.k.shocks.sanctions_reliability_cut * severity
    world.reliability[:, i] = np.clip(world.reliability[:, i] - cut, 0, 1)


def _summit(world: World, e: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """A scheduled summit with `actor` this month: visits and deals with it are worth more."""
    i = world.index(e.actor or "china")
    world.summit[:, i] = np.maximum(world.summit[:, i], where)


def _economic_shock(world: World, e: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """A slowdown for `duration` months: prosperity weighs (1 + severity) times more. [VOA2023]."""
    longer = np.maximum(world.economic_shock, e.duration)
    world.economic_shock[:] = np.where(where, longer, world.economic_shock)
    world.shock_severity[:] = np.where(where, severity, world.shock_severity)


def _foreign_base(world: World, e: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """A foreign naval base near Vietnam (e.g. Ream, Cambodia): threat rises. [Grossman2023]."""
    rise = where * world.k.shocks.foreign_base_threat * severity  # [Grossman2023]: Ream
    world.threat[:] = np.clip(world.threat + rise, 0, 1)


def _mekong(world: World, e: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """Upstream dams hit the Mekong delta: threat and tension with China rise. [Grossman2023]."""
    s = world.k.shocks  # [Grossman2023]: dams
    world.threat[:] = np.clip(world.threat + where * s.mekong_threat * severity, 0, 1)
    world.tension[:, CHINA] = np.clip(world.tension[:, CHINA] + where * s.mekong_tension * severity, 0, 1)


def _upgrade_offer(world: World, e: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """`actor` offers a higher tier (`value`, default one up) for ``dynamics.offer_open_months``;
    Vietnam decides."""
    i = world.index(e.actor or "united_states")
    tier = e.value if e.value is not None else world.tier[:, i] + 1
    open_offer(world, i, where, tier)


def _embargo_lifted(world: World, e: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """`actor` may now sell arms: its arms-supplier attractiveness becomes `value`."""
    i = world.index(e.actor or "united_states")
    lift = world.k.shocks.embargo_lift * severity
    level = e.value if e.value is not None else world.arms_supplier[:, i] + lift
    world.arms_supplier[:, i] = np.where(where, np.clip(level, 0, 1), world.arms_supplier[:, i])


def _leadership_change(world: World, e: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """A new leadership in `actor`: its commitment becomes `value`."""
    i = world.index(e.actor or "united_states")
    level = e.value if e.value is not None else world.commitment[:, i]
    world.commitment[:, i] = np.where(where, np.clip(level, 0, 1), world.commitment[:, i])


EFFECTS: dict[EventKind, Callable[[World, Event, np.ndarray, np.ndarray], None]] = {
    EventKind.MARITIME_INCIDENT: _incident,
    EventKind.SANCTIONS: _sanctions,
    EventKind.SUMMIT: _summit,
    EventKind.ECONOMIC_SHOCK: _economic_shock,
    EventKind.FOREIGN_BASE_NEARBY: _foreign_base,
    EventKind.MEKONG_DAMS: _mekong,
    EventKind.UPGRADE_OFFER: _upgrade_offer,
    EventKind.ARMS_EMBARGO_LIFTED: _embargo_lifted,
    EventKind.LEADERSHIP_CHANGE: _leadership_change,
}
assert set(EFFECTS) == set(EventKind), "every EventKind needs an effect"


def fire(world: World, event: Event, where: np.ndarray, severity: np.ndarray) -> None:
    """Apply one event in the replicates where ``where`` is True, with a severity per replicate
    (the event's own, or a random event's draw). :meth:`HedgingModel.inject` is the door in."""
    EFFECTS[event.kind](world, event, where, severity)


def draw_random(kind: EventKind, spec: RandomEventSpec, date, world: World, streams: ReplicateStreams,
                rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                ) -> tuple[Event, np.ndarray, np.ndarray]:
    """Draw this month's random event of ``kind`` in every replicate: where it strikes, and with
    what severity (uniform over the spec's range). Each replicate draws from its own stream.
    ``rows``: per-replicate (monthly rate, severity low, severity high) when they differ."""
    rate, low, high = rows if rows is not None else (spec.monthly_rate, *spec.severity)
    strikes = streams.of(Purpose.EVENT_STRIKES, kind.value).random(world.replicates) < rate
    severity = streams.of(Purpose.EVENT_SEVERITY, kind.value).uniform(low, high, size=world.replicates)
    actor = spec.actor or ("china" if kind is EventKind.MARITIME_INCIDENT else None)
    event = Event(date=date, kind=kind, actor=actor, severity=float(np.mean(spec.severity)),
                  duration=spec.duration, label=f"random {kind.value}")
    return event, strikes, severity
