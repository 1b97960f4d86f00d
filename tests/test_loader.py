"""Bad scenarios: one FILE:LINE: path: message per problem, the project's own error type, nothing else."""

from __future__ import annotations

import pytest

from sim import HedgingModel, ScenarioError, load_scenario, with_overrides
from sim.scenario.loader import BUNDLED_DIR

HISTORICAL = BUNDLED_DIR / "historical_2013_2024.yaml"
HEAD = f"name: a\ndescription: d\nextends: {HISTORICAL}\n"


def problems_of(path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("body, line, path, words", [
    ("agents:\n  china: {assertiveness: [1, 2\n", 6, "", "YAML syntax error"),
    ("agents:\n  china:\n    asertiveness: 0.5\n", 6, "agents.china.asertiveness", "did you mean 'assertiveness'"),
    ("months: many\n", 4, "months", "valid integer"),
    ("agents:\n  china:\n    assertiveness: 1.7\n", 6, "agents.china.assertiveness", "less than or equal to 1"),
    ("rules:\n  one_depen: {threat_threshold: 0.5}\n", 5, "rules.one_depen", "did you mean 'one_depend'"),
    ("agents:\n  indai: {tier: 2}\n", 5, "agents.indai", "type: partner"),
    ("events:\n  - {date: 2030-01, kind: summit, actor: china}\n", 5, "events[0].date", "outside the run"),
    ("events:\n  - {date: 2015-01, kind: maritme_incident}\n", 5, "events[0].kind",
     "did you mean 'maritime_incident'"),
    ("events:\n  - {date: 2015-01, kind: summit, actor: chna}\n", 5, "events[0].actor", "did you mean 'china'"),
    ("months: 12\nmonths: 13\n", 5, "months", "duplicate key"),
    ("rules:\n  four_nos: {no_forse: off}\n", 5, "rules.four_nos.no_forse", "did you mean 'no_force'"),
    ("bogus: 1\n", 4, "bogus", "unknown key"),
])
def test_each_kind_of_bad_input_names_file_line_and_path(write_yaml, body, line, path, words):
    file = write_yaml(HEAD + body)
    problems = problems_of(file)
    expected = f"{file}:{line}: {path}: " if path else f"{file}:{line}: "
    assert any(p.startswith(expected) and words in p for p in problems), problems
    assert len(problems) == 1, "one message per problem, no cascade"


def test_several_problems_are_reported_together(write_yaml):
    file = write_yaml(HEAD + "months: -3\nagents:\n  china: {assertiveness: 2}\n")
    problems = problems_of(file)
    assert len(problems) == 2
    assert problems[0].startswith(f"{file}:4: months:") and problems[1].startswith(f"{file}:6: agents.china")


def test_a_cycle_in_extends_a_missing_parent_and_a_missing_file(tmp_path, write_yaml):
    write_yaml("name: a\ndescription: d\nextends: b.yaml\n", "a.yaml")
    b = write_yaml("name: b\ndescription: d\nextends: a.yaml\n", "b.yaml")
    assert any(p.startswith(f"{b}:3: extends: cycle") for p in problems_of(tmp_path / "a.yaml"))
    orphan = write_yaml("name: c\ndescription: d\nextends: nowhere\n", "c.yaml")
    assert problems_of(orphan)[0].startswith(f"{orphan}:3: extends: no scenario 'nowhere'")
    assert problems_of(tmp_path / "absent.yaml") == [f"{tmp_path / 'absent.yaml'}: file not found"]


def test_a_non_mapping_and_an_empty_file(write_yaml):
    assert "top level must be a mapping" in problems_of(write_yaml("- a\n- b\n"))[0]
    assert "empty" in problems_of(write_yaml("", "empty.yaml"))[0]


def test_yaml_is_read_with_a_safe_loader(write_yaml):
    evil = write_yaml(HEAD + "description: !!python/object/apply:os.system ['echo hacked']\n")
    assert "YAML" in problems_of(evil)[0] or "description" in problems_of(evil)[0]


def test_an_added_partner_loads_and_runs_and_a_group_switch_works(write_yaml):
    file = write_yaml(HEAD + "agents:\n  india: {type: partner, tier: 2, trust: 0.5, arms_supplier: 0.3}\n"
                      "rules:\n  four_nos: {no_force: off}\n")
    scenario = load_scenario(file)
    assert scenario.partners[-1] == "india"
    assert not scenario.rules["no_force"].enabled and scenario.rules["no_alliance"].enabled
    series = HedgingModel(scenario, seed=1).run(12).series()
    assert {"tier_india", "trust_india"} <= set(series.columns) and len(series) == 12


def test_with_overrides_accepts_a_value_and_rejects_a_path_or_value():
    base = load_scenario("south_china_sea_flareup")
    assert with_overrides(base, {"agents.china.assertiveness": 0.3}).agents["china"].assertiveness == 0.3
    with pytest.raises(ScenarioError, match="agents.china.nope: names no value"):
        with_overrides(base, {"agents.china.nope": 1})
    with pytest.raises(ScenarioError, match="less than or equal to 1"):
        with_overrides(base, {"agents.china.assertiveness": 3})
