"""The counter-based replicate streams (sim/streams.py; its bit generator in tests/test_philox.py):
numbers that pass tests of uniformity and independence that could fail, and keys that make every
row's numbers its own (block, ``where``, other purposes and months do not move them)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.streams import Purpose, ReplicateStreams

ALPHA = 1e-3  # a fixed-seed test of a correct generator fails this rarely; a biased one fails it


class Clock:
    """A month the test moves by hand (the model's clock is its ``steps``)."""

    def __init__(self) -> None:
        self.month = 1

    def __call__(self) -> int:
        return self.month


def streams(seeds, clock=None) -> ReplicateStreams:
    return ReplicateStreams(list(seeds), clock or Clock())


def test_uniforms_are_uniform_and_serially_independent():
    u = streams(range(4)).of(Purpose.MOVE_CHOICE, "china").random((4, 50_000)).ravel()
    assert stats.kstest(u, "uniform").pvalue > ALPHA
    counts = np.histogram(u, bins=100, range=(0, 1))[0]
    assert stats.chisquare(counts).pvalue > ALPHA
    pairs = np.histogram2d(u[:-1], u[1:], bins=10, range=[[0, 1], [0, 1]])[0]  # neighbours: 100 cells
    assert stats.chisquare(pairs.ravel()).pvalue > ALPHA
    assert u.min() >= 0.0 and u.max() < 1.0


def test_gumbel_normal_and_uniform_have_their_distributions():
    s = streams(range(8))
    assert stats.kstest(s.of(Purpose.MOVE_CHOICE).gumbel((8, 20_000)).ravel(), "gumbel_r").pvalue > ALPHA
    assert stats.kstest(s.of(Purpose.PACKAGE_MERIT).normal(0.0, 1.0, (8, 20_000)).ravel(), "norm").pvalue > ALPHA
    wide = s.of(Purpose.EVENT_SEVERITY).uniform(2.0, 5.0, (8, 20_000)).ravel()
    assert stats.kstest(wide, "uniform", args=(2.0, 3.0)).pvalue > ALPHA
    shifted = s.of(Purpose.PACKAGE_MERIT, 1).normal(3.0, 2.0, (8, 20_000)).ravel()
    assert shifted.mean() == pytest.approx(3.0, abs=0.05) and shifted.std() == pytest.approx(2.0, abs=0.05)


def test_per_replicate_bounds_apply_to_their_own_rows():
    u = streams(range(3)).of(Purpose.EVENT_SEVERITY).uniform(np.array([0.0, 10.0, 20.0]),
                                                             np.array([1.0, 11.0, 30.0]), (3, 1000))
    assert (u[0] < 1).all() and ((u[1] >= 10) & (u[1] < 11)).all() and (u[2] >= 20).all()


def _stream_pairs():
    """Pairs of draws whose keys differ in one part only: seed, month, purpose, label, occurrence."""
    clock = Clock()
    s, other_seed = streams([1], clock), streams([2], clock)
    size = (1, 20_000)
    base = s.of(Purpose.MOVE_CHOICE, "china").random(size)
    yield "occurrence", base, s.of(Purpose.MOVE_CHOICE, "china").random(size)
    yield "label", base, s.of(Purpose.MOVE_CHOICE, "vietnam").random(size)
    yield "purpose", base, s.of(Purpose.EVENT_STRIKES, "china").random(size)
    yield "seed", base, other_seed.of(Purpose.MOVE_CHOICE, "china").random(size)
    clock.month = 2
    yield "month", base, s.of(Purpose.MOVE_CHOICE, "china").random(size)


@pytest.mark.parametrize("pair", list(_stream_pairs()), ids=lambda p: p[0])
def test_streams_differing_in_one_part_of_the_key_are_uncorrelated(pair):
    _, a, b = pair
    assert not np.array_equal(a, b)
    assert stats.pearsonr(a.ravel(), b.ravel()).pvalue > ALPHA
    assert stats.spearmanr(a.ravel(), b.ravel()).pvalue > ALPHA


def test_a_row_is_the_same_whichever_block_it_is_in():
    seeds = [5, 901, 77, 12345]
    block = streams(seeds).of(Purpose.MOVE_CHOICE, "united_states").gumbel((4, 7))
    for r, seed in enumerate(seeds):
        alone = streams([seed]).of(Purpose.MOVE_CHOICE, "united_states").gumbel((1, 7))
        np.testing.assert_array_equal(block[r], alone[0])


def test_where_leaves_other_rows_alone_and_consumes_nothing_outside_it():
    seeds = [3, 4, 5]
    everyone = streams(seeds).of(Purpose.PACKAGE_SIGNING).random((3, 5))
    masked_streams = streams(seeds)
    where = np.array([True, False, True])
    masked = masked_streams.of(Purpose.PACKAGE_SIGNING).random((3, 5), where=where)
    np.testing.assert_array_equal(masked[where], everyone[where])
    assert np.isnan(masked[~where]).all()
    # replicate 1 drew nothing, so its next draw is its first, as in a block where everyone drew once
    later = masked_streams.of(Purpose.PACKAGE_SIGNING).random((3, 5), where=~where)
    np.testing.assert_array_equal(later[1], everyone[1])


def test_a_draw_for_one_purpose_does_not_shift_another():
    plain = streams([9])
    busy = streams([9])
    busy.of(Purpose.UPGRADE_REQUEST, "japan").random((1, 13))  # a draw added elsewhere first
    np.testing.assert_array_equal(busy.of(Purpose.CHINA_INCIDENT).random(1),
                                  plain.of(Purpose.CHINA_INCIDENT).random(1))


def test_a_new_month_starts_counting_draws_again_with_new_numbers():
    clock = Clock()
    s = streams([9], clock)
    first = s.of(Purpose.CHINA_INCIDENT).random(1)
    s.of(Purpose.CHINA_INCIDENT).random(1)
    clock.month = 2
    assert s.of(Purpose.CHINA_INCIDENT).random(1) != first
    clock.month = 1
    np.testing.assert_array_equal(s.of(Purpose.CHINA_INCIDENT).random(1), first)


def test_same_seed_same_numbers_and_wrong_shapes_refused():
    a = streams([1, 2]).of(Purpose.MOVE_CHOICE).normal(0.0, 1.0, (2, 3))
    np.testing.assert_array_equal(a, streams([1, 2]).of(Purpose.MOVE_CHOICE).normal(0.0, 1.0, (2, 3)))
    with pytest.raises(ValueError, match="leading axis 3 != 2 replicates"):
        streams([1, 2]).of(Purpose.MOVE_CHOICE).random((3, 4))
