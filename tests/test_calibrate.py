"""Calibration by ABC-SMC (pyabc): statistics of runs and of the observed table, the lockstep
sampler (same posterior for any batch size and after a resume), and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.bundled import SCENARIOS_DIR
from sim.calendar import Month
from sim.calibrate import (
    CALIBRATED,
    Statistic,
    Window,
    calibrate,
    calibrated_name,
    calibrated_scenario,
    densest_particle,
    effective_sample_size,
    load_calibration,
    observed,
    simulated,
)
from sim.cli import main
from sim.scenario.loader import ScenarioError, load_scenario, scenario_value

HISTORICAL = load_scenario("historical_2013_2024")
FIT = Window("2013-01", "2019-12")


# ------------------------------------------------------------------------------ observed statistics
def test_observed_statistics_come_from_the_table():
    """HD-981 (3 months), the two Repsol halts (1 each) and Haiyang Dizhi 8 (4) in 2013-2019."""
    assert observed(Statistic.CRISES, FIT, HISTORICAL) == 4
    assert observed(Statistic.CRISIS_LENGTH, FIT, HISTORICAL) == pytest.approx((3 + 1 + 1 + 4) / 4)
    assert observed(Statistic.RUSSIA_ARMS_SHARE, FIT, HISTORICAL) == pytest.approx(0.75)  # SIPRI 0.6-0.9
    assert observed(Statistic.FORCE_MONTHS, FIT, HISTORICAL) == 0
    assert observed(Statistic.CONCESSIONS, FIT, HISTORICAL) == 2  # Vietnam halted Repsol twice
    assert observed(Statistic.CONCESSIONS, Window("2020-01", "2024-12"), HISTORICAL) == 0


def test_an_upgrade_counts_only_above_the_partners_starting_tier():
    """The US rises from tier 0 in Jul 2013; Japan's 2014 'extensive' partnership stays in tier 2."""
    partners = {a for a in HISTORICAL.agents if a not in ("vietnam", "china")}
    expected = {"united_states": 1, "india": 1}  # India (2016) counts only where the scenario has it
    assert observed(Statistic.PARTNER_UPGRADES, FIT, HISTORICAL) == sum(
        n for actor, n in expected.items() if actor in partners)


def test_no_observed_arms_share_for_years_the_range_does_not_cover():
    with pytest.raises(ValueError, match="no Russian arms share"):
        observed(Statistic.RUSSIA_ARMS_SHARE, Window("2020-01", "2024-12"), HISTORICAL)


# ------------------------------------------------------------------------------ simulated statistics
def _run(crisis: list[int], tier_us: list[int], conceded: list[int] | None = None) -> pd.DataFrame:
    n = len(crisis)
    dates = [str(Month(2013, 1).plus(i)) for i in range(n)]
    opened = np.cumsum(np.diff(np.r_[0, crisis]) == 1)
    conceded = conceded or [0] * n
    dropped = (np.diff(np.r_[0, crisis]) == -1).astype(int)  # China stepped down that month
    return pd.DataFrame({"date": dates, "crisis": crisis, "crisis_count": opened, "tier_china": 3,
                         "tier_united_states": tier_us, "russia_arms_share": 0.5, "use_of_force": 0,
                         "ended_by_vietnam": conceded,
                         "ended_by_china": np.where(np.array(conceded) > 0, 0, dropped)})


def test_simulated_crises_lengths_and_upgrades_inside_the_window():
    run = _run(crisis=[1, 0, 1, 1, 0, 0, 1, 1, 1, 0], tier_us=[0, 0, 1, 1, 1, 2, 2, 2, 2, 2])
    window = Window("2013-02", "2013-09")  # leaves out the first crisis month and nothing else
    assert simulated(Statistic.CRISES, run, window) == 2
    # inside: Mar-Apr (China withdrew as May opened) and Jul-Sep (still open at the window's end),
    # each counted first to last month of presence; the first crisis (Jan, withdrawn as Feb opened)
    # left no month inside
    assert simulated(Statistic.CRISIS_LENGTH, run, window) == pytest.approx((2 + 3) / 2)
    # a window that opens on a crisis's first month counts that crisis from there
    assert simulated(Statistic.CRISIS_LENGTH, run, Window("2013-03", "2013-09")) == pytest.approx((2 + 3) / 2)
    assert simulated(Statistic.PARTNER_UPGRADES, run, window) == 2
    assert simulated(Statistic.PARTNER_UPGRADES, run, Window("2013-04", "2013-09")) == 1


