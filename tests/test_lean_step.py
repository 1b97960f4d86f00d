"""The lean step (issue 11, item 3): array kernels equal, bit for bit, the rules they replace, on
small hand-built worlds with coefficients that differ per replicate."""

from __future__ import annotations

import numpy as np
import pytest

from sim import HedgingModel, load_scenario
from sim.actions import Action
from sim.agents.vietnam import DRIVERS, GAINS, TOP_TIER, Goal, _factors
from sim.coefficients import signed_range
from sim.state import USE_OF_FORCE_RUNG

R = 6


@pytest.fixture(scope="module")
def model():
    """Vietnam with every gains coefficient drawn per replicate across its range, in a world whose
    every driver differs per replicate and per partner."""
    rng = np.random.default_rng(11)
    varying = {f"agents.vietnam.gains.{move.value}.{goal.name.lower()}.{driver}":
               rng.uniform(*signed_range(value), R)
               for (move, goal), row in GAINS.items() for driver, value in row.items()}
    m = HedgingModel(load_scenario("historical_2013_2024"), seeds=list(range(R)), varying=varying,
                     record_actions=False)
    w, n = m.world, len(m.world.countries)
    for name in ("threat", "regime_insecurity", "capability", "assurance_debt", "crisis_severity"):
        getattr(w, name)[:] = rng.uniform(0, 1, R)
    for name in ("tension", "interdependence", "defense", "commitment", "rivalry", "economy"):
        getattr(w, name)[:] = rng.uniform(0.01, 1, (R, n))
    w.summit[:] = rng.integers(0, 2, (R, n))
    w.tier[:] = rng.integers(0, TOP_TIER + 1, (R, n))
    w.escalation[:] = rng.integers(0, USE_OF_FORCE_RUNG + 1, R)
    return m


def term_by_term(vietnam, world) -> np.ndarray:
    """The gains as the table defines them: one masked pass over the menu per (move, goal) row,
    each term ``coefficient x factor x ...`` in the row's order."""
    t = vietnam.menu.targets
    f = {name: (np.broadcast_to(v, (R, v.shape[-1]))[:, t] if v.shape[-1] > 1 else v)
         for name, v in _factors(world, vietnam.balancing(world)).items()}
    g = np.zeros((R, len(vietnam.menu), len(Goal)))
    for (move, goal), row in GAINS.items():
        coefs = getattr(getattr(vietnam.k.gains, move.value), goal.name.lower())
        value = None
        for driver in row:
            term = getattr(coefs, driver)[:, None]
            for name in DRIVERS[driver][1]:
                term = term * f[name]
            value = term if value is None else value + term
        g[:, :, goal] += np.where(vietnam.menu.is_(move), value, 0.0)
    return g


def test_gains_kernel_equals_the_table_term_by_term(model):
    expected = term_by_term(model.vietnam, model.world)
    got = model.vietnam.gains(model.world)
    assert got.shape == expected.shape and got.flags.c_contiguous
    assert len({row.tobytes() for row in got}) == R, "replicates differ"
    np.testing.assert_array_equal(got, expected)


def test_gain_cells_kernel_on_a_hand_written_table():
    """Two replicates, three factors; cell 1 = 2 f0 + 3, cell 3 = c f1 f2 (c: 0.5, then 0.25); the
    others 0. A replicate per column of the factor table and of the coefficients; a coefficient the
    same in both replicates is read once where flagged constant, with the same result."""
    from sim.agents.vietnam import _gain_cells

    table = np.array([[1.0, 2.0, 4.0], [10.0, -1.0, 3.0]]).T.copy()  # (factors, replicates)
    coefficients = np.array([[2.0, 3.0, 0.5], [2.0, 3.0, 0.25]]).T.copy()  # (terms, replicates)
    factors = np.array([[0, -1], [-1, -1], [1, 2]])
    expected = [[0.0, 5.0, 0.0, 4.0, 0.0], [0.0, 23.0, 0.0, -0.75, 0.0]]
    for constant in ([True, True, False], [False, False, False]):
        got = _gain_cells(table, coefficients, np.array(constant), factors, np.array([1, 0, 2]),
                          np.array([0, 2, 3]), np.array([1, 3]), 5)
        np.testing.assert_array_equal(got, expected)


