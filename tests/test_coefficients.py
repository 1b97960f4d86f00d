"""Every coefficient is named, sourced, documented, reachable by dotted path and read per replicate."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim import HedgingModel, load_scenario, with_overrides
from sim.agents import AGENTS, Partner, PartnerParams, agent_class, register_agent
from sim.agents.china import China
from sim.coefficients import CALIBRATED, coef, compile_params
from sim.dynamics import Dynamics, open_crisis
from sim.reference import DOC, coefficients
from sim.scenario.loader import ScenarioError
from sim.state import CHINA, initial_world
from sim.sweep.design import METHODS
from sim.sweep.experiment import Method

SOURCE = re.compile(r"^(calibrated|domain\.md timeline|\[[A-Za-z]+\d{4}\]( \(.+\))?(; \[[A-Za-z]+\d{4}\])*)$")


def _write(tmp_path, body: str):
    path = tmp_path / "s.yaml"
    path.write_text("extends: historical_2013_2024\nname: t\n" + body)
    return path


# ------------------------------------------------------------------------------------------ declared
def test_every_coefficient_has_a_meaning_a_range_and_a_source_or_calibrated():
    rows = coefficients()
    assert len(rows) > 300
    for row in rows:
        assert row.meaning, row.path
        assert row.low is not None and row.high is not None and row.low <= row.default <= row.high, row.path
        assert SOURCE.match(row.source), f"{row.path}: source {row.source!r}"


def test_every_coefficient_has_its_row_in_the_generated_docs():
    text = DOC.read_text()
    missing = [r.path for r in coefficients() if f"| `{r.path}` |" not in text]
    assert not missing, f"run `python -m sim.reference`; no row for {missing[:5]}"


def test_no_source_cites_a_seed_file():
    assert not [r.path for r in coefficients() if "seed" in r.source.lower()]


def test_the_paths_reach_every_kind_of_table():
    paths = {r.path for r in coefficients()}
    for path in ("agents.vietnam.gains.party_visit.stability.tension", "agents.china.ladder.risk",
                 "actions.sanctions_pressure.sanctioned_arms", "rules.one_depend.weight",
                 "actions.defense_ties.dyad_defense", "dynamics.threat_decay",
                 "shocks.sanctions_reliability_cut", "metrics.trust", "agents.<partner>.utility.oda_cost"):
        assert path in paths, path


# ------------------------------------------------------------------------------------------ reachable
def test_a_coefficient_set_in_a_scenario_file_reaches_the_behaviour(tmp_path):
    path = _write(tmp_path, "agents:\n  china:\n    ladder: {risk: 0.5}\n"
                            "actions:\n  defense_ties: {dyad_defense: 0.1}\n"
                            "dynamics: {threat_decay: 0.2}\n")
    model = HedgingModel(load_scenario(path), replicates=3)
    assert model.china.k.ladder.risk.shape == (3,)
    assert np.all(model.china.k.ladder.risk == 0.5)
    from sim.actions import INDEX, Action, Channel
    assert np.all(model.world.k.effects[:, INDEX[Action.DEFENSE_TIES], Channel.DYAD_DEFENSE] == 0.1)
    assert np.all(model.world.k.dynamics.threat_decay == 0.2)


def test_with_overrides_sets_a_nested_coefficient_by_dotted_path():
    sc = with_overrides("historical_2013_2024", {"agents.vietnam.gains.party_visit.stability.tension": 0.9,
                                                  "rules.one_depend.weight": 2.0, "metrics.tension": 0.1})
    assert sc.agents["vietnam"].gains.party_visit.stability.tension == 0.9
    assert sc.rules["one_depend"].weight == 2.0
    assert sc.metrics.tension == 0.1


@pytest.mark.parametrize(("body", "line", "message"), [
    ("agents:\n  china:\n    ladder: {riks: 1.0}\n", 5, "unknown key (did you mean 'risk'"),
    ("dynamics:\n  threat_decai: 0.1\n", 4, "unknown key (did you mean 'threat_decay'"),
    ("actions:\n  defense_ties: {dyad_defence: 0.1}\n", 4, "did you mean 'dyad_defense'"),
    ("dynamics:\n  threat_decay: 1.5\n", 4, "less than or equal to 1"),
    ("dynamics:\n  threat_decay: .nan\n", 4, "finite"),
    ("rules:\n  one_depend: {weight: -1}\n", 4, "greater than or equal to 0"),
])
def test_a_bad_coefficient_is_one_file_line_error_naming_it(tmp_path, body, line, message):
    path = _write(tmp_path, body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert f"{path}:{line}:" in text and message in text, text


def test_an_unknown_dotted_path_is_refused_before_anything_runs():
    with pytest.raises(ScenarioError, match="names no value"):
        with_overrides("historical_2013_2024", {"agents.china.ladder.no_such": 1.0})


# ------------------------------------------------------------------------------------------ replicate axis
def test_compiled_coefficients_have_a_leading_replicate_axis():
    one = compile_params(Dynamics(), 4)
    assert one.threat_decay.shape == (4,) and np.all(one.threat_decay == 0.05)
    many = compile_params([Dynamics(threat_decay=x) for x in (0.1, 0.2, 0.3)])
    assert many.threat_decay.tolist() == [0.1, 0.2, 0.3]
    with pytest.raises(AttributeError):
        many.threat_decay = 1  # type: ignore[misc]


def test_structure_must_agree_across_replicates():
    from sim.rules.vietnam import ChinaFirstParams
    with pytest.raises(ValueError, match="structure"):
        compile_params([ChinaFirstParams(assurance_within_months=3), ChinaFirstParams(assurance_within_months=6)])


def test_a_hand_built_world_with_chosen_coefficients():
    """An incident's threat rise is ``dynamics.incident_threat`` x severity, per replicate."""
    scenarios = [with_overrides("historical_2013_2024", {"dynamics.incident_threat": v}) for v in (0.0, 0.4)]
    world = initial_world(scenarios)
    before = world.threat.copy()
    open_crisis(world, np.array([True, True]), 0.5)
    assert np.allclose(world.threat - before, [0.0, 0.2])
    assert world.k.dynamics.incident_threat.tolist() == [0.0, 0.4]


