"""HedgingModel: the Mesa model built from a Scenario. The monthly step order is written out in
:meth:`HedgingModel.step`; the world's state lives in arrays (:mod:`sim.state`)."""

from __future__ import annotations

import numbers
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import dynamics, mesa_compat
from sim.actions import ACTIONS
from sim.agents import agent_class
from sim.agents.base import StateAgent
from sim.agents.china import China
from sim.agents.russia import Russia
from sim.agents.vietnam import Vietnam
from sim.blocks import check_block, check_varying, column, node_at, varied
from sim.calendar import Month, date_of_step
from sim.crises import CrisisLog
from sim.events import draw_random, fire
from sim.metrics import model_reporters, recorded_columns, series_for
from sim.rules import RULES, Rule
from sim.rules.binding import RULE_REPORT, RULE_SERIES, RuleEffect
from sim.scenario.schema import MAX_MONTHS, MAX_REPLICATES, Country, Event, Scenario
from sim.state import initial_world
from sim.streams import MAX_SEED, ReplicateStreams, replicate_seeds

mesa_compat.install()  # models are freed when dropped (Mesa issue #3179; see sim/mesa_compat.py)
ACTION_COLUMNS = ("step", "date", "actor", "action", "target", "rules", "detail")


def check_run_arguments(seed: Any, replicates: Any, seeds: Any) -> None:
    """Refuse what numpy, ``int()`` or ``range()`` would silently bend (``seed=1.9`` run as 1,
    ``replicates=0`` as one replicate) with a ValueError naming the argument."""
    _whole("replicates", replicates, 1, MAX_REPLICATES)
    if seed is not None:
        _whole("seed", seed, 0, MAX_SEED)
    if seeds is not None:
        if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence | np.ndarray) or len(seeds) == 0:
            raise ValueError(f"seeds must be a non-empty list of whole numbers, got {seeds!r}")
        _whole("len(seeds)", len(seeds), 1, MAX_REPLICATES)
        for i, s in enumerate(seeds):
            _whole(f"seeds[{i}]", s, 0, 2**64 - 1)  # a sweep's run seeds are numpy uint64 draws


def _whole(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:,} and {high:,}, got {value:,}")