def test_simulated_concessions_count_vietnam_s_endings_inside_the_window():
    run = _run(crisis=[1, 0, 1, 1, 0, 0, 1, 1, 1, 0], tier_us=[0] * 10,
               conceded=[0, 1, 0, 0, 1, 0, 0, 0, 0, 1])
    assert simulated(Statistic.CONCESSIONS, run, Window("2013-02", "2013-09")) == 2
    assert simulated(Statistic.CONCESSIONS, run, Window("2013-03", "2013-04")) == 0
    labelled = run.assign(scenario="historical")  # a text column is not read
    assert simulated(Statistic.CONCESSIONS, labelled, Window("2013-02", "2013-09")) == 2
    with pytest.raises(ValueError, match="no month of the run lies in 2014-01..2014-06"):
        simulated(Statistic.CONCESSIONS, run, Window("2014-01", "2014-06"))


def _reference(stat: Statistic, run: pd.DataFrame, window: Window) -> float:
    """The per-run pandas code the block's statistics replaced, kept as their reference."""
    from sim.validation import crisis_lengths

    def before(column: str) -> float:
        earlier = run.loc[run["date"] < window.first, column]
        return float(earlier.iloc[-1]) if len(earlier) else 0.0

    inside = run[(run["date"] >= window.first) & (run["date"] <= window.last)]
    if stat is Statistic.CRISES:
        return float(inside["crisis_count"].diff().clip(lower=0).fillna(0).sum()
                     + (inside["crisis_count"].iloc[0] - before("crisis_count")))
    if stat is Statistic.CRISIS_LENGTH:
        lengths = crisis_lengths(inside, before("crisis_count"))
        return float(np.mean(lengths)) if len(lengths) else 0.0
    if stat is Statistic.CONCESSIONS:
        return float(inside["ended_by_vietnam"].sum())
    if stat is Statistic.PARTNER_UPGRADES:
        tiers = inside[[c for c in run.columns if c.startswith("tier_") and c != "tier_china"]]
        start = run.loc[run["date"] < window.first, tiers.columns]
        previous = start.iloc[-1] if len(start) else tiers.iloc[0]
        steps = pd.concat([previous.to_frame().T, tiers]).diff().iloc[1:]
        return float((steps > 0).to_numpy().sum())
    if stat is Statistic.RUSSIA_ARMS_SHARE:
        return float(inside["russia_arms_share"].mean())
    return float((inside["use_of_force"] > 0).sum())


@pytest.mark.parametrize("window", [Window("2013-01", "2019-12"), Window("2016-05", "2024-12"),
                                    Window("2020-03", "2020-03")])
def test_a_block_s_statistics_equal_each_run_s_own_bit_for_bit(window):
    """The calibration computes every run's statistics at once from the block's arrays; each equals,
    bit for bit, the per-run pandas computation it replaced, over windows at the start, to the end
    and of one month."""
    from sim import HedgingModel
    from sim.calibrate import model_statistics

    model = HedgingModel("historical_2013_2024", seed=11, replicates=12, record_actions=False,
                         varying={"agents.china.assertiveness": np.linspace(0.3, 1.0, 12)}).run()
    got = model_statistics(model, window, list(Statistic))
    runs = [run.reset_index(drop=True) for _, run in model.series().groupby("replicate")]
    for stat in Statistic:
        expected = [_reference(stat, run, window) for run in runs]
        assert got[stat].tolist() == expected, stat
    assert got[Statistic.RUSSIA_ARMS_SHARE].min() > 0
    if window.first != window.last:  # years of a run: something happens to compare
        assert got[Statistic.CRISES].max() > 0 and got[Statistic.PARTNER_UPGRADES].max() > 0


# ------------------------------------------------------------------------------ the sampler
@pytest.fixture(scope="module")
def tiny():
    spec, base = load_calibration("abc_2013_2019")
    return spec.model_copy(update={"population": 10, "generations": 2, "fit_until": Month(2014, 12),
                                   "predictive_draws": 10}), base


def _posterior(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "posterior.parquet")