def test_a_gains_kernel_flags_exactly_the_coefficients_every_replicate_shares(model):
    """Outside a design every gains coefficient is the same in every replicate (read once); one
    coefficient set per replicate unflags exactly its terms (one per menu entry of its move); the
    fixture's, every coefficient drawn per replicate, unflags them all."""
    assert not model.vietnam._gains.constant.any()
    scenario = load_scenario("historical_2013_2024")
    assert HedgingModel(scenario, seeds=[1, 2, 3]).vietnam._gains.constant.all()
    (move, goal), row = next(iter(GAINS.items()))
    driver, value = next(iter(row.items()))
    path = f"agents.vietnam.gains.{move.value}.{goal.name.lower()}.{driver}"
    one = HedgingModel(scenario, seeds=[1, 2, 3], varying={path: np.linspace(*signed_range(value), 3)})
    assert (~one.vietnam._gains.constant).sum() == one.vietnam.menu.is_(move).sum() > 0


def test_utilities_are_the_gains_weighted_as_einsum_weighs_them(model):
    """The utilities were first ``einsum("rmg,rg->rm", gains, weights)``: the fused kernel gives the
    same bits, on gains whose coefficients and drivers differ per replicate and per partner, and
    under weights of many sizes and signs (a zero among them)."""
    v, w = model.vietnam, model.world
    gains = term_by_term(v, w)
    rng = np.random.default_rng(5)
    for weights in (v.weights(w), rng.normal(0, 3, (R, len(Goal))), np.zeros((R, len(Goal)))):
        got, conceding = v._weigh(w, weights)
        expected = np.einsum("rmg,rg->rm", gains, weights)
        assert got.view(np.int64).tolist() == expected.view(np.int64).tolist()
        np.testing.assert_array_equal(conceding, gains[:, v._concede, :])
    np.testing.assert_array_equal(v.utilities(w), np.einsum("rmg,rg->rm", gains, v.weights(w)))


def test_weigh_adds_five_terms_in_einsum_s_order():
    """Two lanes, ``(p0 + p2) + p4`` and ``p1 + p3``, added to zero: on terms where the order shows
    (a left-to-right sum gives another number), the kernel gives einsum's."""
    from sim.agents.vietnam import _weigh

    p = [1.0, 1e16, 1.0, -1e16, 0.0]
    assert _weigh(*p) == np.einsum("i,i->", np.array(p), np.ones(5)) == 2.0  # (1 + 1) + 0 + (1e16 - 1e16)
    assert sum(p) == 0.0  # left to right, the ones are lost beside 1e16
    rng = np.random.default_rng(9)
    for _ in range(200):
        terms = rng.normal(0, 1, 5) * 10.0 ** rng.integers(-8, 9, 5)
        assert _weigh(*terms) == np.einsum("i,i->", terms, np.ones(5))


def test_concession_terms_read_the_same_gains(model):
    v, w = model.vietnam, model.world
    i = int(np.flatnonzero(v.menu.is_(Action.CONCEDE))[0])
    weighted = term_by_term(v, w)[:, i, :] * v.weights(w)
    terms = v.concession_terms(w)
    for goal in Goal:
        np.testing.assert_array_equal(terms[goal.name.lower()], weighted[:, goal])


def softmax_as_defined(scores: np.ndarray, temperature) -> np.ndarray:
    """The softmax of sim.decision as first written: masked max, masked exp."""
    z = scores / temperature
    z = z - np.max(np.where(np.isfinite(z), z, -np.inf), axis=-1, keepdims=True)
    e = np.where(np.isfinite(z), np.exp(z), 0.0)
    return e / e.sum(axis=-1, keepdims=True)


