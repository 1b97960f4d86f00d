"""The binding report (issue 10 item 8): how much each rule changed a choice.

Hand-built decisions with a known answer (Axelrod style), the exact top-k inclusion probabilities
against the sampler itself, and one month of the model where the Four Nos' report is checked
against what the same world does with the rule switched off.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from sim import HedgingModel, with_overrides
from sim.actions import Action
from sim.agents.base import Scores
from sim.decision import choose, inclusion
from sim.rules.binding import answer_effect, rule_effects
from sim.streams import Purpose, ReplicateStreams


def _scores(base, forbidden=(), reweighted=()) -> Scores:
    base = np.atleast_2d(np.asarray(base, dtype=float))
    final = base.copy()
    for _, mask in forbidden:
        final = np.where(mask, -np.inf, final)
    for _, bonus in reweighted:
        final = final + bonus
    return Scores(base, final, list(forbidden), list(reweighted))


def test_a_forbidding_rule_removes_exactly_the_mass_it_forbids():
    # p = [1/4, 1/4, 1/2] at temperature 1; the rule forbids the third candidate
    s = _scores([0.0, 0.0, np.log(2)], forbidden=[("r", np.array([[False, False, True]]))])
    (e,) = rule_effects(s, 1.0, k=1)
    assert e.rule == "r"
    assert e.removed == pytest.approx([0.5]) and e.moved == pytest.approx([0.5])
    assert e.prevented == pytest.approx([0.5]), "one pick: the expected count is the mass"
    (e2,) = rule_effects(s, 1.0, k=2)
    # two picks without replacement: 1/2 + 2 * 1/4 * (1/2) / (3/4) = 5/6
    assert e2.prevented == pytest.approx([5 / 6]) and e2.removed == pytest.approx([0.5])


def test_a_reweighting_rule_moves_mass_and_prevents_nothing():
    bonus = np.array([[np.log(3), 0.0]])  # [1/2, 1/2] becomes [3/4, 1/4]
    (e,) = rule_effects(_scores([0.0, 0.0], reweighted=[("w", bonus)]), 1.0, k=1)
    assert e.moved == pytest.approx([0.25])
    assert e.removed == pytest.approx([0.0]) and e.prevented == pytest.approx([0.0])


def test_mass_another_rule_already_removed_is_not_counted_twice():
    both = np.array([[False, True, True]])
    only_b = np.array([[False, False, True]])
    s = _scores([0.0, 0.0, 0.0], forbidden=[("a", both), ("b", only_b)])
    effects = {e.rule: e for e in rule_effects(s, 1.0, k=1)}
    assert effects["b"].removed == pytest.approx([0.0]), "without b, a still forbids the same move"
    assert effects["a"].removed == pytest.approx([0.5]), "without a, [1/2, 1/2, 0]: it removes 1/2"


def test_a_rule_that_forbids_nothing_possible_moves_nothing():
    s = _scores([0.0, -np.inf], forbidden=[("r", np.array([[False, False]]))])
    (e,) = rule_effects(s, 1.0, k=2)
    assert e.moved == e.removed == e.prevented == pytest.approx([0.0])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_inclusion_matches_the_sampler(k):
    rng = np.random.default_rng(0)
    scores = np.log(rng.dirichlet(np.ones(6), size=1))
    scores[0, 5] = -np.inf  # an impossible candidate is never picked
    p = np.exp(scores) / np.exp(scores).sum()
    exact = inclusion(p, k)
    assert exact.sum() == pytest.approx(k) and exact[0, 5] == 0.0
    R = 20000
    stream = ReplicateStreams(list(range(R))).of(Purpose.MOVE_CHOICE)
    picks = choose(np.repeat(scores, R, axis=0), 1.0, k, stream)
    freq = np.array([(picks == m).any(axis=1).mean() for m in range(6)])
    assert freq == pytest.approx(exact[0], abs=0.015)


def _enumerated(p: np.ndarray, k: int) -> np.ndarray:
    """Inclusion by summing, in exact rational arithmetic, over every ordered sequence of k distinct
    picks, each pick renormalised over what is left (a reference for small M; rows with at least k
    possible candidates)."""
    out = np.zeros_like(p)
    for r, row in enumerate(p):
        exact = [Fraction(float(x)) for x in row]
        total = sum(exact)
        for seq in itertools.permutations(range(len(exact)), k):
            prob, left = Fraction(1), total
            for m in seq:
                prob, left = prob * exact[m] / left, left - exact[m]
            for m in seq:
                out[r, m] += float(prob)
    return out


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("concentration", [0.02, 0.5, 5.0])
def test_inclusion_equals_the_sum_over_every_sequence_of_picks(k, concentration):
    """Exact to rounding, also where one candidate is nearly certain (small concentration) or a row
    has a single possible move."""
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.full(4, concentration), size=200)
    p[0] = [1.0, 0.0, 0.0, 0.0]
    p[1] = [0.5, 0.5, 0.0, 0.0]
    full = (p > 0).sum(axis=1) >= k
    assert inclusion(p[full], k) == pytest.approx(_enumerated(p[full], k), abs=1e-9)
    assert inclusion(p, k)[0] == pytest.approx([1, 0, 0, 0]) and inclusion(p, k)[1] == pytest.approx([1, 1, 0, 0])


def test_a_package_rule_counts_the_answers_it_changed():
    value = np.array([[0.0, 0.0]])
    bonus = np.array([[-np.inf, 0.0]])  # refuses the first agreement outright, leaves the second
    e = answer_effect("r", value, bonus, np.array([[1.0]]), np.array([True]))
    assert e.moved == pytest.approx([0.5])
    none = answer_effect("r", value[:0], bonus[:0], np.ones((0, 1)), np.array([False]))
    assert none.moved == pytest.approx([0.0]) and not none.decided[0]
    # the answers are the proposed rows only, in row order: the others moved nothing
    some = answer_effect("r", np.zeros((2, 2)), np.array([[-np.inf, 0.0], [-np.inf, -np.inf]]),
                         np.ones((2, 1)), np.array([False, True, False, True]))
    assert some.moved == pytest.approx([0.0, 0.5, 0.0, 1.0])


# ------------------------------------------------------------------------------------ the model
def _standoff(rule_on: bool, replicates: int) -> HedgingModel:
    """Vietnam in a rung-4 standoff under high threat, no_force in force or not, other Nos on. The
    rung's own weight against force (stability's escalation_sq, [Womack2006]) is lifted so that
    force is worth something and the rule has mass to remove."""
    sc = with_overrides("historical_2013_2024", {"rules.no_force.since": None,
                                                 "rules.no_force.enabled": rule_on,
                                                 "agents.vietnam.gains.use_force.stability.escalation_sq": 0.0})
    model = HedgingModel(sc, replicates=replicates, seed=11, record_actions=False)
    w = model.world
    w.escalation[:] = 4
    w.crisis_severity[:] = 1.0
    w.threat[:] = 0.95
    model.steps = 1
    return model


def test_the_four_nos_report_predicts_the_forbidden_moves_made_without_them():
    on = _standoff(True, 1)
    on.vietnam.decide(on.world)
    removed, prevented = float(on.world.four_nos_removed[0]), float(on.world.four_nos_prevented[0])
    force = on.vietnam.menu.is_(Action.USE_FORCE)
    base = on.vietnam.score(on.world)
    assert removed > 0.01, "the standoff makes force worth something"
    assert np.isneginf(base.final[:, force]).all()
    # the same world without no_force, many replicates: how often is force actually chosen?
    off = _standoff(False, 4000)
    decision = off.vietnam.decide(off.world)
    chosen = off.vietnam.menu.actions[np.maximum(decision.chosen, 0)]
    forced = ((decision.chosen >= 0) & off.vietnam.menu.is_(Action.USE_FORCE)[np.maximum(decision.chosen, 0)])
    assert chosen.shape == decision.chosen.shape
    no_force_share = forced.any(axis=1).mean()
    report = {e: s for (e, _), s in on._rule_sums.items()}
    assert report["no_force"]["prevented"][0] == pytest.approx(no_force_share, abs=0.03)
    assert prevented >= report["no_force"]["prevented"][0]


def test_the_run_reports_every_rule_and_the_series_the_four_nos():
    sc = with_overrides("historical_2013_2024", {"months": 24, "events": []})
    model = HedgingModel(sc, replicates=3, seed=2, record_actions=False).run()
    report = model.rule_report()
    assert set(report.columns) == {"replicate", "rule", "binds", "decisions", "moved", "removed",
                                   "prevented"}
    assert {"no_alliance", "one_depend", "china_red_lines"} <= set(report["rule"])
    assert "no_force" not in set(report["rule"]), "not in force before Nov 2019"
    assert (report["moved"] >= report["removed"] - 1e-12).all()
    assert (report["decisions"] <= 24).all()
    four = report[report["rule"].isin(["no_alliance", "no_foreign_bases", "no_siding_against_third"])]
    series = model.series()
    assert series.groupby("replicate")["four_nos_prevented"].sum().to_numpy() == pytest.approx(
        four.groupby("replicate")["prevented"].sum().to_numpy())


def test_hedgesim_run_writes_the_binding_report_and_prints_it(tmp_path, capsys):
    import pandas as pd

    from sim.cli import main
    out = tmp_path / "run"
    assert main(["run", "historical_2013_2024", "--replicates", "2", "--out", str(out), "--no-plots",
                 "--set", "months=36", "--set", "events=[]"]) == 0
    rules = pd.read_csv(out / "rules.csv")
    assert list(rules.columns) == ["replicate", "seed", "rule", "binds", "decisions", "moved", "removed",
                                   "prevented"]
    assert set(rules["replicate"]) == {0, 1}
    assert "one_depend" in set(rules["rule"])
    printed = capsys.readouterr().out
    assert "probability moved per run (expected forbidden moves prevented)" in printed
    assert "rules.csv" in printed


def test_logistic_at_the_edge_of_a_range_is_its_limit_without_a_warning():
    """A sweep at the end of a coefficient's range gives scores far below zero: e^-x overflows and the
    answer is exactly its limit, 0 (no RuntimeWarning), and 1 far above zero."""
    import warnings

    from sim.decision import logistic

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert logistic(np.array([-1e4, 0.0, 1e4])).tolist() == [0.0, 0.5, 1.0]


def test_a_run_without_the_report_is_the_same_run_with_its_series_missing():
    """The binding report only observes the choice: dropping it (as a sweep does when nothing reads
    it) leaves every move, event and other series bit for bit, the Four Nos' series NaN, and no
    report to ask for."""
    from sim.rules.binding import RULE_SERIES

    kept = HedgingModel("historical_2013_2024", replicates=6, seed=4).run()
    dropped = HedgingModel("historical_2013_2024", replicates=6, seed=4, rule_report=False).run()
    a, b = kept.series(), dropped.series()
    others = [c for c in a.columns if c not in RULE_SERIES]
    pd.testing.assert_frame_equal(a[others], b[others])
    assert b[list(RULE_SERIES)].isna().all().all() and a["four_nos_removed"].sum() > 0
    pd.testing.assert_frame_equal(kept.actions(), dropped.actions())
    pd.testing.assert_frame_equal(kept.events(), dropped.events())
    with pytest.raises(RuntimeError, match="rule_report=False"):
        dropped.rule_report()
