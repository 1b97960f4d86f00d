"""Property-based tests of the loader: whatever a scenario file holds, ``load_scenario`` either
returns a Scenario or raises the project's own ScenarioError, never anything else.

Inputs are mutations of a valid scenario's raw mapping (keys deleted or renamed, values replaced by
random YAML, values set at random dotted paths) and raw text garbage built from YAML's own tokens.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import HedgingModel
from sim.bundled import SCENARIOS_DIR
from sim.rules import RULES, groups
from sim.scenario.loader import Problem, ScenarioError, load_scenario
from sim.scenario.schema import AGENT_PARAMS, EventKind, Scenario

BASE = yaml.safe_load((SCENARIOS_DIR / "historical_2013_2024.yaml").read_text())
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Names the loader knows, so that mutations often land on meaningful keys and values.
KNOWN = sorted({*BASE, "extends", *AGENT_PARAMS, "india", "type", "partner", *RULES, *groups(),
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
def mutated_scenarios(draw: st.DrawFn) -> dict:
    data = copy.deepcopy(BASE)
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