def test_softmax_equals_its_definition_bit_for_bit_on_hostile_rows():
    from sim.decision import per_row, probabilities, softmax

    rng = np.random.default_rng(3)
    scores = rng.normal(0, 50, (40, 9))
    scores[rng.random(scores.shape) < 0.3] = -np.inf  # forbidden moves
    scores[0] = -np.inf  # nothing possible
    scores[1, 2], scores[2, 4], scores[3, 1] = np.nan, np.inf, 1e308  # degenerate values
    scores[4, :2] = [-1e308, 1e308]  # z - max past the float range
    temperature = rng.uniform(0.05, 2, (40, 1))
    with np.errstate(invalid="ignore", over="ignore"):
        expected = softmax_as_defined(scores, temperature)
        got = softmax(scores, temperature)
        np.testing.assert_array_equal(got, expected)
        assert np.isnan(got[0]).all()
        np.testing.assert_array_equal(probabilities(scores, per_row(temperature, 40)),
                                      np.nan_to_num(expected, nan=0.0))


def test_softmax_kernel_scales_and_shifts_each_row_by_its_own_temperature_and_largest_score():
    from sim.decision import _shifted, softmax

    scores = np.array([[1.0, 2.0, -np.inf], [3.0, 3.0, 3.0], [-np.inf, np.nan, np.inf]])
    shifted = _shifted(scores, np.array([1.0, 2.0, 0.5]))
    np.testing.assert_array_equal(shifted, [[-1.0, 0.0, -np.inf], [0.0, 0.0, 0.0], [-np.inf] * 3])
    with np.errstate(invalid="ignore"):
        p = softmax(scores, np.array([[1.0], [2.0], [0.5]]))
    np.testing.assert_allclose(p[:2], [[1 / (1 + np.e), np.e / (1 + np.e), 0.0], [1 / 3] * 3], rtol=1e-15)
    assert np.isnan(p[2]).all()  # nothing possible
    np.testing.assert_allclose(softmax(np.array([0.0, np.log(3.0)]), 1.0), [0.25, 0.75], rtol=1e-15)  # one row


@pytest.mark.parametrize("n", [*range(0, 300), 511, 1031, 4099])
def test_row_sum_is_numpys_sum_bit_for_bit(n):
    """numpy sums pairwise (eight partial sums, halves past 128 terms): the kernel adds in the same
    order, so every bit agrees, on magnitudes across 17 orders and with infinities and NaN."""
    from sim.decision import row_sum

    rng = np.random.default_rng(n)
    x = rng.standard_normal((6, n)) * np.exp(rng.uniform(-20, 20, (6, n)))
    if n:
        x[4, rng.integers(n)] = np.inf
        x[5, rng.integers(n)] = np.nan
    np.testing.assert_array_equal([row_sum(row) for row in x], x.sum(axis=1))


def binding_as_defined(scores, temperature, k):
    """The binding report as first written in numpy (sim.rules.binding before its kernels): per rule,
    the counterfactual scores, their softmax, and the three measures."""
    from sim.decision import inclusion

    def probabilities(x):
        with np.errstate(invalid="ignore"):
            p = softmax_as_defined(x, temperature)
        p[np.isnan(p)] = 0.0
        return p

    ids = list(dict.fromkeys([rid for rid, _ in scores.forbidden_by] + [rid for rid, _ in scores.reweighted_by]))
    with_all, forbids, out = probabilities(scores.final), dict(scores.forbidden_by), {}
    for rid in ids:
        others = np.zeros(scores.base.shape, dtype=bool)
        for other, mask in scores.forbidden_by:
            others |= mask if other != rid else False
        bonus = sum((b for other, b in scores.reweighted_by if other != rid), np.zeros(scores.base.shape))
        without = probabilities(np.where(others, -np.inf, scores.base + bonus))
        moved = 0.5 * np.abs(with_all - without).sum(axis=1)
        removed = prevented = np.zeros(scores.base.shape[0])
        if rid in forbids:
            only_this = forbids[rid] & ~others
            removed = (without * only_this).sum(axis=1)
            if removed.any():
                prevented = (inclusion(without, k) * only_this).sum(axis=1)
        out[rid] = (moved, removed, prevented)
    return out


