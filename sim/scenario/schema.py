"""Typed, frozen scenario objects. YAML enters only through :mod:`sim.scenario.loader`.

Each parameter is declared once, with its meaning, range and source (Covasim's habit). A value without
a published source is marked *calibration* and documented in docs/model.md.

Every parameter model derives from :class:`Frozen`, which makes every number finite and a number:
NaN and infinities are refused (``allow_inf_nan=False``), and so are yes/no values and text where a
number goes. Each numeric field also states its range (``Field(ge=..., le=...)``); a test checks that
no numeric field anywhere lacks a lower and an upper bound.
"""

from __future__ import annotations

import importlib
import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from sim.calendar import Month, coerce_month
from sim.streams import MAX_SEED

MAX_MONTHS = 1200  # a century of monthly steps
MAX_REPLICATES = 100_000  # replicates of one model or one design point
# The first and last month a run may start: the modern state system, and a century of runs from
# the last start still ends inside the calendar's four-digit years.
FIRST_START, LAST_START = Month(1900, 1), Month(2100, 12)
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
# A softmax/logistic temperature. Below 0.01 choice is already deterministic for utilities of order
# 0.1 (a gap of 0.1 is a factor e^10 in odds) and scores/temperature overflows toward inf (NaN
# series); above 10 choice is a coin toss for every utility the model produces.
Temperature = Annotated[float, Field(ge=0.01, le=10.0)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]
Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]


_BOOLS = (bool, np.bool_)  # a switch read from a widget may be numpy's


def _leaf_types(annotation: Any) -> set[Any]:
    """The scalar types a field accepts (``float | None`` -> {float, NoneType}); containers are
    looked into by :func:`_not_a_number`."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _leaf_types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_leaf_types(a) for a in typing.get_args(annotation)))
    return {origin or annotation}


def _not_a_number(annotation: Any, value: Any) -> str | None:
    """Why ``value`` cannot stand where ``annotation`` wants a number (a yes/no, a text) or a yes/no
    (a number), or None. Pydantic's lax mode would read ``True`` as 1, ``"0.5"`` as 0.5 and ``1`` as
    true; a scenario means none of them.
    """
    leaves = _leaf_types(annotation)
    if isinstance(value, (list, tuple)) and leaves & {tuple, list}:
        inner = [a for a in typing.get_args(_strip(annotation)) if a is not Ellipsis]
        for i, item in enumerate(value):
            why = _not_a_number(inner[min(i, len(inner) - 1)], item) if inner else None
            if why:
                return f"item {i}: {why}"
        return None
    if leaves == {bool} and not isinstance(value, _BOOLS):
        return "must be yes or no (true/false)"
    if not leaves & {int, float} or bool in leaves:
        return None
    noun = "an integer" if float not in leaves else "a number"
    if isinstance(value, _BOOLS):
        return f"must be {noun}, not yes/no"
    if isinstance(value, str) and leaves <= {int, float, type(None)}:
        return f"must be {noun}, not text"
    return None


def _strip(annotation: Any) -> Any:
    """``tuple[Unit, Unit] | None`` -> ``tuple[Unit, Unit]`` (the one container of an optional)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _strip(inner[0]) if len(inner) == 1 else annotation
    return annotation


class Frozen(BaseModel):
    """Base of every parameter model: immutable, no unknown keys, every number finite and a number."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        why = _not_a_number(field.annotation, value) if field is not None else None
        if why:
            raise ValueError(why)
        return value


class Country(str, Enum):
    """The five states the model always has (DESIGN.md). Partners beyond them are generic."""

    VIETNAM = "vietnam"
    CHINA = "china"
    UNITED_STATES = "united_states"
    JAPAN = "japan"
    RUSSIA = "russia"


class Tier(int, Enum):
    """Vietnam's partnership hierarchy ([Grossman2023]; [LeHongHiep2013])."""

    NONE = 0
    COMPREHENSIVE = 1
    STRATEGIC = 2
    COMPREHENSIVE_STRATEGIC = 3
    COMMUNITY = 4  # China only: "community with a shared future", Dec 2023 ([VOA2023])


