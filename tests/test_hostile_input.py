"""Hostile and careless input (issue 8, items 8, 9, 11, 12, 15, 16, 18): every case is one clear line
naming the file (and line where known) with exit code 2, or a clear ValueError from the API, and
nothing is written."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import HedgingModel
from sim.bundled import EXPERIMENTS_DIR, SCENARIOS_DIR
from sim.cli import main
from sim.metrics import NonFiniteError, require_finite
from sim.runner import run_scenario, write_run
from sim.scenario.loader import MAX_EXTENDS, MAX_FILE_BYTES, ScenarioError, load_scenario
from sim.sweep import sweep as sweep_module
from sim.sweep.design import build_design
from sim.sweep.evaluate import evaluate
from sim.sweep.experiment import load_experiment
from sim.sweep.outcomes import REDUCERS, Reducer
from tests.conftest import ROOT
from tests.test_loader import HISTORICAL, LINE_FORMAT, only_problem, where

FLAREUP = SCENARIOS_DIR / "south_china_sea_flareup.yaml"


def one_line_exit_2(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err, err
    return err


def experiment(tmp_path: Path, body: str, scenario: Path = FLAREUP) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(f"name: tiny\nscenario: {scenario}\n" + textwrap.dedent(body).lstrip("\n"))
    return path


# ------------------------------------------------------------------------------ 11: files and sizes
def test_a_device_is_refused_without_reading_it(capsys, tmp_path):
    err = one_line_exit_2(capsys, ["run", "/dev/zero", "--out", str(tmp_path / "o")])
    assert err == "/dev/zero: not a regular file (a device, pipe or socket); give a YAML file"
    assert not (tmp_path / "o").exists()


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path):
    """Opening a FIFO for reading blocks until a writer comes; the loader must not open it so.
    Run in a child with a generous deadline, so a regression fails instead of hanging the suite."""
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    code = ("from sim.scenario.loader import load_scenario, ScenarioError\n"
            f"try:\n    load_scenario({str(fifo)!r})\nexcept ScenarioError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert "not a regular file" in done.stdout, done.stderr


def test_a_directory_is_refused(tmp_path):
    problem = only_problem(tmp_path)
    assert problem.file == str(tmp_path) and "a directory" in problem.message


def test_a_10_mb_file_of_160000_events_is_refused_by_its_size(tmp_path):
    path = tmp_path / "huge.yaml"
    event = "  - {date: 2014-05, kind: summit, actor: china, severity: 0.5, label: a visit}\n"
    path.write_text(f"extends: {HISTORICAL}\nevents:\n" + event * 160_000)
    assert path.stat().st_size > 10 * MAX_FILE_BYTES
    problem = only_problem(path)
    assert problem.message == "larger than 1024 KiB, the most an input file may be"


def test_node_count_is_capped_while_composing(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text("name: x\nlist: [" + "1, " * 120_000 + "1]\n")
    assert path.stat().st_size < MAX_FILE_BYTES
    problem = only_problem(path)
    assert problem.line == 2 and "too large: more than 100,000 values" in problem.message


def test_deep_nesting_is_capped_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("name: x\ndeep: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested more than 64 deep" in only_problem(path).message


def test_dry_run_prints_the_plan_and_writes_nothing(capsys, tmp_path):
    exp = EXPERIMENTS_DIR / "sobol_flareup.yaml"
    out = tmp_path / "results"
    assert main(["sweep", str(exp), "--out", str(out), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "sobol design; 1,024 design points x 4 replicates = 4,096 runs" in text
    assert f"-> {out}/" in text and "agents.china.assertiveness: range [0.2, 1]" in text
    assert not out.exists()


def test_a_design_beyond_the_cap_is_refused_without_yes(capsys, tmp_path):
    exp = experiment(tmp_path, """
        replicates: 4
        design:
          method: sobol
          samples: 524288
          parameters:
            agents.china.assertiveness: [0.2, 1.0]
        """)
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert "2,097,152 design points x 4 replicates = 8,388,608 runs" in captured.out, "stated first"
    assert "more than 100,000; pass --yes" in captured.err
    assert not out.exists()


def test_yes_lets_a_sweep_beyond_the_cap_run(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_module, "CONFIRM_RUNS", 3)
    short = tmp_path / "short.yaml"
    short.write_text(f"extends: {FLAREUP}\nmonths: 12\n")
    exp = experiment(tmp_path, "replicates: 4\n", scenario=short)
    assert main(["sweep", str(exp), "--out", str(tmp_path / "no"), "--no-progress", "--no-analyze"]) == 2
    assert not (tmp_path / "no").exists()
    assert main(["sweep", str(exp), "--out", str(tmp_path / "yes"), "--no-progress", "--no-analyze",
                 "--workers", "1", "--yes"]) == 0
    assert (tmp_path / "yes" / "experiment.json").exists()


@pytest.mark.parametrize("name", sorted(p.name for p in (EXPERIMENTS_DIR).glob("*.yaml")))
def test_the_stated_run_count_is_the_design_that_runs(name):
    experiment_, base = load_experiment(EXPERIMENTS_DIR / name)
    assert experiment_.points == len(build_design(experiment_, base))


def test_second_order_sobol_count_matches_salib(tmp_path):
    exp = experiment(tmp_path, """
        design:
          method: sobol
          samples: 8
          second_order: true
          parameters:
            agents.china.assertiveness: [0.2, 1.0]
            agents.united_states.commitment: [0.2, 1.0]
            agents.russia.reliability: [0.2, 1.0]
        """)
    experiment_, base = load_experiment(exp)
    assert experiment_.points == len(build_design(experiment_, base)) == 8 * (2 * 4 + 2)  # three parameters and the noise-floor dummy


# ------------------------------------------------------------------------------ 12: extends depth
def _chain(tmp_path: Path, files: int) -> Path:
    (tmp_path / "f0.yaml").write_text(f"extends: {HISTORICAL}\n")
    for i in range(1, files - 1):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: f{i - 1}.yaml\n")
    return tmp_path / f"f{files - 2}.yaml"


def test_an_extends_chain_at_the_cap_loads(tmp_path):
    assert load_scenario(_chain(tmp_path, MAX_EXTENDS)).name == load_scenario(HISTORICAL).name


def test_an_extends_chain_past_the_cap_is_one_clear_line(tmp_path):
    problem = only_problem(_chain(tmp_path, 1200))
    assert problem.path == "extends" and f"at most {MAX_EXTENDS} files" in problem.message


# ------------------------------------------------------------------------------ 15: months, encodings
@pytest.mark.parametrize(("start", "fragment"), [
    ("0000-01", "year must be 1..9999"), ("2014-00", "month must be 1..12"),
    ("2014-13", "month must be 1..12"), ("1850-01", "between 1900-01 and 2100-12"),
    ("9999-12", "between 1900-01 and 2100-12"),
])
def test_impossible_start_months(capsys, tmp_path, start, fragment):
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {HISTORICAL}\nstart: {start}\n")
    err = one_line_exit_2(capsys, ["run", str(path), "--out", str(tmp_path / "o")])
    assert err.startswith(f"{path}:2: start: ") and fragment in err


@pytest.mark.parametrize(("content", "line"), [
    (b"name: x\ndescription: caf\xe9\n", 2),  # Latin-1
    (bytes(range(256)) * 4, 2),  # binary: the first newline is byte 10, the first non-UTF-8 byte 128
], ids=["latin-1", "binary"])
def test_a_file_that_is_not_utf8_is_one_line_with_its_line(capsys, tmp_path, content, line):
    path = tmp_path / "enc.yaml"
    path.write_bytes(content)
    err = one_line_exit_2(capsys, ["run", str(path), "--out", str(tmp_path / "o")])
    assert err.startswith(f"{path}:{line}: not UTF-8 text")


@pytest.mark.parametrize("text", ["name: [unclosed\n", "- a list\n", "", "name: x\n\x00\n"])
def test_a_corrupt_experiment_file_is_one_line(capsys, tmp_path, text):
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    err = one_line_exit_2(capsys, ["sweep", str(path), "--out", str(tmp_path / "o"), "--dry-run"])
    assert err.startswith(str(path))


def test_a_latin1_experiment_file_is_one_line(capsys, tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_bytes(b"name: d\xe9mo\n")
    assert one_line_exit_2(capsys, ["sweep", str(path), "--dry-run"]).startswith(f"{path}:1: not UTF-8")


# ------------------------------------------------------------------------------ 8: design ranges
@pytest.mark.parametrize(("spec", "fragment"), [
    ("[0.05, .inf]", "finite"), ("[.nan, 0.5]", "finite"), ("[0.5, 0.5]", "low < high"),
    ("[0.9, 0.1]", "low < high"), ("[0.1, 1.5]", "1.5 is not a value"), ("[true, 1]", "valid number"),
    ("[0.1, '0.9']", "valid number"),
])
def test_bad_design_ranges_are_file_line_errors(capsys, tmp_path, spec, fragment):
    exp = experiment(tmp_path, f"""
        design:
          method: lhs
          samples: 4
          parameters:
            agents.china.assertiveness: {spec}
        """)
    err = one_line_exit_2(capsys, ["sweep", str(exp), "--out", str(tmp_path / "o"), "--dry-run"])
    assert err.startswith(f"{exp}:7: design.parameters.agents.china.assertiveness") and fragment in err, err
    assert "list[float]" not in err and "Range" not in err


def test_levels_and_list_points_are_checked_against_the_scenario(tmp_path):
    exp = experiment(tmp_path, """
        design:
          method: list
          points:
            - {agents.china.assertiveness: 0.5}
            - {agents.china.assertiveness: .nan}
        """)
    with pytest.raises(ScenarioError) as info:
        load_experiment(exp)
    assert [where(p) for p in info.value.problems] == [(str(exp), 7, "design.points[1].agents.china.assertiveness")]
    assert "finite" in info.value.problems[0].message


# ------------------------------------------------------------------------------ 9: the finite guard
def test_require_finite_names_table_column_month_and_replicate():
    table = pd.DataFrame({"step": [1, 2, 1, 2], "date": ["2014-01", "2014-02"] * 2, "replicate": [0, 0, 1, 1],
                          "hedging_index": [0.1, 0.2, 0.3, np.inf], "label": ["a", "b", "c", "d"]})
    with pytest.raises(NonFiniteError) as info:
        require_finite(series=table)
    message = str(info.value)
    assert "series table holds inf in column 'hedging_index'" in message
    assert "date 2014-02, step 2, replicate 1" in message
    require_finite(series=table.iloc[:3])  # finite: no error


def test_run_refuses_to_write_a_series_with_nan(tmp_path):
    result = run_scenario(load_scenario(HISTORICAL), seed=1)
    result.series.loc[5, "trust_china"] = np.nan
    with pytest.raises(NonFiniteError, match="'trust_china'"):
        write_run(result, tmp_path / "run", plots=False)
    assert not (tmp_path / "run").exists()


def test_a_sweep_stops_before_storing_a_nan_outcome(tmp_path, monkeypatch):
    monkeypatch.setitem(REDUCERS, Reducer.MEAN, lambda x: np.full(x.shape[0], np.nan))
    short = tmp_path / "short.yaml"
    short.write_text(f"extends: {FLAREUP}\nmonths: 12\n")
    exp = experiment(tmp_path, "replicates: 2\noutcomes:\n  m: {series: hedging_index, reduce: mean}\n",
                     scenario=short)
    with ThreadPoolExecutor(1) as pool, pytest.raises(NonFiniteError, match="runs table holds nan in column 'm'"):
        sweep_module.run_sweep(exp, tmp_path / "out", executor=pool, progress=False)
    assert not list((tmp_path / "out").glob("runs/*.parquet"))


# ------------------------------------------------------------------------------ 16: the API
@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"replicates": 0}, "replicates must be between 1"), ({"replicates": -3}, "replicates must be between 1"),
    ({"replicates": 2.5}, "replicates must be a whole number"), ({"seed": 1.9}, "seed must be a whole number"),
    ({"seed": -1}, "seed must be between 0"), ({"seed": True}, "seed must be a whole number"),
    ({"seeds": []}, "seeds must be a non-empty list"), ({"seeds": [1, 2.5]}, "seeds[1] must be a whole number"),
    ({"seeds": [1] * 100_001}, "len(seeds) must be between 1 and 100,000"),
])
def test_model_arguments_are_checked(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        HedgingModel(HISTORICAL, **kwargs)
    assert fragment in str(info.value)


@pytest.mark.parametrize("command", ["run", "validate"])
def test_cli_replicates_are_capped_like_the_api(capsys, command):
    with pytest.raises(SystemExit) as info:
        main([command, "historical_2013_2024", "--replicates", "100001"])
    assert info.value.code == 2 and "100000" in capsys.readouterr().err


@pytest.mark.parametrize("months", [True, 2.5, -1])
def test_run_months_must_be_a_whole_number(months):
    with pytest.raises(ValueError, match="months must be"):
        HedgingModel(HISTORICAL, seed=1).run(months)


def test_evaluate_refuses_a_window_after_the_run_instead_of_nan():
    with pytest.raises(ScenarioError) as info:
        evaluate(HISTORICAL, seed=1, outcomes={"late": {"series": "hedging_index", "since": "2030-01"}})
    assert str(info.value) == "<outcomes>: late.since: 2030-01 is outside the run (2013-01 to 2024-12)"


# ------------------------------------------------------------------------------ 18: messages
@pytest.mark.parametrize(("body", "path", "valid"), [
    ("events:\n  - {date: 2014-05, kind: summit, actor: china, bogus: 1}\n", "events[0].bogus", "severity"),
    ("random_events:\n  summit: {monthly_rate: 0.1, bogus: 1}\n", "random_events.summit.bogus", "monthly_rate"),
])
def test_an_unknown_nested_scenario_key_lists_the_keys_valid_there(write_yaml, body, path, valid):
    problem = only_problem(write_yaml(f"extends: {HISTORICAL}\n{body}"))
    assert problem.path == path and valid in problem.message, problem
    assert "months" not in problem.message, "not the top-level keys"


@pytest.mark.parametrize(("body", "path", "valid"), [
    ("design:\n  method: grid\n  bogus: 1\n  parameters:\n    agents.china.assertiveness: {values: [0.5]}\n",
     "design.bogus", "parameters"),
    ("outcomes:\n  x: {series: hedging_index, bogus: 1}\n", "outcomes.x.bogus", "reduce"),
    ("design:\n  method: grid\n  parameters:\n    agents.china.assertiveness: {valuez: [0.5]}\n",
     "design.parameters.agents.china.assertiveness.valuez", "did you mean 'values'"),
])
def test_an_unknown_nested_experiment_key_lists_the_keys_valid_there(tmp_path, body, path, valid):
    exp = experiment(tmp_path, body)
    with pytest.raises(ScenarioError) as info:
        load_experiment(exp)
    problems = [p for p in info.value.problems if p.path == path]
    assert problems and valid in problems[0].message, info.value
    assert "replicates" not in problems[0].message, "not the top-level keys"


def test_pydantic_tags_never_reach_a_path(write_yaml):
    problem = only_problem(write_yaml(f"extends: {HISTORICAL}\nagents:\n  united_states: {{commitment: [0.5]}}\n"))
    assert problem.path == "agents.united_states.commitment"
    assert LINE_FORMAT.match(str(problem))
