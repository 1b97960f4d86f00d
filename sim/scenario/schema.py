"""Typed, frozen scenario objects. YAML enters only through :mod:`sim.scenario.loader`.

Each parameter is declared once, with its meaning, range and source (Covasim's habit). A value without
a published source is marked *calibration* and documented in docs/model.md.
"""

from __future__ import annotations

import importlib
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from sim.calendar import Month, coerce_month

MAX_MONTHS = 1200  # a century of monthly steps
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Event(Frozen):
    """A dated shock. ``actor`` is the state it concerns (who intrudes, who is sanctioned, who offers)."""

    date: Month
    kind: EventKind
    actor: str | None = None
    target: str | None = None
    site: str | None = None
    severity: Unit = 0.5
    duration: Annotated[int, Field(ge=1, le=600)] = 1  # months the shock lasts
    value: float | None = None  # kind-specific level (new commitment after a leadership change)
    label: str = ""

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
    seed: Annotated[int, Field(ge=0)] = 0  # root seed of the run (numpy seeds are non-negative)
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
        return coerce_month(v)

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

    def agent(self, name: str) -> Any:
        return self.agents[name]

    def rule(self, rule_id: str) -> Any:
        return self.rules[rule_id]
