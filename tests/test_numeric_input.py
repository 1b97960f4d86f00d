"""Every number a scenario gives is finite, a number, and inside its documented range (issue 8,
items 7 and 9): NaN, infinities, subnormal temperatures, yes/no and text where a number goes, and a
fractional tier are each one ``FILE:LINE: path: message`` line, never a run of NaN series."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from sim.agents import AGENTS, PartnerParams
from sim.rules import RULES
from sim.scenario.loader import ScenarioError, load_scenario
from sim.scenario.schema import (
    SECTIONS,
    Event,
    Frozen,
    RandomEventSpec,
    Scenario,
    _leaf_types,
    section_model,
)
from tests.test_loader import HISTORICAL, only_problem, where


def bad(write_yaml, body: str) -> tuple[str, int, str, str]:
    path = write_yaml(f"extends: {HISTORICAL}\n{body}")
    problem = only_problem(path)
    return (*where(problem), problem.message)


@pytest.mark.parametrize(("body", "path", "fragment"), [
    ("events:\n  - {date: 2013-03, kind: leadership_change, actor: united_states, value: .nan}\n",
     "events[0].value", "finite"),
    ("events:\n  - {date: 2013-03, kind: leadership_change, actor: united_states, value: .inf}\n",
     "events[0].value", "finite"),
    ("events:\n  - {date: 2013-03, kind: leadership_change, actor: united_states, value: 1.5}\n",
     "events[0].value", "between 0 and 1"),
    ("events:\n  - {date: 2013-03, kind: upgrade_offer, actor: united_states, value: 2.5}\n",
     "events[0].value", "whole number"),
    ("events:\n  - {date: 2013-03, kind: upgrade_offer, actor: united_states, value: 4}\n",
     "events[0].value", "China's alone"),
    ("events:\n  - {date: 2013-03, kind: summit, actor: china, value: 0.5}\n",
     "events[0].value", "takes no value"),
    ("events:\n  - {date: 2013-03, kind: summit, actor: china, severity: -.inf}\n",
     "events[0].severity", "finite"),
    ("random_events:\n  summit: {monthly_rate: .nan}\n", "random_events.summit.monthly_rate", "finite"),
    ("random_events:\n  summit: {monthly_rate: 0.1, severity: [0.1, .inf]}\n",
     "random_events.summit.severity[1]", "finite"),
    ("agents:\n  vietnam: {procurement_temperature: 1.0e-320}\n",
     "agents.vietnam.procurement_temperature", "greater than or equal to 0.01"),
    ("agents:\n  china: {temperature: 0}\n", "agents.china.temperature", "greater than or equal to 0.01"),
    ("agents:\n  japan: {temperature: 1.0e+300}\n", "agents.japan.temperature", "less than or equal to 10"),
    ("agents:\n  vietnam: {threat: .nan}\n", "agents.vietnam.threat", "finite"),
    ("agents:\n  vietnam: {actions_per_month: true}\n", "agents.vietnam.actions_per_month", "not yes/no"),
    ("agents:\n  japan: {tier: 2.5}\n", "agents.japan.tier", "fractional"),
    ("agents:\n  japan: {trust: '0.5'}\n", "agents.japan.trust", "not text"),
    ("agents:\n  japan: {position: [1000, 10]}\n", "agents.japan.position[0]", "180"),
    ("rules:\n  one_depend: {weight: .inf}\n", "rules.one_depend.weight", "finite"),
    ("rules:\n  one_depend: {enabled: 1}\n", "rules.one_depend.enabled", "yes or no"),
    ("effects_scale: .nan\n", "effects_scale", "finite"),
    ("months: true\n", "months", "not yes/no"),
    ("seed: 99999999999999999999999\n", "seed", "less than or equal to"),
    ("seed: -1\n", "seed", "greater than or equal to 0"),
], ids=["event-nan", "event-inf", "event-out-of-range", "fractional-tier", "tier-4-not-china",
        "value-on-a-kind-without-one", "severity-minus-inf", "random-rate-nan", "random-severity-inf",
        "subnormal-temperature", "zero-temperature", "huge-temperature", "agent-nan", "bool-for-int",
        "fractional-agent-tier", "text-for-number", "position-off-the-globe", "rule-inf",
        "number-for-switch", "top-level-nan", "months-true", "huge-seed", "negative-seed"])
def test_non_finite_out_of_range_and_mistyped_numbers_are_one_line(write_yaml, body, path, fragment):
    file, line, where_, message = bad(write_yaml, body)
    assert (line, where_) == (2 + body.count("\n") - 1, path)
    assert fragment in message, message
    assert "\n" not in message


def test_documented_event_values_still_load():
    """The bundled replay offers tiers 1 and 3 and lifts the US embargo to 0.25 and 0.35."""
    values = [e.value for e in load_scenario(HISTORICAL).events if e.value is not None]
    assert values and all(v == v and abs(v) != float("inf") for v in values)


def _parameter_models() -> list[type[BaseModel]]:
    return [*(a.Params for a in AGENTS.values()), PartnerParams, *(r.Params for r in RULES.values()),
            *(section_model(name) for name in SECTIONS), Event, RandomEventSpec, Scenario]


def _numeric_fields(model: type[BaseModel]):
    for name, info in model.model_fields.items():
        leaves = _leaf_types(info.annotation)
        if leaves & {int, float} and bool not in leaves:
            yield name, info


def _constraints(annotation) -> list:
    """Every constraint inside an annotation (``Annotated[float, Field(ge=0)] | None``, tuples)."""
    found = []
    for meta in getattr(annotation, "__metadata__", ()):
        found += list(getattr(meta, "metadata", [meta]))
    for arg in typing.get_args(annotation):
        found += _constraints(arg)
    return found


@pytest.mark.parametrize("model", _parameter_models(), ids=lambda m: m.__name__)
def test_every_numeric_parameter_states_a_lower_and_an_upper_bound(model):
    """So no new parameter can take 1e-320 or 1e300 by default: each says its range."""
    assert issubclass(model, Frozen), "derive from schema.Frozen: it refuses NaN, inf and yes/no"
    assert model.model_config.get("allow_inf_nan") is False
    for name, info in _numeric_fields(model):
        kinds = {type(m).__name__ for m in [*info.metadata, *_constraints(info.annotation)]}
        assert kinds & {"Ge", "Gt"} and kinds & {"Le", "Lt"}, f"{model.__name__}.{name} needs both bounds"


def test_a_scenario_value_read_from_yaml_is_never_nan(write_yaml):
    """The guard is the schema, not the caller: building an Event directly refuses NaN too."""
    with pytest.raises(ValueError, match="finite"):
        Event(date="2014-01", kind="leadership_change", value=float("nan"))
    with pytest.raises(ScenarioError):
        load_scenario(write_yaml(f"extends: {HISTORICAL}\neffects_scale: .inf\n"))
