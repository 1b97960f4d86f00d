"""Rules with effective dates (issue 10 item 6): ``since`` / ``until`` on any rule.

A dated rule applies only in the months it covers, the same months for every replicate of a lockstep
block. The historical replay dates the fourth of the Four Nos (no use of force) from the 2019
Defence White Paper ([DWP2019]); before it the doctrine was the "Three Nos" ([Heydarian2022]).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import HedgingModel
from sim.actions import Action
from sim.bundled import SCENARIOS_DIR
from sim.calendar import Month
from sim.rules import RULES
from sim.scenario.loader import ScenarioError, load_scenario, with_overrides

HISTORICAL = SCENARIOS_DIR / "historical_2013_2024.yaml"


def _write(tmp: Path, body: str, name: str = "dated.yaml") -> Path:
    path = tmp / name
    path.write_text(f"extends: {HISTORICAL}\n" + textwrap.dedent(body).lstrip("\n"))
    return path


# ------------------------------------------------------------------------------------ loader
def test_the_replay_dates_the_fourth_no_from_the_2019_white_paper():
    rules = load_scenario("historical_2013_2024").rules
    assert rules["no_force"].since == Month(2019, 11) and rules["no_force"].until is None
    for rid in ("no_alliance", "no_foreign_bases", "no_siding_against_third"):
        assert rules[rid].enabled and rules[rid].since is None, "the Three Nos hold throughout"


def test_a_rule_and_a_group_member_take_dates(tmp_path):
    path = _write(tmp_path, """
        rules:
          one_depend: {since: 2015-01, until: 2020-06}
          four_nos: {no_alliance: {since: 2016-03}}
        """)
    rules = load_scenario(path).rules
    assert (rules["one_depend"].since, rules["one_depend"].until) == (Month(2015, 1), Month(2020, 6))
    assert rules["no_alliance"].since == Month(2016, 3) and rules["no_alliance"].enabled


@pytest.mark.parametrize("text, line, path, message", [
    ("rules:\n  one_depend: {since: 2019-13}\n", 3, "rules.one_depend.since", "month must be 1..12"),
    ("rules:\n  one_depend: {until: soon}\n", 3, "rules.one_depend.until", "YYYY-MM"),
    ("rules:\n  four_nos:\n    no_force: {since: 19-11}\n", 4, "rules.four_nos.no_force.since", "YYYY-MM"),
    ("rules:\n  one_depend: {since: 2020-01, until: 2019-12}\n", 3, "rules.one_depend",
     "since (2020-01) is after until (2019-12)"),
])
def test_a_bad_date_is_one_line_naming_file_line_and_path(tmp_path, text, line, path, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {HISTORICAL}\n" + text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(bad), line, path)
    assert message in problem.message and "\n" not in str(problem)


def test_the_cli_refuses_a_bad_rule_date_with_exit_2_and_writes_nothing(tmp_path):
    import subprocess
    import sys
    bad = _write(tmp_path, "rules:\n  no_force: {since: 2019-11, until: 2019-10}\n")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(bad), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and f"{bad}:3: rules.no_force: since (2019-11) is after until" in lines[0]
    assert not out.exists()


months = st.builds(Month, st.integers(1, 9999), st.integers(1, 12))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(since=st.none() | months, until=st.none() | months)
def test_any_pair_of_months_loads_when_ordered_and_is_refused_otherwise(tmp_path, since, until):
    fields = ", ".join(f"{k}: {v}" for k, v in (("since", since), ("until", until)) if v is not None)
    path = _write(tmp_path, f"rules:\n  one_depend: {{{fields}}}\n")
    if since is not None and until is not None and since > until:
        with pytest.raises(ScenarioError, match="is after until"):
            load_scenario(path)
        return
    rule = load_scenario(path).rules["one_depend"]
    assert (rule.since, rule.until) == (since, until)
    for month in (Month(2013, 1), Month(2019, 11), since, until):
        if month is not None:
            expected = (since is None or since <= month) and (until is None or month <= until)
            assert rule.in_force(month) is expected


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=12))
def test_any_text_as_a_date_loads_or_is_refused_with_our_error(text):
    try:
        scenario = with_overrides("historical_2013_2024", {"rules.one_depend.since": text})
    except ScenarioError as exc:
        assert all(p.path.startswith("rules.one_depend") for p in exc.problems)
    else:
        assert scenario.rules["one_depend"].since == Month.parse(text)


# ------------------------------------------------------------------------------------ behaviour
def _crisis_world(model: HedgingModel) -> None:
    """A severe standoff in every replicate: force is worth something to Vietnam."""
    w = model.world
    w.escalation[:] = 4
    w.crisis_severity[:] = 1.0
    w.threat[:] = 0.95


def test_a_dated_rule_is_off_before_since_and_on_after_in_one_lockstep_block():
    sc = with_overrides("historical_2013_2024", {"months": 3, "start": "2019-10", "events": []})
    model = HedgingModel(sc, replicates=8, record_actions=False)
    force = model.vietnam.menu.is_(Action.USE_FORCE)
    _crisis_world(model)
    model.steps = 1  # October 2019: before the fourth No
    assert model.date == Month(2019, 10)
    assert "no_force" not in {r.id for r in model.vietnam.rules_in_force()}
    before = model.vietnam.decide_scores(model.world)
    assert np.isfinite(before[:, force]).all(), "force is a candidate in every replicate"
    model.steps = 2  # November 2019: the 2019 Defence White Paper
    assert "no_force" in {r.id for r in model.vietnam.rules_in_force()}
    after = model.vietnam.decide_scores(model.world)
    assert np.isneginf(after[:, force]).all(), "forbidden in every replicate of the block"


def test_until_ends_a_rule_and_an_undated_rule_always_applies():
    rule = RULES["no_alliance"](RULES["no_alliance"].Params(until=Month(2015, 6)))
    assert rule.in_force(Month(2015, 6)) and not rule.in_force(Month(2015, 7))
    always = RULES["no_alliance"]()
    assert always.in_force(Month(1900, 1)) and always.in_force(Month(2100, 12))
    off = RULES["no_alliance"](RULES["no_alliance"].Params(enabled=False))
    assert not off.in_force(Month(2020, 1))


# At the defaults the rung itself weighs force down (stability's escalation_sq, [Womack2006]), so a
# standoff rarely tempts Vietnam; a test of the rule's date lifts that weight to see the rule act.
WITHOUT_RUNG_WEIGHT = {"agents.vietnam.gains.use_force.stability.escalation_sq": 0.0}


def test_dating_the_fourth_no_frees_force_only_before_its_date():
    """Over a lockstep block of severe crises where force tempts Vietnam, force is chosen before
    Nov 2019 when it is not yet doctrine, and never from Nov 2019."""
    sc = with_overrides("historical_2013_2024", {"months": 4, "start": "2019-09", "events": [],
                                                 "random_events": {}, **WITHOUT_RUNG_WEIGHT})
    model = HedgingModel(sc, replicates=64, seed=5)
    chosen = {}
    for _ in range(4):
        _crisis_world(model)
        model.step()
        acts = model.actions()
        chosen[str(model.date)] = int((acts[(acts["date"] == str(model.date))
                                            & (acts["action"] == Action.USE_FORCE.value)]).shape[0])
    assert chosen["2019-09"] + chosen["2019-10"] > 0, chosen
    assert chosen["2019-11"] == chosen["2019-12"] == 0, chosen
