"""The model as a plain function, for EMA Workbench, SALib or a notebook to drive unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.metrics import series_for
from sim.model import HedgingModel
from sim.scenario.loader import (
    Located,
    Problem,
    ScenarioError,
    load_scenario_cached,
    validation_problems,
    with_overrides,
)
from sim.scenario.schema import Scenario
from sim.sweep.experiment import Outcome, default_outcomes
from sim.sweep.outcomes import reduce_outcomes
from sim.sweep.runner import needs_rule_report, series_read


def evaluate(scenario: str | Path | Scenario, seed: int | None = None,
             outcomes: dict[str, Outcome | dict[str, Any]] | None = None,
             **overrides: Any) -> dict[str, float]:
    """Run one seed of ``scenario`` with dotted-path ``overrides`` and return its outcomes.

    Example::

        sim.evaluate("south_china_sea_flareup", seed=1,
                     **{"agents.china.assertiveness": 0.7})

    ``outcomes`` maps names to :class:`Outcome` (or ``{"series": ..., "reduce": ...}``); by default
    the set of :func:`default_outcomes`. Raises ScenarioError for a bad file, path or value. A
    scenario file is read once and again only when it (or a file it extends) changes.
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario_cached(scenario)
    sc = with_overrides(base, overrides) if overrides else base
    wanted = None if outcomes is None else _outcomes(outcomes)
    outside = [Problem("<outcomes>", 0, f"{name}.{bound}", message) for name, o in (wanted or {}).items()
               for bound, message in o.outside(sc.start, sc.end)]
    if outside:
        raise ScenarioError(outside)
    wanted = default_outcomes(sc.countries) if wanted is None else wanted
    declared = {c.name for c in series_for(sc.countries)}
    unknown = [Problem("<outcomes>", 0, name, f"no monthly series {o.series!r}")
               for name, o in wanted.items() if o.series not in declared]
    if unknown:
        raise ScenarioError(unknown)
    # as a sweep runs: only the series the outcomes read, the binding report only if one reads it
    model = HedgingModel(sc, seed=seed, record_actions=False, rule_report=needs_rule_report(wanted, ()),
                         series=series_read(wanted, ())).run()
    values = reduce_outcomes(model.series_values(), [c.name for c in model.columns], sc.start, wanted)
    return {k: float(v[0]) for k, v in values.items()}


def _outcomes(spec: dict[str, Outcome | dict[str, Any]]) -> dict[str, Outcome]:
    out, problems = {}, []
    for name, value in spec.items():
        try:
            out[name] = value if isinstance(value, Outcome) else Outcome.model_validate(value)
        except ValidationError as exc:
            located = Located({name: value}, {(): ("<outcomes>", 0)})
            problems += validation_problems(located, (name,), exc, Outcome)
    if problems:
        raise ScenarioError(problems)
    return out
