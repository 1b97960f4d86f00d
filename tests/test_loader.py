"""The scenario loader: every kind of bad input is reported as ``FILE:LINE: dotted.path: message``.

Most cases extend the bundled historical replay by absolute path and add one bad part, so each test
says exactly which line of which file it expects the loader to blame.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from sim import HedgingModel
from sim.bundled import SCENARIOS_DIR
from sim.rules import groups
from sim.scenario.loader import Problem, ScenarioError, load_scenario, with_overrides

HISTORICAL = SCENARIOS_DIR / "historical_2013_2024.yaml"
LINE_FORMAT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<path>[\w.\[\]]+): (?P<message>.+)$")


@pytest.fixture
def scenario_file(tmp_path: Path):
    """Write ``extends: <historical>`` plus the given YAML (dedented) and return the file.

    Line 1 is the ``extends:`` line, so the text's first line is line 2 of the file.
    """

    def _write(body: str, name: str = "bad.yaml") -> Path:
        path = tmp_path / name
        path.write_text(f"extends: {HISTORICAL}\n" + textwrap.dedent(body).lstrip("\n"))
        return path

    return _write


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def only_problem(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def where(problem: Problem) -> tuple[str, int, str]:
    return problem.file, problem.line, problem.path


# ------------------------------------------------------------------------------------ YAML itself
def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("name: broken\nagents:\n  china: {assertiveness: 0.5\n  vietnam: {}\n")
    problem = only_problem(path)
    assert (problem.file, problem.line) == (str(path), 4)
    assert problem.message.startswith("YAML syntax error")
    assert "starts on line 3" in problem.message, "points back to the unclosed mapping"


def test_duplicate_key_is_reported_at_the_second_occurrence(scenario_file):
    path = scenario_file("""
        months: 10
        months: 12
        """)
    problem = only_problem(path)
    assert where(problem) == (str(path), 3, "months")
    assert problem.message == "duplicate key"


def test_top_level_must_be_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- name: a\n- name: b\n")
    problem = only_problem(path)
    assert (problem.file, problem.line) == (str(path), 1)
    assert "top level must be a mapping" in problem.message


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n")
    assert "empty" in only_problem(path).message


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    problem = only_problem(path)
    assert (problem.file, problem.line) == (str(path), 0)
    assert problem.message == "file not found"


def test_yaml_is_read_with_a_safe_loader(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "unsafe.yaml"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    problem = only_problem(path)
    assert where(problem) == (str(path), 1, "name")
    assert not marker.exists()


@pytest.mark.parametrize(("text", "line", "path"), [
    ("name: x\nstart: 2014-13-45\n", 2, "start"),  # looks like a date, is not one
    ("name: x\nmonths: !!int many\n", 2, "months"),  # a tag that cannot build its value
    ("name: x\nmonths: !!int\n", 2, "months"),  # ... or crashes PyYAML on an empty value
    ("name: x\nmonths: 3\x1f\n", 2, ""),  # a control character YAML does not allow
    ("name: x\n? [1, 2]\n: 3\n", 2, ""),  # a list as a key
    ("a: &loop [*loop]\n", 1, "a[0]"),  # an alias inside itself
], ids=["bad-date", "bad-tag", "empty-tag", "control-char", "list-key", "recursive-alias"])
def test_values_yaml_cannot_build_are_problems_not_crashes(tmp_path, text, line, path):
    file = tmp_path / "odd.yaml"
    file.write_text(text)
    assert where(only_problem(file)) == (str(file), line, path)


# ------------------------------------------------------------------------------------ the schema
@pytest.mark.parametrize(("body", "line", "path", "fragments"), [
    ("agents:\n  china:\n    assertivness: 0.9\n", 4, "agents.china.assertivness",
     ["did you mean 'assertiveness'?"]),
    ("months: many\n", 2, "months", ["integer", "'many'"]),
    ("agents:\n  united_states: {commitment: 1.5}\n", 3, "agents.united_states.commitment",
     ["less than or equal to 1"]),
    # the replay has events whose actor is china: a bad china value must not make them errors
    ("agents:\n  china: {assertiveness: 2}\n", 3, "agents.china.assertiveness", []),
    ("rules:\n  one_dpend: {enabled: true}\n", 3, "rules.one_dpend", ["did you mean 'one_depend'?"]),
    ("rules:\n  china_first: {assurance_within_months: 0}\n", 3,
     "rules.china_first.assurance_within_months", []),
    ("agents:\n  india: {tier: 1}\n", 3, "agents.india", ["unknown agent", "type: partner"]),
    ("events:\n  - {date: 2014-05, kind: summit, actor: china}\n  - {date: 2030-01, kind: summit, actor: china}\n",
     4, "events[1].date", ["2030-01 is outside the run (2013-01 to 2024-12)"]),
    ("events:\n  - {date: 2014-05, kind: summit, actor: chna}\n", 3, "events[0].actor",
     ["did you mean 'china'?"]),
    ("random_events:\n  summit: {monthly_rate: 0.1, actor: jpan}\n", 3, "random_events.summit.actor",
     ["did you mean 'japan'?"]),
    ("events:\n  - {date: 2014-05, kind: maritme_incident, actor: china}\n", 3, "events[0].kind",
     ["did you mean 'maritime_incident'?"]),
    ("random_events:\n  maritme_incident: {monthly_rate: 0.1}\n", 3, "random_events.maritme_incident",
     ["did you mean 'maritime_incident'?"]),
], ids=["unknown-key", "wrong-type", "out-of-range", "bad-agent-value-not-its-events", "unknown-rule",
        "rule-param-out-of-range", "unknown-agent", "event-date-outside-run", "event-unknown-actor",
        "random-event-unknown-actor", "event-kind-typo", "random-event-kind-typo"])
def test_one_bad_value_is_blamed_on_its_line(scenario_file, body, line, path, fragments):
    file = scenario_file(body)
    problem = only_problem(file)
    assert where(problem) == (str(file), line, path)
    for fragment in fragments:
        assert fragment in problem.message


def test_unknown_top_level_key_can_suggest_extends(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(f"extnds: {HISTORICAL}\n")
    problems = problems_of(path)
    typo = next(p for p in problems if p.path == "extnds")
    assert (typo.line, "did you mean 'extends'?" in typo.message) == (1, True)


def test_several_problems_give_one_line_each_in_file_order(scenario_file):
    path = scenario_file("""
        agents:
          china: {assertiveness: 2}
          japan: {comitment: 0.3}
        events:
          - {date: 2030-01, kind: summit, actor: china}
          - {date: 2014-01, kind: summit, actor: japn}
        """)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = str(info.value).splitlines()
    assert [where(p) for p in info.value.problems] == [
        (str(path), 3, "agents.china.assertiveness"),
        (str(path), 4, "agents.japan.comitment"),
        (str(path), 6, "events[0].date"),
        (str(path), 7, "events[1].actor"),
    ]
    assert len(lines) == 4
    for line in lines:
        match = LINE_FORMAT.match(line)
        assert match and match["file"] == str(path), line


# ------------------------------------------------------------------------------------ extends
def test_extends_cycle_is_reported_where_it_closes(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\n")
    problem = only_problem(tmp_path / "a.yaml")
    assert where(problem) == (str(tmp_path / "b.yaml"), 2, "extends")
    assert "cycle" in problem.message and "a.yaml -> b.yaml -> a.yaml" in problem.message


def test_extending_itself_is_a_cycle(tmp_path):
    path = tmp_path / "self.yaml"
    path.write_text("extends: self.yaml\n")
    assert "cycle" in only_problem(path).message


def test_missing_extends_target(tmp_path):
    path = tmp_path / "orphan.yaml"
    path.write_text("name: orphan\nextends: no_such_scenario\n")
    problem = only_problem(path)
    assert where(problem) == (str(path), 2, "extends")
    assert "no scenario 'no_such_scenario'" in problem.message


def test_problems_inherited_from_a_parent_are_blamed_on_the_parent(tmp_path):
    parent = tmp_path / "parent.yaml"
    parent.write_text(f"extends: {HISTORICAL}\nagents:\n  china: {{assertiveness: 3}}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: child\n")
    assert where(only_problem(child)) == (str(parent), 3, "agents.china.assertiveness")


def test_extends_a_bundled_scenario_by_name(tmp_path):
    path = tmp_path / "short.yaml"
    path.write_text("extends: historical_2013_2024\nname: short\n")
    scenario = load_scenario(path)
    parent = load_scenario(HISTORICAL)
    assert scenario.name == "short"
    assert (scenario.start, scenario.months, scenario.events) == (parent.start, parent.months, parent.events)


def test_add_events_appends_to_the_inherited_events(tmp_path):
    """``events:`` replaces a parent's list; ``add_events:`` keeps it and appends (a one-knob what-if)."""
    added = "add_events:\n  - {date: 2020-06, kind: leadership_change, actor: united_states, value: 0.2}\n"
    (tmp_path / "add.yaml").write_text(f"extends: {HISTORICAL}\nname: add\n" + added)
    (tmp_path / "replace.yaml").write_text(f"extends: {HISTORICAL}\nname: replace\n" + added.replace("add_", ""))
    parent = load_scenario(HISTORICAL).events
    with_added = load_scenario(tmp_path / "add.yaml").events
    assert with_added[:len(parent)] == parent and len(with_added) == len(parent) + 1
    assert len(load_scenario(tmp_path / "replace.yaml").events) == 1