def test_the_risk_of_force_is_a_coefficient_of_chinas_ladder():
    """One rung below force, pressing on costs the standing costs x (1 + ``ladder.risk`` x 25)."""
    def cost(risk: float) -> np.ndarray:
        sc = with_overrides("historical_2013_2024", {"agents.china.ladder.risk": risk})
        model = HedgingModel(sc)
        model.world.escalation[:] = 4
        return model.china.cost_of_pressing(model.world)

    assert np.allclose(cost(0.2) - cost(0.0), 0.2 * 25 * cost(0.0))


# ------------------------------------------------------------------------------------------ registry
def test_the_five_states_are_registered_with_their_own_parameter_models():
    assert {"vietnam", "china", "united_states", "japan", "russia"} <= set(AGENTS)
    assert AGENTS["china"] is China and AGENTS["china"].Params.__name__ == "ChinaParams"
    assert agent_class("india") is Partner


def test_a_registered_state_enters_when_a_scenario_names_it(tmp_path):
    class IndiaParams(PartnerParams):
        rivalry_with_china: float = coef(0.6, 0, 1, "how openly India confronts China", CALIBRATED)

    @register_agent
    class India(Partner):
        key = "india"
        Params = IndiaParams

    try:
        path = _write(tmp_path, "agents:\n  india: {tier: 2}\n")
        model = HedgingModel(load_scenario(path))
        india = next(a for a in model.others if a.name == "india")
        assert type(india) is India and india.params.rivalry_with_china == 0.6
        assert model.world.tier[0, model.world.index("india")] == 2
        plain = HedgingModel(load_scenario("historical_2013_2024"))
        assert "india" not in plain.world.countries  # enters only when named
    finally:
        del AGENTS["india"]


def test_an_unregistered_state_without_type_partner_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="unknown agent"):
        load_scenario(_write(tmp_path, "agents:\n  atlantis: {tier: 1}\n"))


# ------------------------------------------------------------------------------------------ methods
def test_every_sweep_method_has_one_row_and_analysers_name_their_columns():
    assert set(METHODS) == set(Method)
    for method, spec in METHODS.items():
        assert spec.method is method
        if spec.analyse is not None:
            assert spec.columns and spec.bars and spec.label


def test_a_method_without_analysis_is_refused_rather_than_analysed_as_another():
    import pandas as pd

    from sim.sweep.analysis import sensitivity
    with pytest.raises(ValueError, match="no sensitivity analysis"):
        sensitivity(Method.LHS, {"num_vars": 1, "names": ["x"], "bounds": [[0, 1]]}, np.zeros((4, 1)),
                    pd.DataFrame({"y": [0.0, 1, 2, 3]}))


def test_world_coefficients_default_in_a_scenario_built_without_the_loader():
    sc = load_scenario("historical_2013_2024")
    world = initial_world(sc, 2)
    assert world.k.effects.shape[0] == 2 and world.tension[:, CHINA].shape == (2,)


def test_a_scenario_with_generated_tables_pickles_for_process_pools():
    import pickle
    sc = with_overrides("historical_2013_2024", {"agents.vietnam.gains.party_visit.stability.tension": 0.5})
    assert pickle.loads(pickle.dumps(sc)) == sc