def hostile_decision(seed: int, R: int = 300, M: int = 11):
    """A decision with overlapping forbids, a rule that both forbids and reweights, zero and huge
    bonuses, rows with nothing possible and rows with one move, temperatures per replicate."""
    from sim.agents.base import Scores

    rng = np.random.default_rng(seed)
    base = rng.normal(0, 3, (R, M))
    base[rng.random((R, M)) < 0.2] = -np.inf
    base[0], base[1, 1:] = -np.inf, -np.inf
    forbidden = [(rid, (rng.random((R, M)) < share) & np.isfinite(base))
                 for rid, share in (("a", 0.1), ("b", 0.3), ("c", 0.05))]
    forbidden[2][1][:, :3] |= forbidden[0][1][:, :3]  # c repeats some of a's
    reweighted = [("b", rng.normal(0, 1, (R, M))), ("d", np.where(rng.random((R, M)) < 0.5, 0.0, 1e3)),
                  ("e", rng.normal(0, 1e-3, (R, M)))]
    final = base.copy()
    for rid, mask in forbidden:
        final = np.where(mask, -np.inf, final)
        final = final + dict(reweighted).get(rid, 0.0)
    for rid, bonus in reweighted:
        final = final + bonus if rid != "b" else final
    temperature = rng.uniform(0.05, 2, (R, 1))
    return Scores(base, final, forbidden, reweighted), temperature


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1])
def test_binding_report_kernels_equal_its_definition_bit_for_bit(k, seed):
    from sim.rules.binding import rule_effects

    scores, temperature = hostile_decision(seed)
    expected = binding_as_defined(scores, temperature, k)
    got = rule_effects(scores, temperature, k)
    assert [e.rule for e in got] == list(expected) == ["a", "b", "c", "d", "e"]
    for e in got:
        for name, value in zip(("moved", "removed", "prevented"), expected[e.rule], strict=True):
            np.testing.assert_array_equal(getattr(e, name), value, err_msg=f"{e.rule} {name}")
    assert any(e.prevented.any() for e in got) and all(e.moved.any() for e in got if e.rule != "c")


def two_picks_as_defined(p):
    """Inclusion in two picks as first written in numpy (sim.decision._two_picks before its kernel)."""
    rows = np.arange(p.shape[0])
    top = p.argmax(axis=1)

    def others_of(x):
        rest = x.copy()
        rest[rows, top] = 0.0
        return rest.sum(axis=1)

    left = p.sum(axis=1, keepdims=True) - p
    left[rows, top] = others_of(p)
    t = np.divide(p, left, out=np.zeros_like(p), where=left > 0)
    others_of_top = others_of(t)
    others = (others_of_top + t[rows, top])[:, None] - t
    others[rows, top] = others_of_top
    return np.minimum(p * (1.0 + others), 1.0)


@pytest.mark.parametrize("concentration", [0.02, 1.0])
def test_two_picks_kernel_equals_its_definition_bit_for_bit(concentration):
    from sim.decision import inclusion

    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.full(9, concentration), size=500)
    p[0], p[1], p[2, :3] = 0.0, [1.0] + [0.0] * 8, [0.25, 0.5, 0.25]  # nothing, one move, a tie for top
    np.testing.assert_array_equal(inclusion(p, 2), two_picks_as_defined(p))


def choose_as_defined(scores, temperature, k, noise):
    """The choice as first written in numpy: Gumbel-perturbed keys, a stable argsort, -1 for a slot
    whose key is not finite."""
    keyed = np.where(np.isfinite(scores), scores / temperature + noise, -np.inf)
    order = np.argsort(-keyed, axis=-1, kind="stable")[..., :min(k, scores.shape[-1])]
    return np.where(np.take_along_axis(np.isfinite(keyed), order, axis=-1), order, -1)


