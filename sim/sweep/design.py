"""Design points of an experiment: one row per point, one column per dotted-path parameter.

Sampling is SALib's ([Herman2017]): Saltelli's scheme on a scrambled Sobol' sequence for
Sobol' indices, Morris trajectories for elementary effects, Latin hypercubes; a grid is the full
factorial of each parameter's levels. Sampling seeds come from the experiment's root seed, so the
design is the same on every machine.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import latin, morris
from SALib.sample import sobol as saltelli

from sim.scenario.loader import scenario_value
from sim.scenario.schema import Scenario
from sim.streams import child_seed
from sim.sweep.experiment import Design, Experiment, Levels, Method, design_problems

#: key of the design's own stream in the root SeedSequence (runs use (point, replicate) keys)
DESIGN_STREAM = 2**31 - 1


# ------------------------------------------------------------------------------------------ methods
Sampler = Callable[[Design, dict[str, Any], int], np.ndarray]
#: (problem, sample, values, second_order, levels, bootstrap seed) -> SALib's result
Analyser = Callable[[dict[str, Any], np.ndarray, np.ndarray, bool, int, int], dict[str, Any]]


@dataclass(frozen=True)
class Bar:
    """One bar series of a sensitivity figure: index column, its confidence column, label, colour."""

    column: str
    conf: str | None
    label: str
    colour: str


@dataclass(frozen=True)
class MethodSpec:
    """Everything particular to one sampling method, in one row of :data:`METHODS`: how design
    points are made (a SALib sampler over ranges, or the grid/list builder), how the runs are
    analysed (``None``: no sensitivity indices), which index columns that writes, and how its
    figure draws them."""

    method: Method
    sample: Sampler | None  # SALib sampler over the parameters' ranges; None: grid or list
    analyse: Analyser | None = None  # sensitivity analysis of the point means; None: none
    columns: tuple[str, ...] = ()  # index columns of sensitivity.csv, in order
    bars: tuple[Bar, ...] = ()
    label: str = ""
    xlabel: str = ""


def _sobol_sample(design: Design, problem: dict[str, Any], seed: int) -> np.ndarray:
    return saltelli.sample(problem, design.samples or 1, calc_second_order=design.second_order, seed=seed)


def _morris_sample(design: Design, problem: dict[str, Any], seed: int) -> np.ndarray:
    return morris.sample(problem, design.samples or 1, num_levels=design.levels, seed=seed)


def _lhs_sample(design: Design, problem: dict[str, Any], seed: int) -> np.ndarray:
    return latin.sample(problem, design.samples or 1, seed=seed)


def _sobol_analyse(problem: dict[str, Any], sample: np.ndarray, values: np.ndarray, second_order: bool,
                   levels: int, seed: int) -> dict[str, Any]:
    return sobol_analysis.analyze(problem, values, calc_second_order=second_order, seed=seed)


def _morris_analyse(problem: dict[str, Any], sample: np.ndarray, values: np.ndarray, second_order: bool,
                    levels: int, seed: int) -> dict[str, Any]:
    return morris_analysis.analyze(problem, sample, values, num_levels=levels, seed=seed)


METHODS: dict[Method, MethodSpec] = {m.method: m for m in (
    MethodSpec(Method.GRID, None),
    MethodSpec(Method.LIST, None),
    MethodSpec(Method.LHS, _lhs_sample),
    MethodSpec(Method.SOBOL, _sobol_sample, _sobol_analyse, ("S1", "S1_conf", "ST", "ST_conf"),
               (Bar("S1", "S1_conf", "first order S1", "#1f4e99"),
                Bar("ST", "ST_conf", "total order ST", "#c0392b")),
               "Sobol", "Sobol' index (share of variance of the point mean)"),
    MethodSpec(Method.MORRIS, _morris_sample, _morris_analyse, ("mu_star", "mu_star_conf", "mu", "sigma"),
               (Bar("mu_star", "mu_star_conf", "mu* (mean |elementary effect|)", "#1f4e99"),
                Bar("sigma", None, "sigma (interactions, non-linearity)", "#c0392b")),
               "Morris", "elementary effect (outcome units per unit of parameter range)"),
)}
assert set(METHODS) == set(Method), f"every sampling method needs a row: {set(Method) - set(METHODS)}"


@dataclass(frozen=True)
class DesignMatrix:
    """``points``: typed values the runs use (index = design-point id); ``sample``: SALib's raw
    matrix for the sensitivity analysis (None for grid and list designs)."""

    points: pd.DataFrame
    sample: np.ndarray | None
    problem: dict[str, Any] | None

    def __len__(self) -> int:
        return len(self.points)


#: The noise-floor parameter of a sensitivity design: sampled and analysed like the others, read by
#: nothing, so its index measures what replicate noise and sampling error alone produce (the
#: dummy-parameter threshold of [KhorashadiZadeh2017]).
DUMMY = "noise_floor_dummy"


def salib_problem(design: Design) -> dict[str, Any]:
    names = list(design.parameters)
    bounds = [list(map(float, design.parameters[n])) for n in names]
    if design.noise_floor and METHODS[design.method].analyse is not None:
        names, bounds = [*names, DUMMY], [*bounds, [0.0, 1.0]]
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def build_design(experiment: Experiment, base: Scenario) -> DesignMatrix:
    """Every design point of ``experiment`` with values cast to the scenario's types. A list
    point that leaves a parameter out runs it at the base scenario's value. A value the
    scenario's type cannot take is reported against the experiment file's line."""
    design = experiment.design
    seed = child_seed(experiment.seed, DESIGN_STREAM)
    problem, sample = None, None
    if design is None:
        points = pd.DataFrame(index=range(1))
    elif METHODS[design.method].sample is not None:
        problem = salib_problem(design)
        sample = _sample(design, problem, seed)
        points = pd.DataFrame(sample, columns=problem["names"]).drop(columns=[DUMMY], errors="ignore")
    elif design.method is Method.LIST:
        points = pd.DataFrame([{p: point.get(p, scenario_value(base, p)) for p in experiment.parameters}
                               for point in design.points], dtype=object)
    elif design.method is Method.GRID:
        points = _grid(design)
    else:  # a method with neither a sampler nor a builder
        raise NotImplementedError(f"no way to build points for method {design.method}")
    problems = []
    for column in points.columns:
        try:
            points[column] = _cast(points[column], scenario_value(base, column))
        except (TypeError, ValueError) as exc:
            kind = type(scenario_value(base, column)).__name__
            problems.append((column, f"a value does not fit the scenario's {kind}: {exc}"))
    if design is not None and design.method is Method.GRID and points.duplicated().any():
        problems.append(("samples", f"{design.samples} values per range repeat design points once "
                         "integer parameters are rounded; use fewer samples or explicit {values: [...]}"))
    if problems:
        raise design_problems(experiment, problems)
    return DesignMatrix(points.reset_index(drop=True).rename_axis("point"), sample, problem)


def _grid(design: Design) -> pd.DataFrame:
    levels = {}
    for path, spec in design.parameters.items():
        if isinstance(spec, Levels):
            levels[path] = list(spec.values)
        else:
            levels[path] = list(np.linspace(spec[0], spec[1], design.samples or 2))
    rows = list(itertools.product(*levels.values()))
    return pd.DataFrame(rows, columns=list(levels))


def _sample(design: Design, problem: dict[str, Any], seed: int) -> np.ndarray:
    """The design's sample over its ranges, by its method's sampler (:data:`METHODS`)."""
    sampler = METHODS[design.method].sample
    if sampler is None:
        raise ValueError(f"method {design.method} does not sample ranges")
    return sampler(design, problem, seed)


def _cast(values: pd.Series, like: Any) -> pd.Series:
    """Values of the scenario's type: integers rounded, booleans and floats checked."""
    if isinstance(like, bool):
        if not values.map(lambda v: isinstance(v, bool | np.bool_)).all():
            raise ValueError(f"expected true or false, got {sorted(set(map(repr, values)))[:3]}")
        return values.astype(bool)
    if isinstance(like, int):
        return pd.to_numeric(values, errors="raise").round().astype(np.int64)
    if isinstance(like, float):
        return pd.to_numeric(values, errors="raise").astype(float)
    return values


def point_overrides(points: pd.DataFrame, point: int) -> dict[str, Any]:
    """The overrides of one design point, as plain Python values (for ``with_overrides``)."""
    row = points.iloc[point]
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