# ---------------------------------------------------------------------------------------- agents
# Each state's parameter model lives with its class (sim/agents/*.py, ``Params``); the loader
# finds them in the registry of agents (:data:`sim.agents.base.AGENTS`).


# ---------------------------------------------------------------------------------------- sections
#: the world's coefficient tables, each declared next to the behaviour that reads it:
#: scenario key -> (module, class). A scenario sets them by dotted path (``dynamics.threat_decay``).
SECTIONS: dict[str, tuple[str, str]] = {
    "actions": ("sim.actions", "ActionEffects"),  # effect sizes: actions.<action>.<channel>
    "dynamics": ("sim.dynamics", "Dynamics"),  # decay, crisis clock: dynamics.<name>
    "shocks": ("sim.events", "Shocks"),  # what events set: shocks.<name>
    "metrics": ("sim.metrics", "HedgingIndex"),  # hedging-index weights: metrics.<name>
}


def section_model(name: str) -> type[Frozen]:
    """The pydantic table of world section ``name`` (imported on first use: no import cycle)."""
    module, cls = SECTIONS[name]
    return getattr(importlib.import_module(module), cls)


def _section_default(name: str) -> Any:
    return lambda: section_model(name)()


# ---------------------------------------------------------------------------------------- events
class EventKind(str, Enum):
    """World shocks a scenario can date (DESIGN.md, "Events"). An event sets the world; it never
    decides a state's response."""

    MARITIME_INCIDENT = "maritime_incident"  # opens a crisis at a site with a severity
    SANCTIONS = "sanctions"  # sanctions on the actor (e.g. Russia, Feb 2022)
    SUMMIT = "summit"  # a scheduled meeting: lowers the cost of assurance visits that month
    ECONOMIC_SHOCK = "economic_shock"  # slowdown: prosperity matters more for a while
    FOREIGN_BASE_NEARBY = "foreign_base_nearby"  # e.g. Ream, Cambodia ([Grossman2023])
    MEKONG_DAMS = "mekong_dams"  # upstream dams hit the delta ([Grossman2023])
    UPGRADE_OFFER = "upgrade_offer"  # a partner puts a higher tier on the table
    ARMS_EMBARGO_LIFTED = "arms_embargo_lifted"  # the actor may now sell arms (US 2014/2016)
    LEADERSHIP_CHANGE = "leadership_change"  # a new leader in the actor: commitment reset


@dataclass(frozen=True)
class EventValue:
    """What an event's ``value`` means for one kind, and the values it may take."""

    meaning: str
    low: float
    high: float
    whole: bool = False  # a tier: a whole number


# The kinds that take a ``value`` (sim/events.py reads it); every other kind takes none.
EVENT_VALUES: dict[EventKind, EventValue] = {
    EventKind.UPGRADE_OFFER: EventValue("the tier offered", Tier.COMPREHENSIVE, Tier.COMMUNITY, whole=True),
    EventKind.ARMS_EMBARGO_LIFTED: EventValue("the actor's new arms-supplier attractiveness", 0.0, 1.0),
    EventKind.LEADERSHIP_CHANGE: EventValue("the actor's new commitment", 0.0, 1.0),
}


