"""An experiment file (a path, or a bundled name such as ``demo``): a base scenario, a design over
its dotted-path parameters, replicates per design point, the per-run outcomes, and the figures wanted.

It is read and checked the way a scenario is (:mod:`sim.scenario.loader`): safe YAML, unknown keys
rejected with the nearest valid one, and every problem reported as ``FILE:LINE: path: message``
before any run starts, including a dotted path that names no scenario value.
"""

from __future__ import annotations

import hashlib
import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    Strict,
    Tag,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from sim.bundled import experiment_path
from sim.calendar import Month, coerce_month
from sim.metrics import series_for
from sim.scenario.loader import (
    Located,
    Path_,
    Problem,
    ScenarioError,
    load_scenario,
    read_located,
    resolve_path,
    scenario_paths,
    scenario_value,
    validation_problems,
    with_overrides,
)
from sim.scenario.schema import MAX_REPLICATES, Frozen, Scenario
from sim.streams import MAX_SEED
from sim.suggest import near_miss


class Method(StrEnum):
    """How design points are drawn (grid: full factorial; lhs: Latin hypercube, [McKay1979];
    sobol: [Saltelli2002] / Sobol' sequence as in SALib; morris: [Morris1991] trajectories; list:
    the points written out)."""

    GRID = "grid"
    LHS = "lhs"
    SOBOL = "sobol"
    MORRIS = "morris"
    LIST = "list"


class Reducer(StrEnum):
    """How a monthly series becomes one number per run."""

    MEAN = "mean"
    MEDIAN = "median"
    MIN = "min"
    MAX = "max"
    FIRST = "first"
    LAST = "last"
    SUM = "sum"
    STD = "std"
    ANY = "any"  # 1 if the series is ever non-zero
    SHARE = "share"  # share of months in which the series is non-zero


class PlotKind(StrEnum):
    SENSITIVITY = "sensitivity"  # Sobol S1/ST or Morris mu*/sigma bars (sobol, morris)
    OUTCOME_VS_PARAMETER = "outcome_vs_parameter"  # each outcome against each parameter
    ENSEMBLE_SERIES = "ensemble_series"  # median and 5-95% band of chosen series by design point
    HEATMAP = "heatmap"  # mean outcome over a two-parameter grid


class Outcome(Frozen):
    """A per-run scalar: ``reduce`` over the monthly ``series`` between ``since`` and ``until``."""

    series: str
    reduce: Reducer = Reducer.MEAN
    since: Month | None = None
    until: Month | None = None

    @field_validator("since", "until", mode="before")
    @classmethod
    def _month(cls, v: Any) -> Month | None:
        return None if v is None else coerce_month(v)

    @field_serializer("since", "until")
    def _month_text(self, v: Month | None) -> str | None:
        return None if v is None else str(v)

    def outside(self, start: Month, end: Month) -> list[tuple[str, str]]:
        """``(bound, message)`` for a ``since`` or ``until`` outside the run ``start``..``end``: its
        window would hold no month, and a reducer over no month has no value."""
        return [(bound, f"{month} is outside the run ({start} to {end})")
                for bound, month in (("since", self.since), ("until", self.until))
                if month is not None and not start <= month <= end]

    @model_validator(mode="after")
    def _window(self) -> Outcome:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        return self


class Levels(Frozen):
    """Explicit values of a parameter (grid or list designs), e.g. ``{values: [true, false]}``."""

    values: list[Any] = Field(min_length=1)


def _ordered(bounds: list[float]) -> list[float]:
    if not bounds[0] < bounds[1]:
        raise ValueError(f"a range must be [low, high] with low < high (got {bounds})")
    return bounds


#: ``[low, high]``: two finite numbers (Frozen refuses NaN and inf; Strict refuses yes/no and text)
Range = Annotated[list[Annotated[float, Strict()]], Field(min_length=2, max_length=2),
                  AfterValidator(_ordered)]


def _spec_kind(spec: Any) -> str:
    return "Levels" if isinstance(spec, dict | Levels) else "Range"


#: a parameter's spec: a range, or explicit values (tagged so an error names only the one meant)
ParameterSpec = Annotated[Annotated[Range, Tag("Range")] | Annotated[Levels, Tag("Levels")],
                          Discriminator(_spec_kind)]


