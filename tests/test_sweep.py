"""Sweeps: designs, reducers, identical results whatever the executor, resume after kill -9,
clear errors for bad experiment files, and the analysis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calendar import Month
from sim.cli import main
from sim.scenario.loader import BUNDLED_DIR, ScenarioError
from sim.sweep import runner
from sim.sweep.analysis import noise_notes, sensitivity
from sim.sweep.design import DUMMY, _sample, build_design, salib_problem
from sim.sweep.experiment import Design, Method, Outcome, Reducer, load_experiment
from sim.sweep.outcomes import reduce_outcomes
from sim.sweep.runner import plan_chunks, plan_design, run_seed
from sim.sweep.store import ResultStore
from sim.sweep.sweep import run_sweep
from tests.conftest import poll

ROOT = Path(__file__).resolve().parents[1]
FLAREUP = BUNDLED_DIR / "south_china_sea_flareup.yaml"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def short_scenario(tmp_path: Path) -> Path:
    return write(tmp_path / "short.yaml", f"""
        name: short_flareup
        description: the flare-up cut to a year, for fast tests
        extends: {FLAREUP}
        months: 12
        """)


def experiment_file(tmp_path: Path, scenario: Path, body: str, name: str = "exp.yaml") -> Path:
    return write(tmp_path / name, f"name: tiny\nscenario: {scenario}\n" + textwrap.dedent(body))


TINY = """
    replicates: 3
    seed: 5
    design:
      method: grid
      samples: 2
      parameters:
        agents.china.assertiveness: [0.3, 0.9]
        rules.no_force.enabled: {values: [true, false]}
    outcomes:
      mean_hedging_index: {series: hedging_index, reduce: mean}
      crises: {series: crisis_count, reduce: last}
      force: {series: use_of_force, reduce: any}
    """


# ------------------------------------------------------------------------------------------ designs
def test_grid_is_the_full_factorial_with_typed_values(tmp_path, short_scenario):
    experiment, base = load_experiment(experiment_file(tmp_path, short_scenario, TINY))
    points = build_design(experiment, base).points
    assert len(points) == 4
    assert sorted(points["agents.china.assertiveness"].unique()) == [0.3, 0.9]
    assert points["rules.no_force.enabled"].dtype == bool
    assert len(points.drop_duplicates()) == 4


@pytest.mark.parametrize("method, samples, rows",
                         [("sobol", 8, 8 * (4 + 2)), ("morris", 5, 5 * (4 + 1)), ("lhs", 30, 30)])  # +1: the dummy
def test_sampled_designs_have_the_expected_size_and_stay_in_bounds(tmp_path, short_scenario, method,
                                                                     samples, rows):
    body = f"""
        design:
          method: {method}
          samples: {samples}
          parameters:
            agents.china.assertiveness: [0.2, 0.8]
            agents.united_states.commitment: [0.1, 0.9]
            agents.vietnam.actions_per_month: [1, 3]
        """
    experiment, base = load_experiment(experiment_file(tmp_path, short_scenario, body))
    design = build_design(experiment, base)
    points = design.points
    assert len(points) == rows
    assert points["agents.china.assertiveness"].between(0.2, 0.8).all()
    assert points["agents.vietnam.actions_per_month"].dtype == np.int64, "integer parameters are rounded"
    assert set(points["agents.vietnam.actions_per_month"]) <= {1, 2, 3}
    again = build_design(*load_experiment(experiment_file(tmp_path, short_scenario, body)))
    assert again.points.equals(points), "the design depends only on the experiment's seed"
    if method == "lhs":
        strata = np.floor((points["agents.china.assertiveness"] - 0.2) / 0.6 * rows).astype(int)
        assert sorted(strata) == list(range(rows)), "one sample per stratum (Latin hypercube)"


def test_a_list_design_and_a_design_free_monte_carlo(tmp_path, short_scenario):
    listed = """
        design:
          method: list
          points:
            - {agents.china.assertiveness: 0.4}
            - {agents.china.assertiveness: 0.6, agents.united_states.commitment: 0.9}
        """
    experiment, base = load_experiment(experiment_file(tmp_path, short_scenario, listed))
    points = build_design(experiment, base).points
    assert len(points) == 2 and list(points.columns) == ["agents.china.assertiveness",
                                                          "agents.united_states.commitment"]
    mc, base = load_experiment(experiment_file(tmp_path, short_scenario, "replicates: 4\n"))
    assert len(build_design(mc, base)) == 1
    assert "mean_hedging_index" in mc.outcomes, "no outcomes declared: the default set"


# ------------------------------------------------------------------------------------------ reducers
def test_reducers_and_windows():
    months = np.array([0.0, 2.0, 0.0, 4.0])  # Jan..Apr 2025
    values = np.stack([months, months * 10], axis=1)[:, :, None]  # (months, R=2, 1 column)
    start = Month(2025, 1)
    expect = {Reducer.MEAN: [1.5, 15], Reducer.MEDIAN: [1.0, 10], Reducer.MIN: [0, 0],
              Reducer.MAX: [4, 40], Reducer.FIRST: [0, 0], Reducer.LAST: [4, 40], Reducer.SUM: [6, 60],
              Reducer.STD: [np.std(months), np.std(months * 10)], Reducer.ANY: [1, 1],
              Reducer.SHARE: [0.5, 0.5]}
    for reducer, want in expect.items():
        got = reduce_outcomes(values, ["x"], start, {"o": Outcome(series="x", reduce=reducer)})["o"]
        np.testing.assert_allclose(got, want, err_msg=str(reducer))
    window = Outcome(series="x", reduce=Reducer.SUM, since=Month(2025, 2), until=Month(2025, 3))
    np.testing.assert_allclose(reduce_outcomes(values, ["x"], start, {"o": window})["o"], [2, 20])


@pytest.mark.parametrize("reducer", list(Reducer))
def test_an_outcome_does_not_hold_its_window_of_months_alive(reducer):
    """Each outcome owns its (R,) values: a view into its (R, months) window would keep the window
    in memory as long as the runs table (~1 KB a run per such outcome, in a worker's peak)."""
    values = np.arange(24.0).reshape(12, 2, 1)
    got = reduce_outcomes(values, ["x"], Month(2025, 1), {"o": Outcome(series="x", reduce=reducer)})["o"]
    assert got.base is None and got.shape == (2,)


def test_the_stored_series_are_a_row_per_run_and_month_in_run_order():
    """A block's (months, R, columns) values become rows run by run, month by month, with the
    kept columns in the order asked, and the run, step and date first."""
    class Recorded:
        def recorded_dates(self) -> list[str]:
            return ["2025-01", "2025-02", "2025-03"]

    values = np.arange(3 * 2 * 4, dtype=float).reshape(3, 2, 4)  # month m, run r, column c: 8m + 4r + c
    got = runner._series_rows(Recorded(), values, ["a", "b", "c", "d"], np.array([7, 9]), ("c", "a"))
    assert list(got.columns) == ["run", "step", "date", "c", "a"]
    assert got["run"].tolist() == [7, 7, 7, 9, 9, 9] and got["step"].tolist() == [1, 2, 3] * 2
    assert got["date"].tolist() == ["2025-01", "2025-02", "2025-03"] * 2
    assert got["c"].tolist() == [2.0, 10.0, 18.0, 6.0, 14.0, 22.0]
    assert got["a"].tolist() == [0.0, 8.0, 16.0, 4.0, 12.0, 20.0]


# ------------------------------------------------------------------------------------------ running
def test_serial_parallel_and_chunking_give_identical_tables(tmp_path, short_scenario):
    exp = experiment_file(tmp_path, short_scenario, TINY)
    serial = run_sweep(exp, tmp_path / "serial", workers=1, progress=False)
    pooled = run_sweep(exp, tmp_path / "pooled", workers=2, chunk_runs=2, progress=False)
    assert serial.complete and pooled.complete
    a, b = ResultStore(serial.out), ResultStore(pooled.out)
    assert len(a.runs()) == 12 and a.runs()["run"].tolist() == list(range(12))
    pd.testing.assert_frame_equal(a.runs(), b.runs())
    pd.testing.assert_frame_equal(a.series(), b.series())
    assert len(list((tmp_path / "pooled" / "runs").glob("part-*.parquet"))) == 6


def test_dask_executor_gives_the_same_table(tmp_path, short_scenario):
    distributed = pytest.importorskip("distributed")
    exp = experiment_file(tmp_path, short_scenario, TINY)
    serial = ResultStore(run_sweep(exp, tmp_path / "serial", workers=1, progress=False).out).runs()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert main(["sweep", str(exp), "--out", str(tmp_path / "dask"), "--scheduler",
                     cluster.scheduler_address, "--chunk-runs", "5", "--no-progress", "--no-analyze"]) == 0
    pd.testing.assert_frame_equal(serial, ResultStore(tmp_path / "dask").runs())


def test_each_run_is_the_plain_function_of_its_seed_and_point(tmp_path, short_scenario):
    exp = experiment_file(tmp_path, short_scenario, TINY)
    runs = ResultStore(run_sweep(exp, tmp_path / "out", progress=False).out).runs()
    row = runs.iloc[7]
    assert row["seed"] == run_seed(5, int(row["point"]), int(row["replicate"]))
    overrides = {"agents.china.assertiveness": float(row["agents.china.assertiveness"]),
                 "rules.no_force.enabled": bool(row["rules.no_force.enabled"])}
    experiment, _ = load_experiment(exp)
    got = sim.evaluate(short_scenario, seed=int(row["seed"]), outcomes=dict(experiment.outcomes),
                       **overrides)
    assert got == pytest.approx({k: row[k] for k in experiment.outcomes}, abs=0, rel=0)


def test_resume_after_kill_minus_9_finishes_every_run_exactly_once(tmp_path, short_scenario):
    body = TINY.replace("replicates: 3", "replicates: 15")  # 60 runs, one per chunk
    exp = experiment_file(tmp_path, short_scenario, body)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(exp), "--out", str(out), "--workers", "1",
           "--chunk-runs", "1", "--no-progress", "--no-analyze"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    poll(lambda: len(list((out / "runs").glob("part-*.parquet"))) >= 5, "five finished chunks")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(list((out / "runs").glob("part-*.parquet")))
    assert 5 <= partial < 60, "killed mid-sweep"
    assert main(["sweep", str(exp), "--out", str(out), "--no-progress", "--no-analyze"]) == 2, \
        "an existing results directory is not touched without --resume"
    assert main(["sweep", str(exp), "--out", str(out), "--resume", "--no-progress", "--no-analyze",
                 "--workers", "2"]) == 0
    resumed = ResultStore(out).runs()
    assert resumed["run"].tolist() == list(range(60)), "every run exactly once"
    full = ResultStore(run_sweep(exp, tmp_path / "full", progress=False).out)
    pd.testing.assert_frame_equal(resumed, full.runs())
    pd.testing.assert_frame_equal(ResultStore(out).series(), full.series())


def test_resume_refuses_a_changed_experiment(tmp_path, short_scenario, capsys):
    exp = experiment_file(tmp_path, short_scenario, TINY)
    run_sweep(exp, tmp_path / "out", progress=False)
    experiment_file(tmp_path, short_scenario, TINY.replace("seed: 5", "seed: 6"))
    assert main(["sweep", str(exp), "--out", str(tmp_path / "out"), "--resume", "--no-progress"]) == 2
    assert "different experiment" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("body, line, path, words", [
    ("replicats: 3\n", 3, "replicats", "did you mean 'replicates'"),
    ("design:\n  method: grid\n  samples: 2\n  parameters:\n    agents.china.assertivenes: [0.1, 0.5]\n",
     7, "design.parameters.agents.china.assertivenes", "did you mean 'agents.china.assertiveness'"),
    ("design:\n  method: sobol\n  samples: 100\n  parameters:\n    agents.china.assertiveness: [0.1, 0.5]\n",
     5, "design.samples", "power of 2"),
    ("design:\n  method: grid\n  samples: 3\n  parameters:\n    agents.china.assertiveness: [0.5, 1.5]\n",
     7, "design.parameters.agents.china.assertiveness", "less than or equal to 1"),
    ("outcomes:\n  x: {series: hedging_indx, reduce: mean}\n", 4, "outcomes.x.series",
     "did you mean 'hedging_index'"),
    ("outcomes:\n  x: {series: hedging_index, reduce: average}\n", 4, "outcomes.x.reduce", "mean"),
    ("design:\n  method: grid\n  samples: 2\n  parameters:\n    seed: [1, 5]\n", 7, "design.parameters.seed",
     "replicates"),
    ("replicates: -1\n", 3, "replicates", "greater than or equal to 1"),
])
def test_bad_experiment_files_name_file_line_and_path(tmp_path, short_scenario, capsys, body, line, path,
                                                      words):
    exp = experiment_file(tmp_path, short_scenario, body)
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{exp}:{line}: {path}: " in err, err
    assert words in err, err
    assert "Traceback" not in err
    assert not out.exists(), "nothing is written for a bad file"


def test_a_missing_scenario_or_experiment_file(tmp_path, capsys):
    exp = write(tmp_path / "exp.yaml", "name: x\nscenario: nowhere.yaml\n")
    assert main(["sweep", str(exp), "--no-progress"]) == 2
    assert f"{exp}:2: scenario: no scenario 'nowhere.yaml'" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "absent.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_evaluate_rejects_a_path_that_names_nothing():
    with pytest.raises(ScenarioError, match="agents.china.nonsense"):
        sim.evaluate("south_china_sea_flareup", seed=1, **{"agents.china.nonsense": 0.5})


# ------------------------------------------------------------------------------------------ analysis
def test_sobol_recovers_the_ishigami_ranking():
    """Ishigami (1990): S1 = 0.31, 0.44, 0; ST = 0.56, 0.44, 0.24 (Saltelli et al. 2008)."""
    bounds = {f"x{i}": [-np.pi, np.pi] for i in (1, 2, 3)}
    design = Design(method=Method.SOBOL, samples=1024, parameters=bounds)
    problem = salib_problem(design)
    x = _sample(design, problem, seed=3)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    table = sensitivity(Method.SOBOL, problem, x, pd.DataFrame({"y": y})).set_index("parameter")
    assert problem["names"][-1] == DUMMY and len(table) == 4  # the noise-floor dummy is analysed too
    assert table.loc[DUMMY, "ST"] == pytest.approx(0, abs=0.02)
    assert not table["below_noise_floor"].drop(DUMMY).any(), "x3 acts through interaction: ST 0.24"
    table = table.drop(DUMMY)
    assert list(table["S1"].sort_values(ascending=False).index) == ["x2", "x1", "x3"]
    assert list(table["ST"].sort_values(ascending=False).index) == ["x1", "x2", "x3"]
    assert table.loc["x3", "S1"] == pytest.approx(0, abs=0.05)
    assert (table["S1_conf"] > 0).all()


def test_morris_ranks_a_linear_toy_by_its_slopes():
    design = Design(method=Method.MORRIS, samples=30, parameters={p: [0, 1] for p in ("a", "b", "c")})
    problem = salib_problem(design)
    x = _sample(design, problem, seed=1)
    table = sensitivity(Method.MORRIS, problem, x, pd.DataFrame({"y": 5 * x[:, 0] + x[:, 1]}))
    mu = table.set_index("parameter")["mu_star"].drop(DUMMY)
    assert list(mu.sort_values(ascending=False).index) == ["a", "b", "c"]
    assert mu["a"] == pytest.approx(5) and mu["c"] == pytest.approx(0)
    below = table.set_index("parameter")["below_noise_floor"]
    assert below["c"] and not below["a"] and not below["b"], "c does nothing: no better than the dummy"
    assert noise_notes(table) == ["y: below the noise floor (0, the dummy parameter's index): c"]


def test_a_design_without_the_noise_floor_has_no_dummy():
    design = Design(method=Method.MORRIS, samples=4, noise_floor=False, parameters={"a": [0, 1]})
    assert salib_problem(design)["names"] == ["a"]


def test_sweep_then_analyze_writes_tables_and_figures(tmp_path, short_scenario):
    body = TINY + "plots: [heatmap, outcome_vs_parameter, ensemble_series]\n"
    exp = experiment_file(tmp_path, short_scenario, body)
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--no-progress"]) == 0
    meta = json.loads((out / "experiment.json").read_text())
    assert {"experiment_hash", "scenario_hash", "design", "hedgesim_version", "mesa_version"} <= set(meta)
    table = pd.read_csv(out / "analysis" / "outcomes_by_point.csv")
    assert len(table) == 4 and "mean_hedging_index_p95" in table
    for stem in ("heatmap", "outcome_vs_parameter", "ensemble_series"):
        for ext in ("png", "pdf"):
            assert (out / "analysis" / "plots" / f"{stem}.{ext}").stat().st_size > 5000
    assert main(["analyze", str(out)]) == 0, "analysis can be redone"


# ------------------------------------------------------------------------------------------ review cases
@pytest.mark.parametrize("body, line, path, words", [
    ("design:\n  method: list\n  points:\n    - {agents.china.assertiveness: high}\n", 6,
     "design.points[0].agents.china.assertiveness", "'high' is not a value agents.china.assertiveness takes"),
    ("design:\n  method: lhs\n  samples: 4\n  parameters:\n    rules.no_force.enabled: [0, 1]\n", 7,
     "design.parameters.rules.no_force.enabled", "{values: [true, false]}"),
    ("design:\n  method: grid\n  samples: 7\n  parameters:\n    agents.vietnam.actions_per_month: [1, 3]\n",
     5, "design.samples", "repeat design points"),
    ("design:\n  method: grid\n  samples: 1000\n  parameters:\n    agents.china.assertiveness: [0, 1]\n"
     "    agents.china.trust: [0, 1]\n    agents.china.tension: [0, 1]\n", 1, "", "more than 10,000,000 runs"),
    ("ensemble_series: [escalation]\nstore_series: [hedging_index]\n", 3, "ensemble_series[0]",
     "not in store_series"),
    ("outcomes:\n  x: {series: hedging_index, since: 2025-06, until: 2025-02}\n", 4, "outcomes.x", "after until"),
])
def test_review_cases_are_clear_errors(tmp_path, short_scenario, capsys, body, line, path, words):
    exp = experiment_file(tmp_path, short_scenario, body)
    assert main(["sweep", str(exp), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{exp}:{line}: {path}" in err and words in err, err
    assert not (tmp_path / "out").exists()


def test_a_list_point_leaving_a_parameter_out_runs_the_base_value(tmp_path):
    relaxed = BUNDLED_DIR / "four_nos_relaxed.yaml"
    body = "design:\n  method: list\n  points:\n    - {agents.china.assertiveness: 0.6}\n" \
           "    - {rules.no_force.enabled: true}\n"
    experiment, base = load_experiment(experiment_file(tmp_path, relaxed, body))
    points = build_design(experiment, base).points
    assert points["rules.no_force.enabled"].tolist() == [False, True], "four_nos_relaxed has it off"
    assert points["agents.china.assertiveness"].tolist() == [0.6, base.agents["china"].assertiveness]


def test_force_never_deletes_a_directory_that_is_not_a_sweep(tmp_path, short_scenario, capsys):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    exp = experiment_file(tmp_path, short_scenario, TINY)
    assert main(["sweep", str(exp), "--out", str(precious), "--force", "--no-progress"]) == 2
    assert (precious / "thesis.tex").read_text() == "years of work"
    assert "not written by hedgesim" in capsys.readouterr().err


def test_resume_refuses_a_changed_base_scenario_and_a_busy_directory(tmp_path, short_scenario, capsys):
    exp = experiment_file(tmp_path, short_scenario, TINY)
    out = run_sweep(exp, tmp_path / "out", progress=False).out
    store = ResultStore(out)
    with store.lock():
        assert main(["sweep", str(exp), "--out", str(out), "--resume", "--no-progress"]) == 2
        assert "another sweep" in capsys.readouterr().err
    short_scenario.write_text(short_scenario.read_text().replace("months: 12", "months: 11"))
    assert main(["sweep", str(exp), "--out", str(out), "--resume", "--no-progress"]) == 2
    assert "different version of the base scenario" in capsys.readouterr().err


def test_resume_refuses_results_of_another_results_version(tmp_path, short_scenario, capsys):
    """Results written before the random streams changed (no ``results_version``: version 1) are
    not mixed with new ones: the same seeds now give other numbers."""
    exp = experiment_file(tmp_path, short_scenario, TINY)
    out = run_sweep(exp, tmp_path / "out", progress=False).out
    meta = ResultStore(out).metadata()
    del meta["results_version"]
    ResultStore(out).write_metadata(meta)
    before = ResultStore(out).runs()
    assert main(["sweep", str(exp), "--out", str(out), "--resume", "--no-progress"]) == 2
    assert "another hedgesim results version (1, this one" in capsys.readouterr().err
    pd.testing.assert_frame_equal(ResultStore(out).runs(), before)


def test_analyze_before_any_chunk_finished_says_so(tmp_path, short_scenario, capsys):
    exp = experiment_file(tmp_path, short_scenario, TINY)
    out = run_sweep(exp, tmp_path / "out", progress=False).out
    for part in (out / "runs").glob("*.parquet"):
        part.unlink()
    assert main(["analyze", str(out)]) == 2
    assert "no finished runs" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ packing runs
SOBOL = """
    replicates: 2
    seed: 3
    design:
      method: sobol
      samples: 4
      parameters:
        agents.china.assertiveness: [0.2, 0.9]
        agents.united_states.commitment: [0.2, 0.9]
        rules.one_depend.threat_threshold: [0.5, 0.9]
    outcomes:
      mean_hedging_index: {series: hedging_index, reduce: mean}
      crises: {series: crisis_count, reduce: last}
    """


def _parts(out: Path) -> int:
    return len(list((out / "runs").glob("part-*.parquet")))


def test_runs_of_many_design_points_share_a_block_and_grouping_changes_nothing(tmp_path, short_scenario):
    """A Sobol' design of 24 points (3 parameters and the noise-floor dummy) x 2 replicates runs as
    ONE lockstep block of 48 runs; cut into blocks of 7 on a pool, or of 1, the tables are the same."""
    exp = experiment_file(tmp_path, short_scenario, SOBOL)
    packed = run_sweep(exp, tmp_path / "packed", workers=1, progress=False)
    assert packed.total == 48 and _parts(packed.out) == 1, "every run in one block"
    pooled = run_sweep(exp, tmp_path / "pooled", workers=2, chunk_runs=7, progress=False)
    assert _parts(pooled.out) == 7
    a, b = ResultStore(packed.out), ResultStore(pooled.out)
    pd.testing.assert_frame_equal(a.runs(), b.runs())
    pd.testing.assert_frame_equal(a.series(), b.series())
    table = a.runs()
    i = int(np.flatnonzero(table["seed"] < 2**63)[-1])  # sim.evaluate takes a root seed (int64)
    row, seed = table.iloc[i], int(table["seed"].iloc[i])  # (a row of floats would round the seed)
    assert row["point"] > 0
    params = ["agents.china.assertiveness", "agents.united_states.commitment", "rules.one_depend.threat_threshold"]
    experiment, _ = load_experiment(exp)
    alone = sim.evaluate(short_scenario, seed=seed, outcomes=dict(experiment.outcomes),
                         **{p: float(row[p]) for p in params})
    assert alone == pytest.approx({k: row[k] for k in experiment.outcomes}, abs=0, rel=0)


def test_structural_differences_go_to_separate_blocks(tmp_path, short_scenario):
    """TINY switches a rule: its 4 points make 2 structure groups, so 2 blocks."""
    experiment, base = load_experiment(experiment_file(tmp_path, short_scenario, TINY))
    plan = plan_design(experiment, base, build_design(experiment, base))
    assert plan.coefficients == ("agents.china.assertiveness",)
    assert len(plan.bases) == 2 and sorted(set(plan.group)) == [0, 1]
    assert {b.rules["no_force"].enabled for b in plan.bases} == {True, False}
    tasks = list(plan_chunks(experiment, plan, range(12), 1000))
    assert [t.runs for t in tasks] == [6, 6]
    for task in tasks:
        no_force = {bool(experiment_points(experiment, base).loc[p, "rules.no_force.enabled"])
                    for p in task.blocks[0].points}
        assert no_force == {task.scenarios[0].rules["no_force"].enabled}


def experiment_points(experiment, base):
    return build_design(experiment, base).points


def test_a_large_design_is_planned_as_arrays_not_scenarios(tmp_path, short_scenario):
    """A Sobol' design of 32,768 points (4,096 base samples, 5 parameters and the noise-floor dummy)
    becomes one base scenario and a (points, 5) table of values, not 32,768 Scenario objects."""
    body = SOBOL.replace("samples: 4", "samples: 4096").replace(
        "rules.one_depend.threat_threshold: [0.5, 0.9]",
        "rules.one_depend.threat_threshold: [0.5, 0.9]\n"
        "        agents.russia.reliability: [0.1, 0.9]\n        agents.vietnam.temperature: [0.05, 0.3]")
    experiment, base = load_experiment(experiment_file(tmp_path, short_scenario, body))
    plan = plan_design(experiment, base, build_design(experiment, base))
    assert plan.points == 32_768 and plan.values.shape == (32_768, 5)
    assert plan.bases == (base,)


def test_block_size_follows_the_cost_model_and_the_memory_budget():
    fixed_share = runner.BLOCK_FIXED_CPU_S / runner.SPEED_BLOCK / runner.RUN_CPU_S
    assert fixed_share <= runner.FIXED_SHARE < runner.BLOCK_FIXED_CPU_S / (runner.SPEED_BLOCK - 1) / runner.RUN_CPU_S
    assert runner.SPEED_BLOCK == 4_844
    assert runner.block_size(100_000, 144, 15, workers=2) == 5_000, "50,000 runs a worker: 10 equal blocks"
    assert runner.block_size(5_000, 144, 15, workers=1) == 5_000, "one block, not 4,844 and 156"
    assert runner.block_size(10_000, 144, 15, workers=1) == 5_000, "two equal blocks, not 4,844, 4,844 and 312"
    assert runner.BLOCK_MEMORY_BYTES // (144 * 8 + runner.RUN_STATE_BYTES) > 3 / 2 * runner.SPEED_BLOCK
    for runs in range(runner.SPEED_BLOCK, 20 * runner.SPEED_BLOCK, 97):
        size = runner.block_size(runs, 144, 1, workers=1)  # 1 series: the memory budget does not bind
        assert 2 / 3 * runner.SPEED_BLOCK <= size <= 3 / 2 * runner.SPEED_BLOCK, runs
        assert runs % size == 0 or runs % size >= size - -(-runs // size), "equal blocks, the last short by at most a run per block"
    assert runner.block_size(1_000, 144, 60, workers=2) == 500, "every worker gets work"
    assert runner.block_size(1_000, 144, 60, workers=1, own_pool=False) == 125, "Dask: 8 tasks"
    per_run = 144 * 60 * 8 + runner.RUN_STATE_BYTES  # every series recorded: the memory budget binds
    assert runner.BLOCK_MEMORY_BYTES // per_run == 4_297
    assert runner.block_size(100_000, 144, 60, workers=1) == 4_167, "24 equal blocks, each within the budget"
    assert runner.block_size(100_000, 600, 400, workers=1) <= runner.BLOCK_MEMORY_BYTES // (600 * 400 * 8 + runner.RUN_STATE_BYTES)
    # the stored series, returned as a table, count too: the default outcomes' 15, recorded and stored
    stored = 144 * (15 * 8 + 15 * 8 + runner.STORED_ROW_BYTES) + runner.RUN_STATE_BYTES
    assert runner.BLOCK_MEMORY_BYTES // stored == 5_641
    assert runner.block_size(100_000, 144, 15, workers=2, stored=15) == 5_000, "10 equal blocks a worker"
    assert runner.block_size(6_500, 144, 15, workers=1, stored=15) == 3_250, "5,641 fit: two equal blocks, not 5,641 and 859"


def test_a_task_that_cannot_be_pickled_fails_at_once_with_one_clear_error(short_scenario):
    """A pool used to wait forever on a task its feeder thread could not pickle."""
    from sim.scenario.loader import load_scenario

    block = runner.Block(np.array([0]), np.array([0]), np.array([1], dtype=np.uint64), np.zeros((1, 0)))
    task = runner.ChunkTask((block,), (load_scenario(short_scenario),), 1,
                            {"x": lambda values: values}, ())  # a lambda does not pickle
    pool = runner.local_executor(2)
    try:
        with pytest.raises(runner.TaskNotPicklableError, match=r"sweep task \(1 runs \(ids 0..0\)\) cannot"):
            runner.execute([task], pool, lambda *args: None)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------------------------------ morris_all
def test_morris_all_screens_every_calibrated_coefficient_of_the_replay():
    """experiments/morris_all.yaml is generated from the coefficient tables; it lists every
    `calibrated` coefficient over its declared range, and runs in shared lockstep blocks."""
    from sim.sweep import screening
    from sim.sweep.experiment import load_experiment as load

    text = screening.EXPERIMENT.read_text()
    expected = screening.experiment_yaml(sim.load_scenario(screening.SCENARIO))
    assert text == expected, "regenerate: python -m sim.sweep.screening experiment"
    experiment, base = load(screening.EXPERIMENT)
    wanted = screening.calibrated(base)
    assert len(wanted) > 200 and set(experiment.parameters) == set(wanted)
    assert experiment.design.method is Method.MORRIS
    assert experiment.runs <= 10_000, "a modest screen: minutes on one core"


def test_a_sweep_keeps_the_binding_report_only_where_an_outcome_or_stored_series_reads_it():
    from sim.sweep.experiment import Outcome

    index = {"index": Outcome(series="hedging_index")}
    assert not runner.needs_rule_report(index, ("hedging_index",))
    assert runner.needs_rule_report({**index, "nos": Outcome(series="four_nos_prevented", reduce="sum")}, ())
    assert runner.needs_rule_report(index, ("four_nos_removed",))


def test_a_sweep_records_only_the_series_its_outcomes_and_stores_read():
    from sim.sweep.experiment import Outcome

    outcomes = {"index": Outcome(series="hedging_index"), "peak": Outcome(series="escalation", reduce="max")}
    assert runner.series_read(outcomes, ("tension_china", "hedging_index")) == [
        "escalation", "hedging_index", "tension_china"]