class HedgingModel(mesa.Model):
    """Vietnam's hedging among China, the US, Japan, Russia and any added partners.

    Args:
        scenario: a loaded :class:`Scenario`, the path of a YAML scenario, or one scenario per
            replicate (same structure, :func:`sim.blocks.structure_key`; coefficients may differ).
        seed: the run's seed; all randomness comes from it (the model's draws through
            :mod:`sim.streams`; Mesa's own ``model.rng`` is seeded with it too). Defaults to the
            scenario's ``seed``.
        record_actions: keep the action log (turn off for large sweeps).
        replicates: advance this many replicates in lockstep through the same array code
            (tables then carry a ``replicate`` column). Replicate 0 runs ``seed``; the others run
            seeds spawned from it (:func:`sim.streams.replicate_seeds`).
        seeds: the replicates' seeds, given explicitly (overrides ``seed`` and ``replicates``).
        varying: coefficients that differ per replicate, ``{dotted path: (R,) values}`` on the
            base ``scenario`` (values checked beforehand, :func:`sim.blocks.coefficient_problems`).
        series: the monthly columns to record, by name (default: all, :func:`sim.metrics.series_for`);
            the run is the same, :meth:`series` holds only these (a sweep records what it reads).

    Each replicate draws from its own stream (:mod:`sim.streams`) and reads its own row of every
    coefficient, so replicate r is the same run as ``HedgingModel(scenarios[r], seed=seeds[r])``
    alone, whichever runs (of whichever design points) it shares a block with.
    """

    def __init__(self, scenario: Scenario | str | Path | Sequence[Scenario], seed: int | None = None,
                 record_actions: bool = True, replicates: int = 1,
                 seeds: Sequence[int] | None = None,
                 varying: dict[str, np.ndarray] | None = None, rule_report: bool = True,
                 series: Sequence[str] | None = None) -> None:
        check_run_arguments(seed, replicates, seeds)
        scenarios = self._per_replicate(scenario, varying)
        scenario = scenarios[0]
        self.scenario = scenario
        varying = varying or {}
        given = check_varying(scenario, varying) if varying else len(scenarios)  # runs the block was given
        if seeds is None:
            count = given if given > 1 else replicates
            seeds = replicate_seeds(int(scenario.seed if seed is None else seed), count)
        self.seeds = [int(s) for s in seeds]
        replicates = len(self.seeds)
        if given not in (1, replicates):
            raise ValueError(f"{given} scenarios for {replicates} seeds: give one per replicate")
        self.seed_value = self.seeds[0]
        super().__init__(rng=self.seed_value)
        self.streams = ReplicateStreams(self.seeds, clock=lambda: self.steps)
        mixed = len(scenarios) > 1

        def tables(path: str) -> Any:
            """The tables at ``path``: one, one per replicate (a mixed block), or varied columns."""
            if varying:
                return varied(scenario, varying, path)
            return [node_at(s, path) for s in scenarios] if mixed else node_at(scenario, path)

        self.world = initial_world(scenarios if mixed else scenario, replicates, varying)
        self.baseline = self.world.copy()
        if varying:
            self.effects_scale = column(scenario, varying, "effects_scale", replicates)
        else:
            self.effects_scale = (np.array([s.effects_scale for s in scenarios]) if mixed
                                  else scenario.effects_scale)
        self._random = {kind: self._random_rows(kind, scenarios, varying, replicates)
                        for kind in scenario.random_events}
        self.rules: list[Rule] = [RULES[rid](tables(f"rules.{rid}"), replicates)
                                  for rid, params in scenario.rules.items() if params.enabled]
        self.record_actions = record_actions
        self._actions: list[tuple] = []
        self._events_by_step: dict[int, list] = defaultdict(list)
        for event in scenario.events:
            self._events_by_step[scenario.start.months_until(event.date) + 1].append(event)
        self._event_batches: list[tuple[Event, int, str, np.ndarray, np.ndarray]] = []
        self._event_rows: list[dict[str, Any]] = []  # event_log, expanded so far
        self._events_expanded = 0  # batches expanded into it
        self.crisis_log = CrisisLog(self.world.replicates)
        #: (rule id, bound state) -> the binding report's sums over the run, each (R,)
        self._rule_sums: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        #: whether the binding report is kept (:mod:`sim.rules.binding`): it only observes the
        #: choice, so a run without it is the same run, ~1.3x cheaper, with the Four Nos' monthly
        #: series (:data:`RULE_SERIES`) missing (NaN); a sweep drops it when no outcome reads them
        self.keeps_rule_report = rule_report

        def agent(cls, name: str) -> StateAgent:  # noqa: ANN001
            return cls(self, name, tables(f"agents.{name}"))

        self.vietnam = agent(Vietnam, Country.VIETNAM.value)
        self.china = agent(China, Country.CHINA.value)
        self.others: list[StateAgent] = [agent(agent_class(name), name)
                                         for name in scenario.partners if name != Country.CHINA.value]
        self.russia = next(a for a in self.others if isinstance(a, Russia))
        self.vietnam.procure_arms(self.world)  # the supply mix at the start
        self.columns = recorded_columns(series_for(self.world.countries), series)
        self._series = np.full((scenario.months, self.world.replicates, len(self.columns)), np.nan)
        # For mesa.batch_run and Mesa's charts: the monthly columns, row k = month k+1 = series() row k
        # (no row for the start, so batch_run's last row is the last month). A lockstep model
        # (replicates > 1) keeps only its arrays and leaves this empty.
        self.latest = self._read_columns()
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters(self.columns))
        self.running = True

    @staticmethod
    def _per_replicate(scenario: Scenario | str | Path | Sequence[Scenario],
                       varying: dict[str, np.ndarray] | None) -> list[Scenario]:
        """The scenario of every replicate (one, shared, when they all run the same or only
        ``varying`` coefficients differ: :func:`sim.blocks.varied` reads them as columns)."""
        if isinstance(scenario, Sequence) and not isinstance(scenario, str):
            scenarios = list(scenario)
            if not scenarios or not all(isinstance(s, Scenario) for s in scenarios):
                raise ValueError("scenario: give a Scenario, a path, or a non-empty list of Scenarios")
            if varying:
                raise ValueError("give one scenario per replicate or varying coefficients, not both")
            check_block(scenarios)
            return scenarios
        if not isinstance(scenario, Scenario):
            from sim.scenario.loader import load_scenario
            scenario = load_scenario(scenario)
        return [scenario]

    @staticmethod
    def _random_rows(kind, scenarios: list[Scenario], varying: dict[str, np.ndarray],  # noqa: ANN001
                     replicates: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Per-replicate monthly rate and severity range of a random event kind (None: shared)."""
        if varying:
            low, high = (np.full(replicates, float(v)) for v in scenarios[0].random_events[kind].severity)
            rate = column(scenarios[0], varying, f"random_events.{kind.value}.monthly_rate", replicates)
            return rate, low, high
        if len(scenarios) == 1:
            return None
        specs = [s.random_events[kind] for s in scenarios]
        return (np.array([sp.monthly_rate for sp in specs]), np.array([sp.severity[0] for sp in specs]),
                np.array([sp.severity[1] for sp in specs]))

    # --------------------------------------------------------------------------------- the month
    def step(self) -> None:
        """One calendar month, in this order:

        1. world shocks: the scenario's dated events and random events;
        2. China moves (it may open or escalate a crisis, or propose a package that Vietnam answers);
        3. the other powers move simultaneously: each decides on the same world, then the moves
           take effect in the scenario's order of partners (a month is too short to react to each
           other's choices; no replicate's order depends on another's draws);
        4. Vietnam moves (``actions_per_month`` distinct moves) and buys arms;
        5. the world relaxes, clocks run, Russia's reliability moves; the month is recorded.
        """
        w = self.world
        if self.steps > self.scenario.months:
            self.running = False
            return
        w.reset_counters()
        self.fire_events()
        self.log_crisis_start(w.in_crisis, None)
        self.china.step()
        w.stood_firm[:] = 0
        decisions = [(agent, agent.decide(w)) for agent in self.others]
        for agent, decision in decisions:
            agent.act(decision)
        self.vietnam.step()
        self.vietnam.procure_arms(w)
        self.russia.erode_reliability(w)
        dynamics.advance_crisis(w)
        dynamics.relax(w, self.baseline)
        dynamics.count_down(w)
        if not self.keeps_rule_report:
            for name in RULE_SERIES:
                getattr(w, name)[:] = np.nan
        self.record()
        if self.steps >= self.scenario.months:
            self.running = False

    def fire_events(self) -> None:
        """This month's dated events, then each random event kind where it strikes."""
        for event in self._events_by_step.get(self.steps, []):
            self.inject(event)
        for kind, spec in self.scenario.random_events.items():
            event, strikes, severity = draw_random(kind, spec, self.date, self.world, self.streams,
                                                   self._random[kind])
            if strikes.any():
                self.inject(event, strikes, severity)

    def inject(self, event: Event, where: np.ndarray | None = None,
               severity: np.ndarray | None = None) -> None:
        """Fire ``event`` on the world now (in the replicates ``where``, default all) and log it
        under the current month. The states respond when they next move: a crisis a user injects
        between steps is answered in the coming month."""
        R = self.world.replicates
        where = np.ones(R, dtype=bool) if where is None else where
        severity = np.full(R, event.severity) if severity is None else severity
        fire(self.world, event, where, severity)
        rows = np.flatnonzero(where)
        self._event_batches.append((event, self.steps, str(self.date), rows, severity[rows]))

    @property
    def event_log(self) -> list[dict[str, Any]]:
        """Every event fired so far, one record per replicate it struck, in firing order. Kept as one
        batch per firing (rows and severities) and expanded here, when read."""
        for event, step, date, rows, severity in self._event_batches[self._events_expanded:]:
            self._event_rows.extend(
                {"replicate": r, "step": step, "date": date, "kind": event.kind.value, "actor": event.actor,
                 "severity": round(float(v), 3), "label": event.label}
                for r, v in zip(rows.tolist(), severity.tolist(), strict=True))
        self._events_expanded = len(self._event_batches)
        return self._event_rows

    # --------------------------------------------------------------------------------- crises
    def log_crisis_start(self, where: np.ndarray, terms: dict[str, np.ndarray] | None) -> None:
        """Open a crisis record where ``where`` is True and none is open: started by China's own
        choice (with the terms that decided it) or by an event (``terms`` None)."""
        self.crisis_log.start(where, self.steps, str(self.date), terms)

    def log_crisis_end(self, where: np.ndarray, by: str, terms: dict[str, np.ndarray]) -> None:
        """Close the open crisis records where ``where`` is True: who stepped down (``china`` or
        ``vietnam``) and the terms that decided it."""
        self.crisis_log.end(where, self.steps, str(self.date), by, terms)

    def crises(self) -> pd.DataFrame:
        """One row per crisis: start, end (empty while open), who started it (``china``'s choice or
        an ``event``), who ended it (``china`` stepped down, ``vietnam`` conceded) and the terms
        that weighed most in each decision, signed (+ for the move taken)."""
        df = self.crisis_log.table()
        return df if self.world.replicates > 1 else df.drop(columns="replicate")

    def run(self, months: int | None = None) -> HedgingModel:
        """Run to the end of the scenario (or ``months`` more steps); returns self."""
        if months is not None:
            _whole("months", months, 0, MAX_MONTHS)
        todo = self.scenario.months - self.steps if months is None else months
        for _ in range(max(0, todo)):
            self.step()
        return self

    # --------------------------------------------------------------------------------- rules
    def note_rule_effects(self, agent: StateAgent, effects: list[RuleEffect]) -> None:
        """Add a decision's rule effects (:mod:`sim.rules.binding`) to the run's sums; the Four Nos'
        also to this month's ``four_nos_removed`` / ``four_nos_prevented`` counters."""
        w = self.world
        for e in effects:
            sums = self._rule_sums.setdefault((e.rule, agent.name), {
                name: np.zeros(w.replicates) for name in ("months", *RULE_REPORT)})
            sums["months"] += e.decided
            for name in RULE_REPORT:
                sums[name] += getattr(e, name)
            if RULES[e.rule].group == "four_nos":
                w.four_nos_removed += e.removed
                w.four_nos_prevented += e.prevented

    def rule_report(self) -> pd.DataFrame:
        """How much each rule changed its state's choices over the run, per replicate: decisions it
        was in force for, the choice probability it ``moved`` and ``removed`` (summed over
        decisions) and the expected number of forbidden moves it ``prevented``."""
        if not self.keeps_rule_report:
            raise RuntimeError("this model was built with rule_report=False: it kept no binding report")
        rows = [{"replicate": r, "rule": rid, "binds": state, "decisions": int(sums["months"][r]),
                 **{name: float(sums[name][r]) for name in RULE_REPORT}}
                for (rid, state), sums in self._rule_sums.items() for r in range(self.world.replicates)]
        cols = ["replicate", "rule", "binds", "decisions", *RULE_REPORT]
        df = pd.DataFrame(rows, columns=cols).sort_values(["replicate", "rule"], kind="stable")
        df = df.reset_index(drop=True)
        return df if self.world.replicates > 1 else df.drop(columns="replicate")

    # --------------------------------------------------------------------------------- helpers
    @property
    def date(self) -> Month:
        return date_of_step(self.scenario.start, max(self.steps, 1))

    def rules_binding(self, name: str) -> list[Rule]:
        return [r for r in self.rules if r.binds == name]

    def _read_columns(self) -> np.ndarray:
        """``(R, columns)``: every declared column read off the world now."""
        if not self.columns:  # series=[]: nothing recorded
            return np.empty((self.world.replicates, 0))
        return np.stack([c.read(self.world) for c in self.columns], axis=-1)

    def record(self) -> None:
        self._series[self.steps - 1] = self.latest = self._read_columns()
        if self.world.replicates == 1:
            self.datacollector.collect(self)

    def log_moves(self, agent: StateAgent, actions: np.ndarray, targets: np.ndarray,
                  rules: list[tuple[str, ...]], detail: list[str] | None = None) -> None:
        if not self.record_actions:
            return
        date, names = str(self.date), self.world.countries
        for r, a in enumerate(actions):
            if a < 0:
                continue
            self._actions.append((r, self.steps, date, agent.name, ACTIONS[a].value,
                                  names[targets[r]], ";".join(rules[r]), detail[r] if detail else ""))

    # --------------------------------------------------------------------------------- results
    def series(self) -> pd.DataFrame:
        """One row per month simulated so far: ``step``, ``date`` and every declared column
        (and a leading ``replicate`` column when the model runs several in lockstep)."""
        n, R = self.recorded_months, self.world.replicates
        values = self._series[:n].transpose(1, 0, 2).reshape(R * n, len(self.columns))
        df = pd.DataFrame(values, columns=[c.name for c in self.columns])
        df.insert(0, "date", self.recorded_dates() * R)
        df.insert(0, "step", np.tile(np.arange(1, n + 1), R))
        if R > 1:
            df.insert(0, "replicate", np.repeat(np.arange(R), n))
        return df

    @property
    def recorded_months(self) -> int:
        """How many months have been recorded (the steps taken, at most the scenario's months)."""
        return min(self.steps, self.scenario.months)

    def recorded_dates(self) -> list[str]:
        """The dates (``YYYY-MM``) of the months recorded so far, as :meth:`series` carries them."""
        return [str(date_of_step(self.scenario.start, s)) for s in range(1, self.recorded_months + 1)]

    def series_values(self) -> np.ndarray:
        """The recorded months as an array ``(months, R, columns)``, columns as in ``self.columns``."""
        return self._series[:self.recorded_months]

    def actions(self) -> pd.DataFrame:
        """Every move made so far: step, date, actor, action, target, shaping rules, detail."""
        df = pd.DataFrame(self._actions, columns=["replicate", *ACTION_COLUMNS])
        return df if self.world.replicates > 1 else df.drop(columns="replicate")

    def events(self) -> pd.DataFrame:
        """Every event fired so far (dated, random or injected), one row per replicate it struck."""
        df = pd.DataFrame(self.event_log, columns=["replicate", "step", "date", "kind", "actor", "severity",
                                                   "label"])
        return df if self.world.replicates > 1 else df.drop(columns="replicate")
