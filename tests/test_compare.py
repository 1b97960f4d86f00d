"""What-if against baseline: same seeds, paired differences with intervals, and the command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, with_overrides
from sim.cli import main
from sim.compare import compare, paired_differences
from sim.runner import run_scenario


def _short(name: str, months: int = 48, **overrides: float):
    scenario = load_scenario("historical_2013_2024")
    if overrides:
        scenario = with_overrides(scenario, overrides)
    return scenario.model_copy(update={"name": name, "months": months})


@pytest.fixture(scope="module")
def assertive():
    """The replay's first four years against a copy where China's assertiveness is at its ceiling."""
    return compare(_short("replay"), [_short("assertive_china", **{"agents.china.assertiveness": 1.0})],
                   replicates=24)


def test_a_more_assertive_china_raises_tension_and_the_interval_excludes_zero(assertive):
    row = assertive.differences.set_index("outcome").loc["mean_tension_china"]
    assert row["difference"] > 0
    assert row["ci_low"] > 0 and row["excludes_zero"]
    assert row["whatif_mean"] - row["baseline_mean"] == pytest.approx(row["difference"])
    over = assertive.over_time.query("column == 'tension_china'")
    assert over["difference"].mean() > 0, "the monthly paired difference agrees with the outcome"


def test_identical_scenarios_differ_by_exactly_nothing():
    result = compare(_short("a", months=18), [_short("b", months=18)], replicates=6)
    assert (result.differences["difference"] == 0).all()
    assert (result.differences["ci_low"] <= 0).all() and (result.differences["ci_high"] >= 0).all()
    assert not result.differences["excludes_zero"].any()
    assert (result.over_time["difference"] == 0).all()


def test_every_scenario_runs_on_the_same_seeds_and_replicate_r_is_its_seed_alone(assertive):
    by_scenario = assertive.outcomes.groupby("scenario")["seed"].apply(list)
    assert by_scenario["replay"] == by_scenario["assertive_china"] == assertive.seeds
    alone = run_scenario(_short("replay"), seed=assertive.seeds[3]).series
    mine = assertive.series.query("scenario == 'replay' and replicate == 3")
    np.testing.assert_array_equal(mine["tension_china"].to_numpy(), alone["tension_china"].to_numpy())


def test_the_interval_is_a_seeded_bootstrap_of_paired_runs():
    rng = np.random.default_rng(0)
    base = rng.normal(0, 1, 40)
    runs = pd.DataFrame({"scenario": ["base"] * 40 + ["up"] * 40, "replicate": list(range(40)) * 2,
                         "y": np.r_[base, base + 0.5 + rng.normal(0, 0.05, 40)]})
    first = paired_differences(runs, ["base", "up"], ["y"])
    again = paired_differences(runs, ["base", "up"], ["y"])
    pd.testing.assert_frame_equal(first, again)
    row = first.iloc[0]
    # Pairing removes the large run-to-run spread: the interval is narrow around 0.5.
    assert 0.45 < row["ci_low"] < 0.5 < row["ci_high"] < 0.55


def test_scenarios_without_a_common_month_are_refused_before_running():
    late = _short("late").model_copy(update={"start": load_scenario("us_retrenchment").start})
    with pytest.raises(ValueError, match="share no month"):
        compare(_short("early", months=12), [late], replicates=2)


def test_the_command_writes_tidy_tables_and_the_figure_and_never_replaces_without_force(tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["compare", "south_china_sea_flareup", "china_charm_offensive", "--replicates", "3",
            "--out", str(out), "--figure-format", "png,pdf", "--dpi", "60"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "china_charm_offensive against south_china_sea_flareup" in printed and "excludes 0" in printed
    series = pd.read_csv(out / "series.csv")
    assert list(series.columns[:5]) == ["scenario", "replicate", "seed", "step", "date"]
    assert set(series["scenario"]) == {"south_china_sea_flareup", "china_charm_offensive"}
    diffs = pd.read_csv(out / "differences.csv")
    assert {"difference", "ci_low", "ci_high", "excludes_zero"} <= set(diffs.columns)
    assert len(pd.read_csv(out / "outcomes.csv")) == 6
    assert {"scenario", "column", "date"} <= set(pd.read_csv(out / "differences_over_time.csv").columns)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["baseline"] == "south_china_sea_flareup" and meta["replicates"] == 3
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["compare.pdf", "compare.png"]

    before = (out / "series.csv").read_bytes()
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "series.csv").read_bytes() == before

    (out / "my_notes.txt").write_text("mine")  # --force replaces only what hedgesim wrote
    assert main([*args, "--force"]) == 2
    assert (out / "my_notes.txt").read_text() == "mine" and (out / "series.csv").read_bytes() == before
    (out / "my_notes.txt").unlink()
    assert main([*args, "--force", "--figure-format", "svg"]) == 0
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["compare.svg"]


@pytest.mark.parametrize("args, words", [
    (["compare", "no_such_scenario", "us_retrenchment"], "no_such_scenario"),
    (["compare", "south_china_sea_flareup", "us_retrenchment", "--series", "nonsense"], "nonsense"),
])
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, capsys, args, words):
    assert main([*args, "--out", str(tmp_path / "x"), "--replicates", "2"]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_column_constant_in_every_run_is_named_not_drawn_flat(assertive):
    """Russia's tier never moves in four years of the replay: its panel would be a flat line at 3 and
    a difference of exactly 0; the figure names it in the subtitle and draws the rest."""
    series = assertive.series
    assert series["tier_russia"].nunique() == 1 and series["tension_china"].nunique() > 1
    from sim.plots import comparison
    fig = comparison(series, assertive.over_time, assertive.events, assertive.names,
                     ["tension_china", "tier_russia"], title="t", subtitle="s")
    titles = [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center")]
    drawn = [t for t in titles if t.endswith("5-95% of runs")]
    assert len(drawn) == 1 and drawn[0].startswith("Tension with China")
    assert "not drawn, the same in every run: Russia tier" in " ".join(t.get_text() for t in fig.texts)
