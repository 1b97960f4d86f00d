"""The compiled Philox4x32-10 (sim/philox.py): the published known answers, a plain-Python reference
of the rounds, the exact numbers the streams drew before it was compiled, the layout of a draw's
counters, and a run where no cache directory can be written."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from sim.philox import philox4x32, uniforms
from sim.streams import Purpose, ReplicateStreams
from tests.conftest import ROOT

MASK = 0xFFFFFFFF


def reference_philox(counter: tuple[int, ...], key: tuple[int, int]) -> tuple[int, ...]:
    """Philox4x32-10 as Random123's philox.h writes it, in Python integers."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK, (p0 >> 32) ^ c3 ^ k1, p0 & MASK
        k0, k1 = (k0 + 0x9E3779B9) & MASK, (k1 + 0xBB67AE85) & MASK
    return c0, c1, c2, c3


def words(counter, key) -> tuple[int, ...]:
    out = philox4x32(np.array(counter, dtype=np.uint64)[:, None], np.array(key, dtype=np.uint64)[:, None])
    return tuple(int(w) for w in out[:, 0])


@pytest.mark.parametrize("counter, key, expected", [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((MASK,) * 4, (MASK,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox_matches_random123_known_answers(counter, key, expected):
    """The known-answer vectors of Random123 (Salmon et al. 2011), kat_vectors for philox4x32_10."""
    assert words(counter, key) == expected


def test_philox_matches_the_reference_rounds_on_many_counters_and_keys():
    rng = np.random.default_rng(11)
    counters = rng.integers(0, 2**32, size=(4, 200), dtype=np.uint64)
    keys = rng.integers(0, 2**32, size=(2, 200), dtype=np.uint64)
    got = philox4x32(counters, keys)
    for i in range(200):
        expected = reference_philox(tuple(int(c) for c in counters[:, i]), tuple(int(k) for k in keys[:, i]))
        assert tuple(int(w) for w in got[:, i]) == expected


def test_philox_refuses_words_wider_than_32_bits_and_bad_shapes():
    with pytest.raises(ValueError, match="32-bit"):
        philox4x32(np.full((4, 1), 2**32, dtype=np.uint64), np.zeros((2, 1), dtype=np.uint64))
    with pytest.raises(ValueError, match=r"\(4, N\)"):
        philox4x32(np.zeros((3, 1), dtype=np.uint64), np.zeros((2, 1), dtype=np.uint64))


def test_a_draw_takes_two_numbers_from_each_block_of_its_counters():
    """Element j of a row: block j // 2 with counter (j // 2, occurrence, label, word); its words
    (c0, c1) give the even element, (c2, c3) the odd one, 27 + 26 bits, divided by 2**53."""
    key = np.array([[7], [9]], dtype=np.uint64)
    counts = np.array([5], dtype=np.uint64)
    got = uniforms(key, np.array([0]), counts, np.uint64(3), np.uint64(4), 3, False)
    expected = []
    for j in range(3):
        c = reference_philox((j // 2, 5, 3, 4), (7, 9))
        hi, lo = (c[0], c[1]) if j % 2 == 0 else (c[2], c[3])
        expected.append(((hi >> 5) * 2**26 + (lo >> 6)) / 2**53)
    assert got.tolist() == [expected]
    assert counts.tolist() == [6]  # the row's next draw is its next occurrence


def test_open_interval_numbers_are_half_steps_of_2_to_the_minus_52():
    key = np.zeros((2, 2), dtype=np.uint64)
    counts = np.zeros(2, dtype=np.uint64)
    closed = uniforms(key, np.array([1]), counts.copy(), np.uint64(0), np.uint64(0), 4, False)
    opened = uniforms(key, np.array([1]), counts, np.uint64(0), np.uint64(0), 4, True)
    bits = (closed * 2**53).astype(np.uint64)
    np.testing.assert_array_equal(opened, ((bits >> np.uint64(1)) + 0.5) / 2**52)
    assert counts.tolist() == [0, 1]  # only the row drawn advanced


def test_the_streams_draw_the_same_numbers_as_before_they_were_compiled():
    """Bits drawn by the numpy Philox of commit 9e1984d (month 7, three seeds, two draws)."""
    s = ReplicateStreams([1, 2013, 2**63 - 1], lambda: 7)
    stream = s.of(Purpose.PACKAGE_MERIT, "vietnam")
    first = (stream.random((3, 5)) * 2**53).astype(np.uint64)
    assert [hex(int(b)) for b in first[:, [0, 1, 4]].ravel()] == [
        "0xc74077b482ad3", "0x14366b0cb4ab55", "0x866a475ce0faa",
        "0x54d1667751d2d", "0xf79260aa806ee", "0x1b82481074e084",
        "0x185396c47e568a", "0x8b8e6424f0241", "0x1a2ad04e43b4a9"]
    second = stream.random((3, 2), where=np.array([True, False, True]))
    assert [hex(int(b)) for b in (second[[0, 2]] * 2**53).astype(np.uint64).ravel()] == [
        "0x6de91f8a5d77c", "0x1db5b3b2e50f33", "0x67d1d67aa5b2f", "0x12886748b43b0a"]
    assert s.of(Purpose.MOVE_CHOICE, "china").gumbel((3, 3))[:, 0].tolist() == [
        0.582977333231238, -0.13863577489612253, 1.3291350182583215]


def test_a_run_compiles_its_kernels_where_no_cache_directory_can_be_written():
    """numba finds no writable cache directory (only the user-provided one is tried, and it cannot
    be made): the kernels compile in the process and draw the same numbers."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_LOCATOR_CLASSES": "UserProvidedCacheLocator",
           "NUMBA_CACHE_DIR": "/proc/no-such-cache-dir"}
    code = ("from sim.streams import Purpose, ReplicateStreams; "
            "print(ReplicateStreams([1], lambda: 7).of(Purpose.MOVE_CHOICE, 'china').gumbel((1, 1))[0, 0])")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == 0.582977333231238


def test_a_choices_uniforms_where_needed_are_the_full_draws_numbers_bit_for_bit():
    """A choice draws uniforms only on the moves it may make (no Philox words for a pair of moves no
    replicate may make): those numbers are the full draw's, bit for bit; the others are the
    placeholder; and the next draw of the stream is the same as after a full draw (the counters
    advanced alike)."""
    from sim.philox import PLACEHOLDER

    R, M = 60, 13
    needed = np.random.default_rng(0).random((R, M)) < 0.4
    needed[0], needed[1] = False, True  # a replicate with no possible move, one with every move
    needed[:, 4:6] = needed[:, M - 1] = False  # moves no replicate may make: a pair, the last alone
    full_streams, where_streams = (ReplicateStreams(list(range(R)), lambda: 3) for _ in range(2))
    full = full_streams.of(Purpose.MOVE_CHOICE, "china").open_where(np.ones((R, M), dtype=bool))
    got = where_streams.of(Purpose.MOVE_CHOICE, "china").open_where(needed)
    assert (got[needed].view(np.uint64) == full[needed].view(np.uint64)).all()
    assert (got[~needed] == PLACEHOLDER).all()
    nxt = [s.of(Purpose.MOVE_CHOICE, "china").gumbel((R, 2)) for s in (full_streams, where_streams)]
    assert (nxt[0].view(np.uint64) == nxt[1].view(np.uint64)).all()


def test_numpys_log_is_within_one_unit_in_the_last_place_of_the_c_librarys():
    """What :data:`sim.decision.KEY_TOLERANCE` rests on: on the uniforms a choice draws, and on
    ``-log(u)``, numpy's ``log`` (vectorised with AVX-512) is the C library's (``math.log``) or next
    to it."""
    u = ReplicateStreams(list(range(200)), lambda: 9).of(Purpose.MOVE_CHOICE).open_where(
        np.ones((200, 1000), dtype=bool)).ravel()
    u = np.concatenate([u, [2.0**-53, 0.5 - 2.0**-54, 1 - 2.0**-53]])
    for x in (u, -np.log(u)):
        exact = np.array([math.log(v) for v in x])
        ulps = np.abs(np.log(x).view(np.int64) - exact.view(np.int64))
        assert ulps.max() <= 1


def test_gumbel_noise_is_minus_log_minus_log_of_the_open_uniforms():
    """The compiled noise is -log(-log(u)) of the stream's open-interval uniforms with the C
    library's ``log`` (Python's ``math.log``), bit for bit; numpy's ``log`` is that one on CPUs
    without AVX-512 and its own vectorised one with it, so only the C library's is the reference."""
    R, M = 50, 40
    noise = ReplicateStreams(list(range(R)), lambda: 4).of(Purpose.MOVE_CHOICE, "china").gumbel((R, M))
    stream = ReplicateStreams(list(range(R)), lambda: 4).of(Purpose.MOVE_CHOICE, "china")
    u = stream._draw((R, M), None, transform=lambda x: x)  # a transform: the open interval (0, 1)
    assert np.all((u > 0) & (u < 1))
    expected = np.array([[-math.log(-math.log(x)) for x in row] for row in u])
    assert (noise.view(np.uint64) == expected.view(np.uint64)).all()