@pytest.mark.parametrize("k", [1, 2, 4, 9])
def test_choice_kernel_equals_its_definition_bit_for_bit(k):
    """Same noise (a stream is a pure function of its keys), hostile rows: nothing possible, fewer
    moves than picks, ties (equal scores, keys overflowing to infinity)."""
    from sim.decision import choose
    from sim.streams import Purpose, ReplicateStreams

    rng = np.random.default_rng(k)
    R, M = 400, 7
    scores = rng.normal(0, 2, (R, M))
    scores[rng.random((R, M)) < 0.3] = -np.inf
    scores[0], scores[1, 2:] = -np.inf, -np.inf
    scores[2] = 1e308  # every key +inf: ties broken by index, and no slot allowed (not finite)
    scores[3, :3] = [-1e308, 1e308, 1e308]
    temperature = rng.uniform(0.01, 2, (R, 1))
    noise = ReplicateStreams(list(range(R))).of(Purpose.MOVE_CHOICE).gumbel((R, M))
    with np.errstate(over="ignore"):
        got = choose(scores, temperature, k, ReplicateStreams(list(range(R))).of(Purpose.MOVE_CHOICE))
        np.testing.assert_array_equal(got, choose_as_defined(scores, temperature, k, noise))
    assert (got[0] == -1).all() and (got[1, 2:] == -1).all()


def test_a_choice_whose_keys_nearly_tie_is_made_on_the_c_librarys_noise():
    """Keys made from numpy's ``log`` decide a row only where they are clearly apart; rows whose
    deciding keys are within the tolerance are flagged and chosen again on the C library's noise,
    so the picks equal the exact keys' (here: two keys a few units in the last place apart, either
    order, and one exactly tied)."""
    from sim.decision import KEY_TOLERANCE, _top_k, choose
    from sim.streams import Purpose, ReplicateStreams

    R, M = 300, 6
    noise = ReplicateStreams(list(range(R)), lambda: 2).of(Purpose.MOVE_CHOICE).gumbel((R, M))
    scores = np.random.default_rng(1).normal(0, 1, (R, M))
    near = np.arange(0, R, 2)  # every other row: move 1's key a few ulps from move 0's, above or below
    key0 = scores[near, 0] + noise[near, 0]
    scores[near, 1] = key0 - noise[near, 1] + np.random.default_rng(2).integers(-3, 4, len(near)) * 4e-16
    scores[near, 2:] = -10.0  # so that moves 0 and 1 lead, their order decided by the tie
    for k in (1, 2):  # the tie between the only pick and the rest; between the two picks
        _, unsure = _top_k(np.ascontiguousarray(scores.T), np.ones(R), np.ascontiguousarray(noise.T), k)
        assert unsure[near].all() and not unsure[1::2].any()
        got = choose(scores, 1.0, k, ReplicateStreams(list(range(R)), lambda: 2).of(Purpose.MOVE_CHOICE))
        np.testing.assert_array_equal(got, choose_as_defined(scores, 1.0, k, noise))
    _, clear = _top_k(np.array([[0.0], [1.0]]), np.ones(1), np.array([[0.0], [-200 * KEY_TOLERANCE]]), 1)
    assert not clear[0]


