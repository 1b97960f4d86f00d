"""The world's state as arrays with a leading replicate axis ``R`` (R = 1 for a single Mesa run).

Relations are Vietnam-centric dyads: entry ``[r, p]`` is the relation between Vietnam and state ``p``
in replicate ``r`` (index 0 is Vietnam itself and is unused for dyads, except ``arms_share[:, 0]``,
Vietnam's home production). The partners' rivalry with China is a parameter vector, not a dyad.
Everything here is plain numpy so the same functions can advance many replicates in lockstep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.schema import Country

if TYPE_CHECKING:
    from sim.coefficients import Arrays
    from sim.scenario.schema import Scenario

VIETNAM, CHINA = 0, 1
ALL = slice(None)  #: every replicate: the rows of the per-replicate arrays a computation may take

#: crisis ladder rungs (DESIGN.md, "Crisis ladder")
LADDER = ("none", "presence", "standoff", "water cannon or ramming",
          "naval clash or a direct threat of force", "use of force")
THREAT_RUNG = 4  #: where a direct threat of force puts a crisis (China.threat_terms)
USE_OF_FORCE_RUNG = 5


@dataclass
class World:
    """Every quantity that changes during a run. Shapes: ``(R,)`` scalars, ``(R, n)`` per state."""

    countries: tuple[str, ...]
    # Vietnam-centric dyads (R, n)
    tier: np.ndarray
    trust: np.ndarray
    tension: np.ndarray
    interdependence: np.ndarray
    defense: np.ndarray
    # partners' character (R, n); the scenario sets them, events move them
    commitment: np.ndarray
    democracy_promotion: np.ndarray
    reliability: np.ndarray
    arms_supplier: np.ndarray
    rivalry: np.ndarray
    economy: np.ndarray  # GDP, USD trillion (gravity: sim.dynamics.trade_anchor)
    distance: np.ndarray  # km from Hanoi (gravity)
    offer_months: np.ndarray  # months an upgrade offer stays open (0 = none)
    offer_tier: np.ndarray  # tier the open offer would lead to
    sanctioned_months: np.ndarray
    summit: np.ndarray  # 1 in a month with a scheduled summit with that state
    arms_share: np.ndarray  # Vietnam's arms purchases by supplier (index 0: home production)
    # Vietnam (R,)
    threat: np.ndarray
    regime_insecurity: np.ndarray
    capability: np.ndarray
    assurance_debt: np.ndarray
    debt_age: np.ndarray  # months the debt has been owed
    # China (R,)
    china_suspicion: np.ndarray
    community_offer: np.ndarray  # months China's community offer stays open
    package_cooldown: np.ndarray
    # crisis (R,)
    escalation: np.ndarray  # rung 0..5 on the ladder
    crisis_months: np.ndarray
    crisis_severity: np.ndarray
    reputation_cost: np.ndarray
    crisis_count: np.ndarray
    assurance_in_crisis: np.ndarray  # Vietnam's assurance acts since the crisis began
    stood_firm: np.ndarray  # Vietnam stood firm (1) last month
    red_line: np.ndarray  # memory of red lines crossed (decays)
    coercion_memory: np.ndarray  # Vietnam's memory of China's coercion: accumulates, decays slowly
    economic_shock: np.ndarray  # months of slowdown left
    shock_severity: np.ndarray
    # this month's counters (R,), reset at the start of every step
    assurance_acts: np.ndarray = field(default=None)  # type: ignore[assignment]
    four_nos_violations: np.ndarray = field(default=None)  # type: ignore[assignment]
    china_coercion: np.ndarray = field(default=None)  # type: ignore[assignment]
    use_of_force: np.ndarray = field(default=None)  # type: ignore[assignment]
    agreements_signed: np.ndarray = field(default=None)  # type: ignore[assignment]
    agreements_refused: np.ndarray = field(default=None)  # type: ignore[assignment]
    sensitive_signed: np.ndarray = field(default=None)  # type: ignore[assignment]
    sensitive_refused: np.ndarray = field(default=None)  # type: ignore[assignment]
    four_nos_removed: np.ndarray = field(default=None)  # type: ignore[assignment]
    four_nos_prevented: np.ndarray = field(default=None)  # type: ignore[assignment]
    china_incidents: np.ndarray = field(default=None)  # type: ignore[assignment]
    ended_by_china: np.ndarray = field(default=None)  # type: ignore[assignment]
    ended_by_vietnam: np.ndarray = field(default=None)  # type: ignore[assignment]
    #: the world's coefficients (effects table, dynamics, shocks, metrics) as (R,)-arrays;
    #: parameters, not state: shared by copies
    k: Arrays = field(default=None)  # type: ignore[assignment]

    COUNTERS = ("assurance_acts", "four_nos_violations", "china_coercion", "use_of_force",
                "agreements_signed", "agreements_refused", "sensitive_signed", "sensitive_refused",
                "four_nos_removed", "four_nos_prevented", "china_incidents", "ended_by_china",
                "ended_by_vietnam")

    def __post_init__(self) -> None:
        self.reset_counters()

    @property
    def replicates(self) -> int:
        return self.tier.shape[0]

    @property
    def in_crisis(self) -> np.ndarray:
        return self.escalation > 0

    def index(self, name: str) -> int:
        return self.countries.index(name)

    def reset_counters(self) -> None:
        for name in self.COUNTERS:
            setattr(self, name, np.zeros(self.replicates))

    def copy(self) -> World:
        return World(**{f.name: (getattr(self, f.name).copy()
                                 if isinstance(getattr(self, f.name), np.ndarray)
                                 else getattr(self, f.name)) for f in fields(self)})


def world_coefficients(scenarios: Sequence[Scenario], replicates: int,
                       varying: Mapping[str, np.ndarray] | None = None) -> Arrays:
    """The world-level coefficient tables of one scenario (broadcast to ``replicates``), of one
    scenario per replicate, or of one scenario with ``varying`` coefficients (dotted path -> (R,)
    values, :func:`sim.blocks.varied`): ``effects`` (R, actions, channels), ``dynamics``,
    ``shocks``, ``metrics``."""
    from sim.actions import effects_matrix
    from sim.blocks import varied
    from sim.coefficients import Arrays, compile_params
    from sim.scenario.schema import SECTIONS

    def tables(name: str):  # noqa: ANN202
        if varying:
            return varied(scenarios[0], varying, name)
        values = [getattr(s, name) for s in scenarios]
        return values if len(values) > 1 else values[0]

    out = {name: compile_params(tables(name), replicates) for name in SECTIONS if name != "actions"}
    out["effects"] = effects_matrix(compile_params(tables("actions"), replicates), replicates)
    return Arrays(out)


def initial_world(scenario: Scenario | Sequence[Scenario], replicates: int = 1,
                  varying: Mapping[str, np.ndarray] | None = None) -> World:
    """The world at the scenario's start month: the same in every replicate, or, given one
    scenario per replicate (same states) or ``varying`` coefficients of one (dotted path -> (R,)
    values), each replicate's own starting values."""
    scenarios = [scenario] if not isinstance(scenario, Sequence) else list(scenario)
    scenario = scenarios[0]
    R = replicates if len(scenarios) == 1 else len(scenarios)
    varying = varying or {}
    countries = scenario.countries
    n = len(countries)

    def per_state(attr: str, default: float = 0.0) -> np.ndarray:
        rows = [[default] + [float(getattr(s.agents[c], attr)) for c in countries[1:]] for s in scenarios]
        out = np.broadcast_to(np.asarray(rows, dtype=float), (R, n)).copy()
        for i, c in enumerate(countries[1:], start=1):
            if f"agents.{c}.{attr}" in varying:
                out[:, i] = varying[f"agents.{c}.{attr}"]
        return out

    def scalar(attr: str) -> np.ndarray:
        values = [float(getattr(s.agents[Country.VIETNAM.value], attr)) for s in scenarios]
        out = np.broadcast_to(np.asarray(values), (R,)).copy()
        if f"agents.{Country.VIETNAM.value}.{attr}" in varying:
            out[:] = varying[f"agents.{Country.VIETNAM.value}.{attr}"]
        return out

    zeros_n, zeros = np.zeros((R, n)), np.zeros(R)
    return World(
        countries=countries,
        tier=per_state("tier"), trust=per_state("trust"), tension=per_state("tension"),
        interdependence=per_state("interdependence"), defense=per_state("defense"),
        commitment=per_state("commitment"), democracy_promotion=per_state("democracy_promotion"),
        reliability=per_state("reliability", 1.0), arms_supplier=per_state("arms_supplier"),
        rivalry=per_state("rivalry_with_china"),
        economy=per_state("economy"), distance=per_state("distance_km", 1.0),
        offer_months=zeros_n.copy(), offer_tier=zeros_n.copy(),
        sanctioned_months=zeros_n.copy(), summit=zeros_n.copy(), arms_share=zeros_n.copy(),
        threat=scalar("threat"), regime_insecurity=scalar("regime_insecurity"),
        capability=scalar("capability"), assurance_debt=zeros.copy(), debt_age=zeros.copy(),
        china_suspicion=zeros.copy(), community_offer=zeros.copy(), package_cooldown=zeros.copy(),
        escalation=zeros.copy(), crisis_months=zeros.copy(), crisis_severity=zeros.copy(),
        reputation_cost=zeros.copy(), crisis_count=zeros.copy(), assurance_in_crisis=zeros.copy(),
        stood_firm=zeros.copy(), red_line=zeros.copy(), coercion_memory=zeros.copy(),
        economic_shock=zeros.copy(),
        shock_severity=zeros.copy(), k=world_coefficients(scenarios, R, varying),
    )