def test_a_bad_added_event_is_blamed_on_its_own_line(tmp_path):
    path = tmp_path / "bad_add.yaml"
    path.write_text(f"extends: {HISTORICAL}\nname: bad_add\nadd_events:\n"
                    "  - {date: 2020-06, kind: leadership_change, actor: united_states, value: 0.2}\n"
                    "  - {date: 2020-13, kind: leadership_change, actor: united_states, value: 0.2}\n")
    problem = only_problem(path)
    n = len(load_scenario(HISTORICAL).events)
    assert (problem.file, problem.line) == (str(path), 5)
    assert problem.path.startswith(f"events[{n + 1}]")


def test_add_events_must_be_a_list(scenario_file):
    problem = only_problem(scenario_file("add_events: {date: 2020-06}\n"))
    assert (problem.line, problem.path, problem.message) == (2, "add_events", "must be a list of events")


# ------------------------------------------------------------------------------------ what loads
def test_a_generic_partner_loads_and_runs(scenario_file):
    path = scenario_file("""
        agents:
          india: {type: partner, display_name: India, tier: 1, commitment: 0.4, arms_supplier: 0.3}
        events:
          - {date: 2013-02, kind: upgrade_offer, actor: india, value: 2}
        """)
    scenario = load_scenario(path)
    assert scenario.partners[-1] == "india"
    series = HedgingModel(scenario, seed=1).run(months=6).series()
    assert len(series) == 6
    assert {"tier_india", "trust_india"} <= set(series.columns)
    assert series["tier_india"].notna().all()
    assert series["tier_india"].iloc[0] >= 1