class Design(Frozen):
    method: Method
    samples: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)
    points: list[dict[str, Any]] = Field(default_factory=list)  # method: list
    levels: Annotated[int, Field(ge=2, le=20)] = 4  # Morris grid levels
    second_order: bool = False  # Sobol second-order indices (costs more runs)
    # a dummy parameter the model never reads, sampled and analysed with the others: its index is
    # what replicate noise alone produces (sim.sweep.analysis); costs one more column of the design
    noise_floor: bool = True

    @field_validator("samples")
    @classmethod
    def _sobol_power_of_two(cls, n: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("method") is Method.SOBOL and n is not None and n & (n - 1):
            raise ValueError(f"sobol samples must be a power of 2 to keep the Sobol' sequence "
                             f"balanced (got {n}; try {1 << n.bit_length()})")
        return n

    @model_validator(mode="after")
    def _fits_method(self) -> Design:
        if self.method is Method.LIST:
            if not self.points:
                raise ValueError("method list needs `points`: a list of {dotted.path: value}")
            return self
        if self.points:
            raise ValueError("`points` belongs to method list only")
        if not self.parameters:
            raise ValueError(f"method {self.method} needs `parameters`")
        if self.method is not Method.GRID:
            levels = [p for p, s in self.parameters.items() if isinstance(s, Levels)]
            if levels:
                raise ValueError(f"method {self.method} samples ranges [low, high]; "
                                 f"{', '.join(levels)} gives explicit values (use method grid)")
            if self.samples is None or self.samples < 2:
                raise ValueError(f"method {self.method} needs `samples` of at least 2 "
                                 "(one sample gives no spread to analyse)")

        elif self.samples is None and any(isinstance(s, list) for s in self.parameters.values()):
            raise ValueError("method grid needs `samples` (values per range) or explicit {values: [...]}")
        return self


MAX_RUNS = 10_000_000  # a design beyond this is a typo, not an experiment: refused outright
CONFIRM_RUNS = 100_000  # a sweep beyond this (15-60 min on 2 cores) runs only when asked (--yes)


def design_points(design: Design | None) -> int:
    """How many design points ``design`` has, counted without sampling it (SALib's sizes: Saltelli
    N(D+2), or N(2D+2) with second-order indices; Morris N(D+1); a Latin hypercube N). D counts the
    noise-floor dummy of a Sobol' or Morris design (sim.sweep.design.DUMMY)."""
    if design is None:
        return 1
    d, n = len(design.parameters), design.samples or 2
    if design.noise_floor and design.method in (Method.SOBOL, Method.MORRIS):
        d += 1
    if design.method is Method.LIST:
        return len(design.points)
    if design.method is Method.GRID:
        return math.prod(len(s.values) if isinstance(s, Levels) else n for s in design.parameters.values())
    if design.method is Method.SOBOL:
        return n * (2 * d + 2 if design.second_order else d + 2)
    if design.method is Method.MORRIS:
        return n * (d + 1)
    return n


class Experiment(Frozen):
    """A whole experiment, resolved: the base scenario path is absolute."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    description: str = ""
    scenario: str
    replicates: Annotated[int, Field(ge=1, le=MAX_REPLICATES)] = 1
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    design: Design | None = None  # none: one design point, the base scenario (a Monte Carlo)
    outcomes: dict[str, Outcome] = Field(default_factory=dict)
    plots: list[PlotKind] = Field(default_factory=lambda: [PlotKind.OUTCOME_VS_PARAMETER,
                                                          PlotKind.ENSEMBLE_SERIES])
    ensemble_series: list[str] = Field(default_factory=lambda: ["hedging_index", "tension_china"])
    store_series: list[str] | None = None  # monthly columns kept per run; default: those used
    #: runs per lockstep block; None: chosen for speed and memory (sim.sweep.runner.block_size)
    chunk_runs: Annotated[int, Field(ge=1, le=10_000)] | None = None
    source_file: str | None = None

    @model_validator(mode="after")
    def _size(self) -> Experiment:
        if self.runs > MAX_RUNS:
            raise ValueError(f"the design has {self.points:,} points x {self.replicates} replicates = "
                             f"{self.runs:,} runs, more than {MAX_RUNS:,} runs; use fewer samples")
        return self

    @property
    def points(self) -> int:
        """Design points (computed, not sampled: a huge design is refused before it is built)."""
        return design_points(self.design)

    @property
    def runs(self) -> int:
        return self.points * self.replicates

    @property
    def parameters(self) -> list[str]:
        if self.design is None:
            return []
        if self.design.method is Method.LIST:
            return list(dict.fromkeys(k for point in self.design.points for k in point))
        return list(self.design.parameters)

    def stored_series(self) -> list[str]:
        """Monthly columns written to the series table."""
        if self.store_series is not None:
            return list(self.store_series)
        used = [o.series for o in self.outcomes.values()] + list(self.ensemble_series)
        return list(dict.fromkeys(used))

    def content_hash(self) -> str:
        """SHA-256 of everything in the experiment that affects the tables: not where the files
        lie, the chunk size, the figures or the prose (the base scenario has its own hash)."""
        cosmetic = {"source_file", "scenario", "chunk_runs", "plots", "description"}
        text = json.dumps(self.model_dump(mode="json", exclude=cosmetic), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


NOT_SWEEPABLE = {
    "seed": "each run's seed comes from the experiment's seed; use replicates",
    "name": "names a label, not a model value",
    "description": "names a label, not a model value",
}


def default_outcomes(countries: tuple[str, ...]) -> dict[str, Outcome]:
    """Outcomes when an experiment (or :func:`sim.evaluate`) declares none."""
    out = {
        "mean_hedging_index": Outcome(series="hedging_index", reduce=Reducer.MEAN),
        "final_hedging_index": Outcome(series="hedging_index", reduce=Reducer.LAST),
        "mean_tension_china": Outcome(series="tension_china", reduce=Reducer.MEAN),
        "crises": Outcome(series="crisis_count", reduce=Reducer.LAST),
        "max_escalation": Outcome(series="escalation", reduce=Reducer.MAX),
        "any_use_of_force": Outcome(series="use_of_force", reduce=Reducer.ANY),
        "four_nos_violations": Outcome(series="four_nos_violations", reduce=Reducer.SUM),
        "assurance_acts": Outcome(series="assurance_acts", reduce=Reducer.SUM),
        "final_russia_arms_share": Outcome(series="russia_arms_share", reduce=Reducer.LAST),
    }
    for name in countries[1:]:
        out[f"final_tier_{name}"] = Outcome(series=f"tier_{name}", reduce=Reducer.LAST)
    return out


# ------------------------------------------------------------------------------------------ loading
def load_experiment(path: str | Path) -> tuple[Experiment, Scenario]:
    """Read, validate and resolve an experiment file; return it with its base scenario.

    Raises :class:`ScenarioError` (one ``FILE:LINE: path: message`` per problem) when anything is
    wrong, including a parameter or outcome that names nothing in the scenario.
    """
    file = experiment_path(path)
    located = read_located(file)
    problems: list[Problem] = []
    raw = dict(located.data)
    raw.pop("source_file", None)
    try:
        experiment = Experiment.model_validate({**raw, "source_file": str(file)})
    except ValidationError as exc:
        raise ScenarioError(validation_problems(located, (), exc, Experiment)) from None
    scenario_file = resolve_path(experiment.scenario, file.parent)
    if not scenario_file.is_file():
        raise ScenarioError([located.problem(("scenario",), f"no scenario {experiment.scenario!r} "
                                             f"(looked beside {file.name} and among the bundled scenarios)")])
    try:
        base = load_scenario(scenario_file)
    except ScenarioError as exc:
        where = located.problem(("scenario",), "the base scenario is invalid:")
        raise ScenarioError([where, *exc.problems]) from None
    experiment = experiment.model_copy(update={"scenario": str(scenario_file.resolve())})
    if not experiment.outcomes:
        experiment = experiment.model_copy(update={"outcomes": default_outcomes(base_countries(base))})
    problems += _check_paths(experiment, base, located)
    problems += _check_series(experiment, base, located)
    if not problems:
        problems += _check_values(experiment, base, located)
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.file, p.line)))
    return experiment, base


def base_countries(scenario: Scenario) -> tuple[str, ...]:
    return ("vietnam", *scenario.partners)


def _check_paths(experiment: Experiment, base: Scenario, located: Located) -> list[Problem]:
    problems: list[Problem] = []
    design = experiment.design
    if design is None:
        return problems
    paths = [(("design", "parameters", p), p) for p in design.parameters]
    paths += [(("design", "points", i, p), p) for i, point in enumerate(design.points) for p in point]
    for where, dotted in paths:
        try:
            value = scenario_value(base, dotted)
        except KeyError:
            problems.append(located.problem(where, "names no value of the scenario"
                                            + near_miss(dotted, scenario_paths(base))))
            continue
        if dotted in NOT_SWEEPABLE:
            problems.append(located.problem(where, NOT_SWEEPABLE[dotted]))
        elif isinstance(value, bool) and isinstance(design.parameters.get(dotted), list):
            problems.append(located.problem(where, "is on or off: give {values: [true, false]} "
                                            "(method grid or list), not a range"))
        elif isinstance(value, dict | list):
            problems.append(located.problem(where, "names a group of values, not one value"))
    return problems


def _check_values(experiment: Experiment, base: Scenario, located: Located) -> list[Problem]:
    """Every value the design can give a parameter is one the scenario accepts: a range's ends (an
    integer parameter's rounded, as the design rounds them), each explicit value, each list point.
    Checked as whole scenarios, one per candidate index, so a design is refused before any run."""
    design = experiment.design
    if design is None:
        return []
    trials: list[dict[str, tuple[Path_, Any]]] = []  # trial -> parameter -> (where, value)
    for i, point in enumerate(design.points):
        trials.append({p: (("design", "points", i, p), v) for p, v in point.items()})
    for path, spec in design.parameters.items():
        values = spec.values if isinstance(spec, Levels) else spec
        if isinstance(spec, list) and isinstance(scenario_value(base, path), int):
            values = [round(v) for v in values]
        for k, value in enumerate(values):
            if k == len(trials):
                trials.append({})
            trials[k][path] = (("design", "parameters", path), value)
    problems: list[Problem] = []
    for trial in trials:
        try:
            with_overrides(base, {p: v for p, (_, v) in trial.items()})
        except ScenarioError as exc:
            for bad in exc.problems:
                if bad.path in trial:
                    where, value = trial[bad.path]
                    problems.append(located.problem(where, f"{value!r} is not a value {bad.path} takes: "
                                                    f"{bad.message.split(' (got ')[0]}"))
    return list(dict.fromkeys(problems))


def _check_series(experiment: Experiment, base: Scenario, located: Located) -> list[Problem]:
    names = [s.name for s in series_for(base_countries(base))]
    wanted = [(("outcomes", k, "series"), o.series) for k, o in experiment.outcomes.items()]
    wanted += [(("ensemble_series", i), s) for i, s in enumerate(experiment.ensemble_series)]
    wanted += [(("store_series", i), s) for i, s in enumerate(experiment.store_series or [])]
    problems = []
    for where, name in wanted:
        if name not in names:
            problems.append(located.problem(where, f"no monthly series {name!r}{near_miss(name, names)}"))
    stored = experiment.stored_series()
    for i, name in enumerate(experiment.ensemble_series):
        if name not in stored:
            problems.append(located.problem(("ensemble_series", i), f"{name!r} is not in store_series, "
                                            "so the figure could not be drawn"))
    for key, outcome in experiment.outcomes.items():
        for bound, message in outcome.outside(base.start, base.end):
            problems.append(located.problem(("outcomes", key, bound), message))
    return problems


def design_problems(experiment: Experiment, problems: list[tuple[str, str]]) -> ScenarioError:
    """Problems found while building design points, ``(parameter path or design key, message)``,
    located at the experiment file's line for that parameter."""
    located = read_located(Path(experiment.source_file or ""))
    design = experiment.design
    where = ("design", "points") if design is not None and design.points else ("design", "parameters")
    params = experiment.parameters
    return ScenarioError([located.problem((*where, path) if path in params else ("design", path), message)
                          for path, message in problems[:20]])