def test_the_posterior_does_not_depend_on_the_batch_size_or_a_resume(tiny, tmp_path):
    """Proposals are drawn in order and simulation i of generation t has its own seed, so running
    3 proposals per lockstep block, or 40 and stopping after one generation and resuming, changes
    nothing."""
    spec, base = tiny
    quiet = {"progress": lambda _: None}
    calibrate(spec.model_copy(update={"batch": 3}), base, tmp_path / "small", **quiet)
    calibrate(spec.model_copy(update={"batch": 40, "generations": 1}), base, tmp_path / "resumed", **quiet)
    calibrate(spec.model_copy(update={"batch": 40}), base, tmp_path / "resumed", resume=True, **quiet)
    small = _posterior(tmp_path / "small")
    assert len(small) == spec.population and small["weight"].sum() == pytest.approx(1)
    pd.testing.assert_frame_equal(small, _posterior(tmp_path / "resumed"))
    for path, prior in spec.parameters.items():  # every particle inside its prior
        low = prior.low if prior.low is not None else 0.0
        assert (small[path] >= low).all()
    meta = json.loads((tmp_path / "small" / "meta.json").read_text())
    assert meta["generations"] == 2 and meta["observed"]["crises"] == 1  # HD-981 is 2014's only crisis
    table = pd.read_csv(tmp_path / "small" / "out_of_sample.csv")
    assert {"fact", "observed", "median", "p05", "p95", "inside"} <= set(table.columns)
    assert (tmp_path / "small" / "plots" / "posterior.png").is_file()
    calibrated = load_scenario(tmp_path / "small" / CALIBRATED)  # the calibrated model, runnable
    margins = pd.read_csv(tmp_path / "small" / "marginals.csv").set_index("parameter")
    posterior_table = _posterior(tmp_path / "small")
    for path in spec.parameters:  # one particle of the posterior, not a mix of marginals
        assert scenario_value(calibrated, path) == pytest.approx(margins.loc[path, "point"], rel=1e-3)
    assert np.isclose(posterior_table[list(spec.parameters)].to_numpy(),
                      margins.loc[list(spec.parameters), "point"].to_numpy(), rtol=1e-3).all(axis=1).any()


# ------------------------------------------------------------------------------ the calibrated model
COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "calibration" / "abc_2013_2019"


def test_the_bundled_calibrated_scenario_is_generated_from_the_committed_calibration():
    """sim/bundled/scenarios/historical_2013_2024_calibrated.yaml is what ``python -m sim.calibrate``
    writes from docs/calibration/abc_2013_2019: regenerate it there, never edit it."""
    bundled = SCENARIOS_DIR / f"{calibrated_name('historical_2013_2024')}.yaml"
    assert bundled.read_text() == calibrated_scenario(COMMITTED)


def test_the_calibrated_scenario_moves_exactly_the_estimated_coefficients_to_the_posterior_point():
    calibrated = load_scenario(calibrated_name("historical_2013_2024"))
    margins = pd.read_csv(COMMITTED / "marginals.csv").set_index("parameter")
    for path in margins.index:
        assert scenario_value(calibrated, path) == pytest.approx(margins.loc[path, "point"], rel=1e-3)
        assert scenario_value(calibrated, path) != scenario_value(HISTORICAL, path)
    assert calibrated.events == HISTORICAL.events and calibrated.months == HISTORICAL.months


# ------------------------------------------------------------------------------ bad input
def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cal.yaml"
    path.write_text("name: t\nscenario: historical_2013_2024\nfit_until: 2015-12\n"
                    "statistics: [crises]\n" + body)
    return path


@pytest.mark.parametrize("body, line, words", [
    ("parameters:\n  agents.china.utility.no_such: {}\n", 6, "not a coefficient"),
    ("parameters:\n  agents.china.ladder.risk: {low: 0.5, high: 2}\n", 6, "outside the coefficient's range"),
    ("parameters:\n  agents.china.ladder.risk: {low: 0.5, high: 0.2}\n", 6, "must be below"),
    ("parameters:\n  agents.china.ladder.risk: {}\npopulation: 0\n", 7, "greater than or equal to 10"),
    ("parameters:\n  agents.china.ladder.risk: {}\nsurprise: 1\n", 7, "unknown key"),
])
def test_a_bad_calibration_file_is_one_line_naming_file_and_line(tmp_path, capsys, body, line, words):
    path = _file(tmp_path, body)
    with pytest.raises(ScenarioError):
        load_calibration(path)
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{path}:{line}:") and words in err[0]
    assert not (tmp_path / "out").exists()


