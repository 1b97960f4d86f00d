"""Property-based tests of the loaders: whatever a scenario or experiment file holds,
``load_scenario`` and ``load_experiment`` either return a valid object or raise the project's own
ScenarioError (one line per problem), never anything else.

Inputs are mutations of a valid file's raw mapping (keys deleted or renamed, values replaced by
random YAML, values set at random dotted paths), raw text garbage built from YAML's own tokens, and
numeric edge values (NaN, infinities, subnormals, huge integers, yes/no, text) in every numeric field
of the schema: such a value is either accepted finite and in range or refused, never stored.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import HedgingModel
from sim.agents import AGENTS, PartnerParams
from sim.bundled import EXPERIMENTS_DIR, SCENARIOS_DIR
from sim.rules import RULES, groups
from sim.scenario.loader import Problem, ScenarioError, _scenario_to_raw, load_scenario
from sim.scenario.schema import (
    Event,
    EventKind,
    RandomEventSpec,
    Scenario,
    _leaf_types,
)
from sim.sweep.experiment import Experiment, load_experiment

BASE = yaml.safe_load((SCENARIOS_DIR / "historical_2013_2024.yaml").read_text())
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Names the loader knows, so that mutations often land on meaningful keys and values.
KNOWN = sorted({*BASE, "extends", *AGENTS, "india", "type", "partner", *RULES, *groups(),
                *(k.value for k in EventKind), "enabled", "date", "kind", "actor", "target",
                "severity", "monthly_rate", "assertiveness", "commitment", "tier"})

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(), st.dates(),
    st.text(max_size=12), st.sampled_from(KNOWN),
    st.sampled_from(["2013-01", "2024-12", "2030-01", "1999-13", "on", "off", "-1", "1e400", ".nan"]),
)
keys = st.one_of(st.sampled_from(KNOWN), st.text(max_size=10), st.integers(-3, 3), st.booleans())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(keys, inner, max_size=3), max_leaves=8)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a nested mapping/list, the root excluded."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    out = []
    for key, child in items:
        out.append(prefix + (key,))
        out.extend(_paths(child, prefix + (key,)))
    return out


def _parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn, base: dict) -> dict:
    """``base`` with one to four random edits: keys deleted or renamed, values replaced, values set
    at random dotted paths."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "rename", "replace", "set_dotted"]))
        if op == "set_dotted":
            path = tuple(draw(st.lists(st.sampled_from(KNOWN) | st.text(max_size=6), min_size=1, max_size=4)))
            node = data
            for part in path[:-1]:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
            node[path[-1]] = draw(values)
            continue
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(data, path), path[-1]
        if op == "delete":
            del parent[last]
        elif op == "replace":
            parent[last] = draw(values)
        elif isinstance(parent, dict):  # rename a mapping key
            new = draw(keys)
            if new not in parent:
                parent[new] = parent.pop(last)
    return data


def mutated_scenarios() -> st.SearchStrategy[dict]:
    return mutated(BASE)


garbage = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from([
        "name: x", "months: 12", "start: 2014-01", "agents:", "  china:", "    tier: 9", "events:",
        "  - {date: 2014-05, kind: summit}", "extends: historical_2013_2024", "rules:", "four_nos:",
        ":", "-", "- ", "{", "}", "[", "]", ",", "? ", "&a ", "*a", "!!python/object:os.system ",
        "!!int ", "!!binary ", "<<: *a", "\t", "  ", "    ", "\n", "'", '"', "|", ">", "%YAML 1.1",
        "---", "...", "2014-13-45", "#", "\x00", "\ufeff", "null", "~",
    ]), max_size=40).map("".join),
)


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _load_or_own_error(path: Path) -> Scenario | None:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        assert exc.problems, "a ScenarioError names at least one problem"
        assert all(isinstance(p, Problem) and p.message for p in exc.problems)
        assert str(exc).count("\n") == len(exc.problems) - 1, "one line per problem"
        return None


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@SETTINGS
@given(data=mutated_scenarios())
def test_mutated_scenario_loads_or_raises_scenario_error(tmp, data):
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    _load_or_own_error(_write(tmp, "mutated.yaml", text))


@SETTINGS
@given(text=garbage)
def test_garbage_text_loads_or_raises_scenario_error(tmp, text):
    _load_or_own_error(_write(tmp, "garbage.yaml", text))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_scenarios())
def test_whatever_loads_can_be_built_and_stepped(tmp, data):
    scenario = _load_or_own_error(_write(tmp, "runnable.yaml", yaml.safe_dump(data, sort_keys=False)))
    if scenario is not None:
        model = HedgingModel(scenario, seed=0).run(months=min(2, scenario.months))
        assert len(model.series()) == min(2, scenario.months)


def test_the_unmutated_base_loads(tmp_path):
    path = _write(tmp_path, "base.yaml", yaml.safe_dump(BASE, sort_keys=False))
    assert load_scenario(path).name == BASE["name"]