def test_the_choice_is_the_c_librarys_whatever_numpys_log_gives_within_one_ulp(monkeypatch):
    """numpy's ``log`` replaced by one that is off by one unit in the last place, up or down at
    random (the most tests/test_philox.py allows): the picks are still those of the exact noise,
    near-ties included (the rows flagged are chosen again on the C library's)."""
    from sim.decision import choose
    from sim.philox import gumbels
    from sim.streams import Purpose, ReplicateStreams

    R, M, k = 400, 7, 3
    streams = ReplicateStreams(list(range(R)), lambda: 5)
    noise = streams.of(Purpose.MOVE_CHOICE).gumbel((R, M))
    scores = np.random.default_rng(3).normal(0, 1, (R, M))
    scores[::2, 1] = scores[::2, 0] + noise[::2, 0] - noise[::2, 1]  # moves 0 and 1 tie exactly
    gumbels(np.full((1, 1), 0.5))  # compiled before numpy's log is replaced
    exact_log, rng = np.log, np.random.default_rng(4)

    def off_by_one_ulp(x, out=None):
        y = exact_log(x)
        y = np.nextafter(y, np.where(rng.random(y.shape) < 0.5, -np.inf, np.inf))
        if out is None:
            return y
        out[...] = y
        return out

    monkeypatch.setattr(np, "log", off_by_one_ulp)
    got = choose(scores, 1.0, k, ReplicateStreams(list(range(R)), lambda: 5).of(Purpose.MOVE_CHOICE))
    monkeypatch.undo()
    np.testing.assert_array_equal(got, choose_as_defined(scores, 1.0, k, noise))


def test_top_terms_ranks_each_replicate_by_size_ties_in_order():
    from sim.crises import top_terms

    terms = {"a": np.array([0.1, -0.5, 0.2]), "b": np.array(0.3), "c": np.array([-0.3, 0.5, 0.0]),
             "d": np.array([0.0, 0.01, 0.2])}
    assert top_terms(terms, np.array([0, 1, 2])) == [
        "b +0.30; c -0.30; a +0.10", "a -0.50; c +0.50; b +0.30", "b +0.30; a +0.20; d +0.20"]
    assert top_terms(terms, np.array([2])) == ["b +0.30; a +0.20; d +0.20"]
    assert top_terms(terms, np.array([], dtype=int)) == []


def test_event_log_is_expanded_when_read_in_firing_order():
    """Read mid-run, then again later: the first rows stay as they were, later firings follow."""
    m = HedgingModel(load_scenario("south_china_sea_flareup"), seeds=[1, 2, 3], record_actions=False)
    m.run(30)
    first = list(m.event_log)
    assert first and all(row.keys() == first[0].keys() for row in first)
    assert [e["step"] for e in first] == sorted(e["step"] for e in first)
    m.run(30)
    assert m.event_log[:len(first)] == first and len(m.event_log) >= len(first)
    assert m.events()["replicate"].tolist() == [e["replicate"] for e in m.event_log]


def test_the_command_line_starts_without_the_model_stack():
    """``hedgesim --help`` (and ``import sim``) load neither Mesa, pandas, scipy nor numba (issue 11 item 4);
    the public API still resolves on first use."""
    import subprocess
    import sys

    code = ("import sys, sim.cli; heavy = [m for m in ('mesa', 'pandas', 'scipy', 'matplotlib', 'pyarrow', 'numba') "
            "if m in sys.modules]; print(heavy); import sim; print(sim.HedgingModel.__module__, 'mesa' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "sim.model True"]
    code = "import sim.compare; from sim.compare import Comparison; import sim; print(callable(sim.compare))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "True", "sim.compare is the function, as before"


def test_chinas_decision_weighs_the_utilities_it_would_compute_afresh(model):
    """China's decision computes the standing costs, the gain of pressing and the withdrawal terms
    once and shares them between its moves and the crisis record: the scores it chose on are its
    utilities of the month computed afresh, bit for bit, and the terms it kept are its withdrawal
    terms of that world."""
    china, w = model.china, model.world
    kept = w.in_crisis.copy(), w.escalation.copy()
    try:
        w.in_crisis[::2], w.escalation[::2] = True, 2.0  # crises open in half the replicates
        fresh = china.utilities(w)
        withdrawal = china.withdrawal_terms(w)
        china.decide(w)
        expected = np.where(china.available(w), fresh, -np.inf)
        np.testing.assert_array_equal(china.last_deliberation.scores.base, expected)
        assert china._terms_before_move.keys() == withdrawal.keys()
        for name, value in withdrawal.items():
            np.testing.assert_array_equal(china._terms_before_move[name], value)
    finally:
        w.in_crisis[:], w.escalation[:] = kept