def test_fit_until_must_leave_months_to_hold_out(tmp_path):
    path = _file(tmp_path, "parameters:\n  agents.china.ladder.risk: {}\n").read_text()
    (tmp_path / "late.yaml").write_text(path.replace("2015-12", "2024-12"))
    with pytest.raises(ScenarioError, match="fit_until"):
        load_calibration(tmp_path / "late.yaml")


def test_an_existing_directory_is_never_replaced_without_force_nor_resumed_with_another_file(
        tiny, tmp_path, capsys):
    spec, base = tiny
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="already exists"):
        calibrate(spec, base, out, progress=lambda _: None)
    with pytest.raises(FileExistsError, match="not a calibration directory"):
        calibrate(spec, base, out, resume=True, progress=lambda _: None)
    with pytest.raises(FileExistsError, match="not written by hedgesim"):
        calibrate(spec, base, out, force=True, progress=lambda _: None)
    assert (out / "notes.txt").read_text() == "mine"
    ours = tmp_path / "ours"
    calibrate(spec.model_copy(update={"generations": 1}), base, ours, progress=lambda _: None)
    with pytest.raises(FileExistsError, match="different population"):
        calibrate(spec.model_copy(update={"population": 12}), base, ours, resume=True, progress=lambda _: None)
    written = json.loads((ours / "calibration.json").read_text())
    (ours / "calibration.json").write_text(json.dumps({**written, "results_version": 1}))
    with pytest.raises(FileExistsError, match="another hedgesim results version"):
        calibrate(spec, base, ours, resume=True, progress=lambda _: None)


def test_a_bundled_calibration_is_recorded_by_its_place_in_the_package_not_this_machine(tmp_path):
    """Committed outputs (docs/calibration/) must not name a path outside the repository."""
    spec, _ = load_calibration("abc_2013_2019")
    assert spec.source_file == "sim/bundled/calibrations/abc_2013_2019.yaml"
    mine = tmp_path / "mine.yaml"
    mine.write_text((SCENARIOS_DIR.parent / "calibrations" / "abc_2013_2019.yaml").read_text())
    assert load_calibration(mine)[0].source_file == str(mine.resolve())
    committed = json.loads((COMMITTED / "meta.json").read_text())["calibration"]["source_file"]
    assert not Path(committed).is_absolute()


def test_the_point_is_the_particle_where_the_weighted_posterior_is_densest():
    """Hand-built posterior: a tight cluster of heavy particles near (0.8, 0.8) and scattered light
    ones over the unit square: the point is one of the cluster's particles, not a mix of values."""
    rng = np.random.default_rng(1)
    cluster = 0.8 + rng.normal(0, 0.01, 30)
    scatter = rng.uniform(0, 1, (30, 2))
    table = pd.DataFrame({"a": np.r_[cluster, scatter[:, 0]], "b": np.r_[cluster, scatter[:, 1]],
                          "weight": np.r_[np.full(30, 2.0), np.full(30, 1.0)] / 90})
    point = densest_particle(table, ["a", "b"])
    assert point.name < 30 and abs(point["a"] - 0.8) < 0.05
    same = table.assign(b=0.3)  # a coefficient every particle shares carries no density
    assert densest_particle(same, ["a", "b"])["b"] == 0.3


def test_a_heavy_lone_particle_is_not_the_densest():
    """ABC-SMC weighs a particle by prior over proposal density, so a lone particle where the proposal
    was thin can carry more weight than a whole cluster; its own kernel must not make it the mode."""
    rng = np.random.default_rng(2)
    cluster = 0.8 + rng.normal(0, 0.01, (30, 2))
    table = pd.DataFrame({"a": np.r_[0.0, cluster[:, 0]], "b": np.r_[0.0, cluster[:, 1]],
                          "weight": np.r_[0.6, np.full(30, 0.4 / 30)]})
    assert densest_particle(table, ["a", "b"]).name > 0
    with pytest.raises(ValueError, match="finite"):
        densest_particle(table.assign(weight=0.0), ["a", "b"])


def test_the_effective_sample_size_counts_particles_as_if_they_weighed_the_same():
    assert effective_sample_size(np.full(200, 0.005)) == pytest.approx(200)
    assert effective_sample_size(np.r_[1.0, np.zeros(9)]) == pytest.approx(1)
    # one particle with half the weight, 99 sharing the rest: fewer than 4 effective particles
    assert effective_sample_size(np.r_[0.5, np.full(99, 0.5 / 99)]) == pytest.approx(1 / (0.25 + 0.25 / 99))