# ------------------------------------------------------------------------------ numeric edge values
def _numeric_fields(model) -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        leaves = _leaf_types(info.annotation)
        if leaves & {int, float} and bool not in leaves:
            out.append(name)
    return out


def _numeric_paths() -> list[tuple]:
    """A path into a scenario's raw mapping for every numeric field the schema has."""
    paths: list[tuple] = [(k,) for k in _numeric_fields(Scenario)]
    for name, model in {**{k: a.Params for k, a in AGENTS.items()}, "india": PartnerParams}.items():
        paths += [("agents", name, f) for f in _numeric_fields(model) if f != "position"]
        paths += [("agents", name, "position", i) for i in (0, 1)]
    for rid, rule in RULES.items():
        paths += [("rules", rid, f) for f in _numeric_fields(rule.Params)]
    paths += [("events", 0, f) for f in _numeric_fields(Event)]
    paths += [("random_events", "summit", f) for f in _numeric_fields(RandomEventSpec) if f != "severity"]
    paths += [("random_events", "summit", "severity", i) for i in (0, 1)]
    return paths


NUMERIC_PATHS = _numeric_paths()
edge_numbers = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 5e-324, 1e-320, 2.2e-308, 1e308,
                     -1e308, 2**63, 2**63 - 1, 2**64, 10**30, -(10**30), True, False, "0.5", "1e400",
                     ".nan", None]),
    st.floats(), st.integers(-(10**25), 10**25), st.floats(-2, 5),
)


def _edge_scenario(path: tuple, value: Any) -> dict:
    data = copy.deepcopy(BASE)
    data["agents"]["india"] = {"type": "partner", "position": [78.0, 21.0]}
    data["events"] = [{"date": "2014-05", "kind": "leadership_change", "actor": "united_states", "value": 0.3}]
    data["random_events"] = {"summit": {"monthly_rate": 0.1, "severity": [0.2, 0.6]}}
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[path[-1]] = value
    return data


def _finite_everywhere(node: Any, where: str = "") -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _finite_everywhere(v, f"{where}.{k}")
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            _finite_everywhere(v, f"{where}[{i}]")
    elif isinstance(node, float):
        assert math.isfinite(node), f"{where} holds {node}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(NUMERIC_PATHS), value=edge_numbers)
def test_a_numeric_edge_value_is_accepted_finite_or_refused(tmp, path, value):
    text = yaml.safe_dump(_edge_scenario(path, value), sort_keys=False)
    scenario = _load_or_own_error(_write(tmp, "edge.yaml", text))
    if scenario is None:
        return
    raw = _scenario_to_raw(scenario)
    _finite_everywhere(raw)
    assert not isinstance(value, bool | str), f"{path}: {value!r} taken as a number"
    assert value is None or math.isfinite(value), f"{path}: {value!r} accepted"


# ------------------------------------------------------------------------------ the experiment loader
EXPERIMENT = yaml.safe_load((EXPERIMENTS_DIR / "demo.yaml").read_text())
EXPERIMENT["scenario"] = str(SCENARIOS_DIR / "south_china_sea_flareup.yaml")


def _experiment_or_own_error(path: Path) -> Experiment | None:
    try:
        experiment, _ = load_experiment(path)
    except ScenarioError as exc:
        assert exc.problems and all(isinstance(p, Problem) and p.message for p in exc.problems)
        assert all("\n" not in str(p) for p in exc.problems), "one line per problem"
        return None
    _finite_everywhere(experiment.model_dump(mode="json"))
    return experiment


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated(EXPERIMENT))
def test_mutated_experiment_loads_or_raises_scenario_error(tmp, data):
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    _experiment_or_own_error(_write(tmp, "experiment.yaml", text))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(low=edge_numbers, high=edge_numbers, samples=st.one_of(st.integers(-3, 10**7), edge_numbers))
def test_experiment_ranges_and_samples_at_the_edges(tmp, low, high, samples):
    data = copy.deepcopy(EXPERIMENT)
    data["design"] = {"method": "lhs", "samples": samples,
                      "parameters": {"agents.china.assertiveness": [low, high]}}
    experiment = _experiment_or_own_error(_write(tmp, "edges.yaml", yaml.safe_dump(data, sort_keys=False)))
    if experiment is not None:
        spec = experiment.design.parameters["agents.china.assertiveness"]
        assert 0 <= spec[0] < spec[1] <= 1, "a range inside the parameter's own"


@SETTINGS
@given(text=garbage)
def test_garbage_experiment_text_loads_or_raises_scenario_error(tmp, text):
    _experiment_or_own_error(_write(tmp, "garbage_experiment.yaml", text))


def test_the_unmutated_experiment_loads(tmp_path):
    path = _write(tmp_path, "experiment.yaml", yaml.safe_dump(EXPERIMENT, sort_keys=False))
    assert _experiment_or_own_error(path).name == EXPERIMENT["name"]