class Event(Frozen):
    """A dated shock. ``actor`` is the state it concerns (who intrudes, who is sanctioned, who offers)."""

    date: Month
    kind: EventKind
    actor: str | None = None
    target: str | None = None
    site: str | None = None
    severity: Unit = 0.5
    duration: Annotated[int, Field(ge=1, le=600)] = 1  # months the shock lasts
    value: Annotated[float, Field(ge=0.0, le=float(Tier.COMMUNITY))] | None = None  # see EVENT_VALUES
    label: str = ""

    @field_validator("value")
    @classmethod
    def _value_fits_kind(cls, value: float | None, info: ValidationInfo) -> float | None:
        kind, actor = info.data.get("kind"), info.data.get("actor")
        spec = EVENT_VALUES.get(kind) if isinstance(kind, EventKind) else None
        if value is None or kind is None:
            return value
        if spec is None:
            raise ValueError(f"a {kind.value} event takes no value (only "
                             f"{', '.join(k.value for k in EVENT_VALUES)} do)")
        if spec.whole and not float(value).is_integer():
            raise ValueError(f"{spec.meaning} must be a whole number")
        if not spec.low <= value <= spec.high:
            raise ValueError(f"{spec.meaning} must be between {spec.low:g} and {spec.high:g}")
        if kind is EventKind.UPGRADE_OFFER and value == Tier.COMMUNITY and actor != Country.CHINA.value:
            raise ValueError("tier 4 (community with a shared future) is China's alone to offer")
        return value

    @field_validator("date", mode="before")
    @classmethod
    def _month(cls, v: Any) -> Month:
        return coerce_month(v)

    @field_serializer("date")
    def _month_text(self, v: Month) -> str:
        return str(v)


class RandomEventSpec(Frozen):
    """A shock that strikes at random with a monthly rate, drawn from the model's generator."""

    monthly_rate: Unit
    severity: tuple[Unit, Unit] = (0.3, 0.7)
    actor: str | None = None
    duration: Annotated[int, Field(ge=1, le=600)] = 1

    @model_validator(mode="after")
    def _range(self) -> RandomEventSpec:
        if self.severity[0] > self.severity[1]:
            raise ValueError("severity range must be [low, high] with low <= high")
        return self


# ---------------------------------------------------------------------------------------- scenario
class Scenario(Frozen):
    """A what-if world: who is in it, the rules in force, and the dated shocks."""

    name: str
    description: str
    start: Month
    months: Annotated[int, Field(ge=1, le=MAX_MONTHS)]
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0  # root seed (numpy seeds are non-negative)
    effects_scale: Annotated[float, Field(ge=0, le=5)] = 1.0  # scales every row of the effects table
    agents: dict[str, Any] = Field(default_factory=dict)  # name -> *Params, validated in the loader
    rules: dict[str, Any] = Field(default_factory=dict)  # rule id -> params, validated in the loader
    # the world's coefficient tables (SECTIONS), validated in the loader
    actions: Any = Field(default_factory=_section_default("actions"))
    dynamics: Any = Field(default_factory=_section_default("dynamics"))
    shocks: Any = Field(default_factory=_section_default("shocks"))
    metrics: Any = Field(default_factory=_section_default("metrics"))
    events: tuple[Event, ...] = ()
    random_events: dict[EventKind, RandomEventSpec] = Field(default_factory=dict)
    source_file: str | None = None  # where it was loaded from (not part of the content hash)

    @field_validator("start", mode="before")
    @classmethod
    def _month(cls, v: Any) -> Month:
        start = coerce_month(v)
        if not FIRST_START <= start <= LAST_START:
            raise ValueError(f"a run starts between {FIRST_START} and {LAST_START}")
        return start

    @field_serializer("start")
    def _month_text(self, v: Month) -> str:
        return str(v)

    @property
    def end(self) -> Month:
        return self.start.plus(self.months - 1)

    @property
    def partners(self) -> tuple[str, ...]:
        """Every state but Vietnam, the five first in a fixed order, then added partners."""
        fixed = [c.value for c in Country if c is not Country.VIETNAM]
        extra = sorted(k for k in self.agents if k not in {c.value for c in Country})
        return tuple(fixed + extra)

    @property
    def countries(self) -> tuple[str, ...]:
        """Every state of the world, Vietnam first: the order of the world's per-state arrays."""
        return (Country.VIETNAM.value, *self.partners)

    def agent(self, name: str) -> Any:
        return self.agents[name]

    def rule(self, rule_id: str) -> Any:
        return self.rules[rule_id]
