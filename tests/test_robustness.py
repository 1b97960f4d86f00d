"""Robustness of the validation patterns (sim.robustness): the per-point statistics and the
knife-edge verdicts on small hand-made inputs, a tiny end-to-end run (files, same seed same
numbers), bad input, and the committed docs against the committed run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.robustness import (
    DOC,
    Kind,
    Measured,
    Verdict,
    classify,
    driver,
    evaluate,
    holds_by_quartile,
    main,
    on_side,
    paired_difference,
    pooled_assurance,
    report,
    select,
    statistics,
)
from sim.sweep.design import DUMMY
from sim.validation import AS_SET, CONTRASTS, Status, concession_share, median_crisis_length

HISTORICAL = load_scenario("historical_2013_2024")
COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "robustness" / "historical_2013_2024"


@pytest.fixture(scope="module")
def stats():
    return {s.key: s for s in statistics(HISTORICAL)}


# ------------------------------------------------------------------------------ the verdicts
@pytest.mark.parametrize("at_defaults, noise, box, verdict", [
    (None, 1.0, 1.0, Verdict.REPORTED),
    (False, 1.0, 1.0, Verdict.FAILS),  # failing at the defaults is not a knife edge: it is a failure
    (True, 0.5, 1.0, Verdict.NOISE_EDGE),  # flips between groups of runs at the very same point
    (True, 1.0, 0.6, Verdict.KNIFE_EDGE),  # steady at the defaults, fails at 40 % of the box
    (True, 1.0, 0.75, Verdict.ROBUST),  # fails at exactly a quarter: not yet a knife edge
    (True, 0.9, 0.9, Verdict.ROBUST),
])
def test_knife_edge_classification(at_defaults, noise, box, verdict):
    assert classify(at_defaults, noise, box) is verdict


def test_a_contrast_at_a_point_is_the_mean_paired_difference_on_the_expected_side():
    control, treated = np.array([1.0, 2.0, np.nan]), np.array([2.0, 4.0, 5.0])
    assert paired_difference(control, treated) == pytest.approx(1.5)  # the unpaired run is left out
    assert on_side(1.5, +1) is True and on_side(1.5, -1) is False
    assert on_side(0.0, +1) is False and on_side(np.nan, +1) is None


def test_assurance_pools_every_upgrade_of_every_run():
    # three runs: one eligible upgrade (+1), none, two (+1, +2): pooled (1 + 3) / 3, not the mean of runs
    assert pooled_assurance(np.array([1.0, 0.0, 3.0]), np.array([1.0, 0.0, 2.0])) == pytest.approx(4 / 3)
    assert np.isnan(pooled_assurance(np.zeros(2), np.zeros(2)))


def _crisis_run(flags: list[int]) -> pd.DataFrame:
    """Crises that China ends as the month the flag drops opens (its withdrawal)."""
    steps = np.diff(np.r_[0, flags])
    return pd.DataFrame({"crisis": flags, "crisis_count": np.cumsum(steps == 1),
                         "ended_by_china": (steps == -1).astype(int), "ended_by_vietnam": 0})


def test_crisis_length_at_a_point_uses_the_report_measure_and_rule(stats):
    s = stats["o1_median_crisis_length"]
    # crises of 2 and 1 months of presence: China withdraws as the month after the last opens
    assert median_crisis_length(_crisis_run([0, 1, 1, 0, 1, 0])) == 1.5
    column = s.inputs[0].column
    short = pd.DataFrame({column: [1.0, 2.0, 2.0]})  # the observed 1.5 inside the runs' 5-95 %
    long = pd.DataFrame({column: [2.0, 2.0, 3.0, np.nan]})  # every run's median above it
    values, holds = evaluate(short, [s])
    assert values[s.key] == pytest.approx(5 / 3) and holds[s.key] == 1.0
    values, holds = evaluate(long, [s])
    assert values[s.key] == pytest.approx(7 / 3) and holds[s.key] == 0.0


def test_the_concession_share_at_a_point_holds_when_the_observed_share_is_inside_the_runs(stats):
    s = stats["o1_share_of_crises_vietnam_ended_by_conceding"]  # observed 2 of 6 crises
    run = pd.DataFrame({"ended_by_vietnam": [0, 1, 0, 0], "ended_by_china": [1, 0, 0, 2]})
    assert concession_share(run) == pytest.approx(1 / 4)
    assert np.isnan(concession_share(pd.DataFrame({"ended_by_vietnam": [0], "ended_by_china": [0]})))
    column = s.inputs[0].column
    assert evaluate(pd.DataFrame({column: [0.0, 0.5, np.nan]}), [s])[1][s.key] == 1.0
    assert evaluate(pd.DataFrame({column: [0.5, 0.75, 1.0]}), [s])[1][s.key] == 0.0  # Vietnam concedes too much


def test_a_pattern_at_a_point_is_its_mean_over_runs_against_its_expectation(stats):
    s = stats["p1_longest_crisis_months"]  # expected <= 6 months
    column = s.inputs[0].column
    assert evaluate(pd.DataFrame({column: [4.0, 8.0]}), [s]) == ({s.key: 6.0}, {s.key: 1.0})
    assert evaluate(pd.DataFrame({column: [5.0, 8.0]}), [s]) == ({s.key: 6.5}, {s.key: 0.0})


def test_every_contrast_is_measured_on_its_control_and_treated_variants(stats):
    for c in CONTRASTS:
        s = next(s for s in stats.values() if s.label == c.name)
        assert s.kind is Kind.CONTRAST and [m.variant for m in s.inputs] == [c.control, c.treated]
        column_c, column_t = (m.column for m in s.inputs)
        wrong_way = pd.DataFrame({column_c: [1.0, 1.0], column_t: [1.0 - c.sign, 1.0 - c.sign]})
        assert evaluate(wrong_way, [s])[1][s.key] == 0.0
        right_way = pd.DataFrame({column_c: [1.0, 1.0], column_t: [1.0 + c.sign, 1.0]})
        assert evaluate(right_way, [s])[1][s.key] == 1.0


def test_the_statistics_are_the_reports_tests_and_upgrade_shares(stats):
    kinds = {s.kind for s in stats.values()}
    assert kinds == {Kind.PATTERN, Kind.CONTRAST, Kind.OBSERVED, Kind.REPORTED}
    labels = {s.label for s in stats.values()}
    assert "months China's tier is below another's" not in labels  # true by construction: nothing to vary
    assert "Four-Nos violations per run" not in labels  # by construction while the Four Nos are on
    assert sum(s.kind is Kind.CONTRAST for s in stats.values()) == len(CONTRASTS) + 1  # and assurance
    assert all(m.per_run is not None for s in stats.values() for m in s.inputs)
    assert Status.TEST  # the statistics follow the report's statuses (sim.validation)


def test_the_coefficient_that_flips_a_test_and_its_direction():
    points = pd.DataFrame({"a": np.arange(8.0), "b": [3.0, 1, 4, 1, 5, 9, 2, 6], DUMMY: np.linspace(0, 1, 8)})
    holds = pd.Series([1.0, 1, 1, 1, 0, 0, 0, 0])  # fails exactly where a is high
    by_bin = holds_by_quartile(points, holds)
    assert list(by_bin["a"]) == [1.0, 1.0, 0.0, 0.0]
    assert driver(by_bin) == ("a", 1.0, 0.0)
    dummy_only = holds_by_quartile(points[[DUMMY]], holds)
    assert driver(dummy_only)[0] == ""  # the dummy is the noise's reference, never a cause
    assert driver(holds_by_quartile(points, pd.Series(np.ones(8))))[0] == ""  # nothing flips it


def test_the_screening_keeps_the_strongest_above_the_floor_per_statistic():
    rows = [("x", "a", 5.0), ("x", "b", 3.0), ("x", "c", 0.5), ("x", DUMMY, 1.0),
            ("y", "c", 4.0), ("y", "a", 0.2), ("y", DUMMY, 1.0)]
    morris = pd.DataFrame(rows, columns=["outcome", "parameter", "mu_star"])
    morris["noise_floor"] = 1.0
    morris["below_noise_floor"] = (morris["mu_star"] <= 1.0) & (morris["parameter"] != DUMMY)
    assert select(morris, top=1, cap=12) == ["a", "c"]  # x's best and y's best
    assert select(morris, top=2, cap=12) == ["a", "c", "b"]
    assert select(morris, top=2, cap=2) == ["a", "c"]
    assert DUMMY not in select(morris, top=5, cap=12)


def test_a_measured_column_names_its_variant():
    assert Measured(AS_SET, "x", median_crisis_length).column == "as set | x"
    assert str(CONTRASTS[0].control) == "rules.refuse_security_sensitive.enabled = False"


# ------------------------------------------------------------------------------ end to end
TINY = ["--parameter", "agents.china.assertiveness", "--parameter", "dynamics.threat_decay",
        "--trajectories", "2", "--morris-replicates", "2", "--samples", "4", "--replicates", "2",
        "--default-groups", "2", "--statistic", "p1_longest_crisis_months",
        "--statistic", "o1_median_crisis_length"]
FILES = ["meta.json", "statistics.csv", "morris_indices.parquet", "morris_points.parquet", "sobol_points.csv",
         "sobol_indices.csv", "defaults.csv", "knife_edge.csv", "holds_by_quartile.csv",
         "plots/robustness_indices.png", "plots/robustness_holds.png"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("robust")
    for name in ("one", "two"):
        assert main(["run", str(root / name), *TINY]) == 0
    return root / "one", root / "two"


def test_a_tiny_run_writes_its_files_and_the_same_seed_gives_the_same_numbers(tiny):
    one, two = tiny
    for name in FILES:
        assert (one / name).is_file(), name
    meta = json.loads((one / "meta.json").read_text())
    # one variant; Morris: 2 trajectories of k + 1 = 4 points (2 coefficients, the dummy); Sobol': N (k + 2)
    assert meta["runs"] == {"morris": 2 * 4 * 2, "sobol": 4 * 5 * 2, "defaults": 2 * 2}
    for name in ("sobol_points.csv", "sobol_indices.csv", "knife_edge.csv", "defaults.csv"):
        assert (one / name).read_text() == (two / name).read_text(), name
    verdicts = pd.read_csv(one / "knife_edge.csv")
    assert list(verdicts["statistic"]) == ["p1_longest_crisis_months", "o1_median_crisis_length"]
    assert set(verdicts["verdict"]) <= {v.value for v in Verdict}
    points = pd.read_csv(one / "sobol_points.csv")
    assert points["agents.china.assertiveness"].between(*_range("agents.china.assertiveness")).all()


def _range(path: str) -> tuple[float, float]:
    from sim.sweep.screening import calibrated
    return calibrated(HISTORICAL)[path]


def test_the_report_is_written_from_the_run_and_refuses_to_overwrite_a_users_file(tiny, tmp_path, capsys):
    doc = tmp_path / "robustness.md"
    assert main(["report", str(tiny[0]), "--doc", str(doc)]) == 0
    text = doc.read_text()
    assert "## Verdicts" in text and "longest crisis (months)" in text and "plots/robustness_holds.png" in text
    assert main(["report", str(tiny[0]), "--doc", str(doc)]) == 0  # its own report: replaced
    mine = tmp_path / "notes.md"
    mine.write_text("my notes\n")
    assert main(["report", str(tiny[0]), "--doc", str(mine)]) == 2
    assert mine.read_text() == "my notes\n"
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, words", [
    (["report", "{tmp}/nowhere"], "no robustness run here"),
    (["run", "{tmp}/out", "--statistic", "p99_no_such"], "unknown pattern statistic 'p99_no_such'"),
    (["run", "{tmp}/out", "--parameter", "agents.china.no_such"], "not a calibrated coefficient"),
    (["run", "{tmp}/out", "--samples", "3"], "power of 2"),
])
def test_bad_input_is_one_line_and_exit_2_and_nothing_written(argv, words, tmp_path, capsys):
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]
    assert not (tmp_path / "out").exists()


def test_an_existing_output_is_refused_before_any_run(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    assert main(["run", str(tmp_path / "out"), *TINY]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "out" / "mine.txt").read_text() == "keep"


# ------------------------------------------------------------------------------ the committed run
def test_the_committed_docs_are_generated_from_the_committed_run():
    """docs/robustness.md is what `python -m sim.robustness report docs/robustness/historical_2013_2024`
    writes: regenerate it, never edit it."""
    assert DOC.read_text() == report(COMMITTED, DOC)


def test_the_committed_run_is_the_full_analysis():
    meta = json.loads((COMMITTED / "meta.json").read_text())
    assert meta["coefficients_screened"] > 100 and not meta["settings"]["parameters"]
    assert not meta["settings"]["statistics"] and meta["command"].startswith("python -m sim.robustness run")
    verdicts = pd.read_csv(COMMITTED / "knife_edge.csv")
    current = {s.key for s in statistics(HISTORICAL)}
    assert set(verdicts["statistic"]) <= current
    # a test added to the validation report after the committed run is named in docs/robustness.md
    for s in statistics(HISTORICAL):
        if s.key not in set(verdicts["statistic"]):
            assert s.label in DOC.read_text(), s.label