def test_four_nos_group_switch_turns_members_off_one_by_one(scenario_file):
    path = scenario_file("""
        rules:
          four_nos: {no_force: off}
        """)
    rules = load_scenario(path).rules
    assert not rules["no_force"].enabled
    assert all(rules[rid].enabled for rid in groups()["four_nos"] if rid != "no_force")


def test_four_nos_relaxed_turns_all_four_off():
    rules = load_scenario("four_nos_relaxed").rules
    assert not any(rules[rid].enabled for rid in groups()["four_nos"])


def test_four_nos_member_typo_and_non_switch_value(scenario_file):
    path = scenario_file("""
        rules:
          four_nos:
            no_forse: off
            no_alliance: maybe
        """)
    problems = problems_of(path)
    assert [where(p) for p in problems] == [(str(path), 4, "rules.four_nos.no_forse"),
                                            (str(path), 5, "rules.four_nos.no_alliance")]
    assert "did you mean 'no_force'?" in problems[0].message
    assert "must be on or off" in problems[1].message


def test_with_overrides_replaces_a_value_by_dotted_path():
    base = load_scenario(HISTORICAL)
    changed = with_overrides(base, {"agents.china.assertiveness": 0.9,
                                    "rules.one_depend.threat_threshold": 0.5})
    assert changed.agents["china"].assertiveness == 0.9
    assert changed.rules["one_depend"].threat_threshold == 0.5
    assert base.agents["china"].assertiveness == 0.5, "the original is unchanged"


def test_with_overrides_rejects_a_path_that_names_no_value():
    with pytest.raises(ScenarioError) as info:
        with_overrides(HISTORICAL, {"agents.china.assertivenes": 0.9})
    assert [p.path for p in info.value.problems] == ["agents.china.assertivenes"]


def test_with_overrides_validates_the_new_value():
    with pytest.raises(ScenarioError) as info:
        with_overrides(load_scenario(HISTORICAL), {"agents.china.assertiveness": 1.5})
    assert [p.path for p in info.value.problems] == ["agents.china.assertiveness"]


def test_aliases_cannot_expand_a_small_file_into_a_huge_tree(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    problem = only_problem(path)
    assert problem.file == str(path) and "more than 100000 values" in problem.message
