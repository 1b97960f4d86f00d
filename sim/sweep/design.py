"""Design points of an experiment: one row per point, one column per dotted-path parameter.

Sampling is SALib's ([Herman2017]): Saltelli's scheme on a scrambled Sobol' sequence for
Sobol' indices, Morris trajectories for elementary effects, Latin hypercubes; a grid is the full
factorial of each parameter's levels. Sampling seeds come from the experiment's root seed, so the
design is the same on every machine.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from SALib.sample import latin, morris
from SALib.sample import sobol as saltelli

from sim.scenario.loader import scenario_value
from sim.scenario.schema import Scenario
from sim.streams import child_seed
from sim.sweep.experiment import Design, Experiment, Levels, Method, design_problems

#: key of the design's own stream in the root SeedSequence (runs use (point, replicate) keys)
DESIGN_STREAM = 2**31 - 1


@dataclass(frozen=True)
class DesignMatrix:
    """``points``: typed values the runs use (index = design-point id); ``sample``: SALib's raw
    matrix for the sensitivity analysis (None for grid and list designs)."""

    points: pd.DataFrame
    sample: np.ndarray | None
    problem: dict[str, Any] | None

    def __len__(self) -> int:
        return len(self.points)


def salib_problem(design: Design) -> dict[str, Any]:
    names = list(design.parameters)
    return {"num_vars": len(names), "names": names,
            "bounds": [list(map(float, design.parameters[n])) for n in names]}


def build_design(experiment: Experiment, base: Scenario) -> DesignMatrix:
    """Every design point of ``experiment`` with values cast to the scenario's types. A list
    point that leaves a parameter out runs it at the base scenario's value. A value the
    scenario's type cannot take is reported against the experiment file's line."""
    design = experiment.design
    seed = child_seed(experiment.seed, DESIGN_STREAM)
    problem, sample = None, None
    if design is None:
        points = pd.DataFrame(index=range(1))
    elif design.method is Method.LIST:
        points = pd.DataFrame([{p: point.get(p, scenario_value(base, p)) for p in experiment.parameters}
                               for point in design.points], dtype=object)
    elif design.method is Method.GRID:
        points = _grid(design)
    else:
        problem = salib_problem(design)
        sample = _sample(design, problem, seed)
        points = pd.DataFrame(sample, columns=problem["names"])
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
    n = design.samples or 1
    if design.method is Method.SOBOL:
        return saltelli.sample(problem, n, calc_second_order=design.second_order, seed=seed)
    if design.method is Method.MORRIS:
        return morris.sample(problem, n, num_levels=design.levels, seed=seed)
    return latin.sample(problem, n, seed=seed)


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
