"""Bounded-rational choice, as pure array functions (DESIGN.md, "Decision").

Scores have shape ``(R, M)``: R replicates, M candidate moves on the actor's menu. A forbidden move
scores ``-inf``. Choosing k moves by softmax with temperature, without replacement, is the
Gumbel-top-k trick (Kool, van Hoof & Welling 2019): add Gumbel noise to score/temperature, keep the
k largest. Every random number comes from the stream passed in (one of the model's,
:mod:`sim.streams`, named for its purpose), row r from replicate r's own keys.
"""

from __future__ import annotations

import numpy as np

from sim.compiled import kernel
from sim.streams import Stream

PAIRWISE_BLOCK = 128  # numpy's PW_BLOCKSIZE: terms summed without halving


def softmax(scores: np.ndarray, temperature: float | np.ndarray) -> np.ndarray:
    """Choice probabilities along the last axis; ``-inf`` scores get probability 0 (a row with no
    finite score: NaN). A temperature per replicate is an ``(R, 1)`` array. The scaled, shifted
    scores and the normalisation are compiled (:func:`_shifted`, :func:`_normalise`); ``exp`` stays
    numpy's."""
    scores = np.asarray(scores, dtype=float)
    rows = np.ascontiguousarray(scores.reshape(-1, scores.shape[-1]))
    e = np.exp(_shifted(rows, per_row(temperature, rows.shape[0])))
    _normalise(e, False)
    return e.reshape(scores.shape)


def per_row(temperature: float | np.ndarray, rows: int) -> np.ndarray:
    """A temperature (one value, or one per replicate ``(R, 1)``) as a contiguous ``(rows,)`` array."""
    t = np.asarray(temperature, dtype=float)
    if t.shape == (rows, 1):  # one per replicate, as the agents give it: no broadcast to build
        return np.ascontiguousarray(t[:, 0])
    return np.ascontiguousarray(np.broadcast_to(t, (rows, 1)).reshape(-1))


@kernel
def _shifted(scores, temperature):  # pragma: no cover - compiled
    """``(R, M)``: each row shifted as :func:`_shift_row` does, row r by ``temperature[r]``."""
    out = np.empty_like(scores)
    for r in range(scores.shape[0]):
        _shift_row(scores[r], temperature[r], out[r])
    return out


@kernel
def _shift_row(scores, temperature, out):  # pragma: no cover - compiled
    """``out = z - max``: ``z = scores / temperature`` less the row's largest finite ``z``; ``-inf``
    where ``z`` is not finite (so that ``exp`` gives 0). Where ``z`` was finite, ``z - max`` is finite
    or, past the float range, ``-inf`` (``exp`` gives 0 either way)."""
    top = -np.inf
    for m in range(scores.shape[0]):
        z = scores[m] / temperature
        out[m] = z
        if np.isfinite(z) and z > top:
            top = z
    for m in range(scores.shape[0]):
        z = out[m]
        out[m] = z - top if np.isfinite(z) else -np.inf


@kernel
def _normalise(e, undefined_as_zero):  # pragma: no cover - compiled
    """``e / e.sum(axis=-1, keepdims=True)`` in place, row by row, the sum as numpy sums
    (:func:`row_sum`). A row of zeros (no possible move) is ``0 / 0``: NaN, or 0 with
    ``undefined_as_zero``."""
    for r in range(e.shape[0]):
        total = row_sum(e[r])
        for m in range(e.shape[1]):
            p = e[r, m] / total
            e[r, m] = 0.0 if undefined_as_zero and np.isnan(p) else p


@kernel
def row_sum(x):  # pragma: no cover - compiled
    """``x.sum()`` of a contiguous 1-D array, bit for bit as numpy sums it (added to 0)."""
    return 0.0 + _pairwise(x, 0, x.shape[0])


@kernel
def _pairwise(x, start, n):  # pragma: no cover - compiled
    """numpy's pairwise summation of ``x[start:start + n]`` (numpy/_core/src/umath/loops_utils.h:
    ``pairwise_sum``): up to 128 terms as :func:`_pairwise_block`; beyond, the sum of the two halves
    (cut at a multiple of 8), each summed the same way. The halving is walked with a stack, not by
    recursion: numba's disk cache cannot reload a recursive kernel."""
    if n <= PAIRWISE_BLOCK:
        return _pairwise_block(x, start, n)
    low, size = np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64)  # halving depth < 64
    left, left_done = np.empty(64), np.zeros(64, dtype=np.bool_)
    top, low[0], size[0] = 0, start, n
    while True:
        if size[top] > PAIRWISE_BLOCK:  # a fresh node: sum its first half
            half = size[top] // 2 - (size[top] // 2) % 8
            top += 1
            low[top], size[top], left_done[top] = low[top - 1], half, False
            continue
        value = _pairwise_block(x, low[top], size[top])
        top -= 1
        while top >= 0 and left_done[top]:  # a second half done: its node's sum is done
            value = left[top] + value
            top -= 1
        if top < 0:
            return value
        left[top], left_done[top] = value, True  # a first half done: now its second half
        half = size[top] // 2 - (size[top] // 2) % 8
        top += 1
        low[top], size[top], left_done[top] = low[top - 1] + half, size[top - 1] - half, False


@kernel
def _pairwise_block(x, start, n):  # pragma: no cover - compiled
    """numpy's sum of at most 128 terms: under 8 left to right from 0; else eight interleaved partial
    sums, combined pairwise, then the remainder left to right."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += x[i]
        return total
    r0, r1, r2, r3 = x[start], x[start + 1], x[start + 2], x[start + 3]
    r4, r5, r6, r7 = x[start + 4], x[start + 5], x[start + 6], x[start + 7]
    i = start + 8
    end = start + n - n % 8
    while i < end:
        r0, r1, r2, r3 = r0 + x[i], r1 + x[i + 1], r2 + x[i + 2], r3 + x[i + 3]
        r4, r5, r6, r7 = r4 + x[i + 4], r5 + x[i + 5], r6 + x[i + 6], r7 + x[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(i, start + n):
        total += x[j]
    return total


def without_rule(base: np.ndarray, forbid: np.ndarray, forbid_rule: np.ndarray, bonus: np.ndarray,
                 bonus_rule: np.ndarray, rule: int, temperature: np.ndarray,
                 with_all: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The choice without one rule, against the choice with every rule (the binding report's
    counterfactual, :mod:`sim.rules.binding`).

    Args:
        base: ``(R, M)`` scores before any rule.
        forbid: ``(F, R, M)`` each forbidding rule's mask, ``forbid_rule[f]`` its rule's number.
        bonus: ``(B, R, M)`` each reweighting rule's bonus, in the order they were added,
            ``bonus_rule[b]`` its rule's number.
        rule: the number of the rule left out.
        temperature: ``(R,)``.
        with_all: ``(R, M)`` the probabilities with every rule (:func:`probabilities`).

    Returns ``without`` ``(R, M)``, the softmax probabilities (0 where none is defined) of
    ``base + (0 + b_1 + b_2 + ...)`` over the other rules' bonuses in order, ``-inf`` where another
    rule forbids; ``only`` ``(R, M)`` what only this rule forbids; ``moved`` ``(R,)`` the
    total-variation distance from ``with_all``; ``removed`` ``(R,)`` the mass of ``without`` on
    ``only``. ``exp`` is numpy's, between the two compiled halves."""
    z, only = _without_rule(base, forbid, forbid_rule, bonus, bonus_rule, rule, temperature)
    without = np.exp(z, out=z)
    moved, removed = _against(with_all, without, only)
    return without, only, moved, removed


def probabilities(scores: np.ndarray, temperature: np.ndarray) -> np.ndarray:
    """:func:`softmax` of ``(R, M)`` scores with 0 where it is undefined (a row with no possible move);
    ``temperature`` ``(R,)``."""
    p = np.exp(_shifted(np.ascontiguousarray(scores, dtype=float), temperature))
    _normalise(p, True)
    return p


@kernel
def _without_rule(base, forbid, forbid_rule, bonus, bonus_rule, rule, temperature):  # pragma: no cover
    """:func:`without_rule`'s shifted scores (:func:`_shift_row`) and ``only``."""
    R, M = base.shape
    n = R * M  # element by element over the flat block, so that the loops vectorise
    base, forbid, bonus = base.reshape(n), forbid.reshape((-1, n)), bonus.reshape((-1, n))
    z = np.zeros(n)
    others, only = np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_)
    for b in range(bonus.shape[0]):
        if bonus_rule[b] != rule:
            for c in range(n):
                z[c] = z[c] + bonus[b, c]
    for f in range(forbid.shape[0]):
        mask = others if forbid_rule[f] != rule else only
        for c in range(n):
            mask[c] = mask[c] | forbid[f, c]
    for c in range(n):
        z[c] = -np.inf if others[c] else base[c] + z[c]
        only[c] = only[c] & ~others[c]
    z = z.reshape((R, M))
    for r in range(R):
        _shift_row(z[r], temperature[r], z[r])
    return z, only.reshape((R, M))


@kernel
def _against(with_all, without, only):  # pragma: no cover - compiled
    """Normalise ``without`` (exps) in place to probabilities, 0 where undefined; its ``moved`` and
    ``removed`` (:func:`without_rule`), sums as numpy's (:func:`row_sum`)."""
    R, M = without.shape
    _normalise(without, True)
    moved, removed = np.empty(R), np.empty(R)
    terms = np.empty(M)
    for r in range(R):
        for m in range(M):
            terms[m] = abs(with_all[r, m] - without[r, m])
        moved[r] = 0.5 * row_sum(terms)
        for m in range(M):
            terms[m] = without[r, m] * (1.0 if only[r, m] else 0.0)
        removed[r] = row_sum(terms)
    return moved, removed


#: how far apart two keys of a choice must be for their order to be the same whichever ``log``
#: made their noise: ``KEY_TOLERANCE * (64 + |key|)``. numpy's vectorised ``log`` and the C
#: library's differ by at most one unit in the last place (2**-52 relative; tests/test_philox.py), so
#: a Gumbel number (|g| < 37 on 52-bit uniforms) differs by under 1e-14 and a key by under
#: 1e-14 + 2**-52 |key|: the tolerance is a hundred times that
KEY_TOLERANCE = 1e-12


def choose(scores: np.ndarray, temperature: float | np.ndarray, k: int,
           stream: Stream) -> np.ndarray:
    """Pick ``k`` distinct candidates per replicate with softmax probabilities: the ``k`` largest
    keys ``scores / temperature + g``, ``g`` standard Gumbel noise of the stream's uniforms
    (:meth:`Stream.gumbel`, the C library's ``log``).

    The keys are first made with numpy's vectorised ``log`` (~6x faster on CPUs with AVX-512, where
    it differs from the C library's in the last bit). Where two keys that decide a row's picks are
    closer than :data:`KEY_TOLERANCE` allows, that row is chosen again on the C library's noise, so
    the picks are those of the C library's noise on every CPU.

    Returns an int array ``(R, k)``; a slot is ``-1`` where fewer than k candidates were allowed.
    """
    from sim.philox import gumbels

    scores = np.asarray(scores, dtype=float)
    by_move = np.ascontiguousarray(scores.reshape(-1, scores.shape[-1]).T)  # (M, R): a replicate per column
    possible = np.isfinite(by_move)  # a move that cannot be made needs no noise
    u = stream.open_where(possible.T.reshape(scores.shape)).reshape(-1, by_move.shape[0]).T  # (M, R), no copy
    temperature = per_row(temperature, by_move.shape[1])
    k = min(k, by_move.shape[0])
    noise = np.log(u)  # -log(-log(u)) in place: numpy's vectorised log
    np.negative(noise, out=noise)
    np.log(noise, out=noise)
    np.negative(noise, out=noise)
    picks, unsure = _top_k(by_move, temperature, noise, k)
    if unsure.any():
        again = np.flatnonzero(unsure)
        exact = gumbels(np.ascontiguousarray(u[:, again]))  # elementwise: any layout
        picks[again] = _top_k(np.ascontiguousarray(by_move[:, again]), temperature[again], exact, k)[0]
    return picks.reshape(scores.shape[:-1] + (picks.shape[-1],))


@kernel
def _top_k(scores, temperature, noise, k):  # pragma: no cover - compiled
    """``(R, k)``: each replicate's ``k`` largest keys ``scores / temperature + noise`` (``-inf``
    where the score is not finite), largest first, ties to the lower index (a stable sort); a slot is
    -1 where its key is not finite (fewer than ``k`` candidates allowed). ``scores`` and ``noise``
    are ``(M, R)``, a replicate per column, so that each step runs over all the replicates at once,
    move by move (loops the compiler vectorises).

    And ``(R,)`` whether a row's picks could change if each key moved by up to
    :data:`KEY_TOLERANCE` ``* (64 + |key|)``: a pick's key is within that of the next pick's, or the
    last pick's of the largest key left (two infinite keys: always)."""
    M, R = scores.shape  # k <= M
    keys = np.empty((M, R))
    for m in range(M):
        for r in range(R):
            finite = np.isfinite(scores[m, r])
            keys[m, r] = scores[m, r] / temperature[r] + noise[m, r] if finite else -np.inf
    out = np.empty((R, k), dtype=np.int64)
    unsure = np.zeros(R, dtype=np.bool_)
    best, top, before = np.empty(R, dtype=np.int64), np.empty(R), np.empty(R)
    for j in range(min(k + 1, M)):  # one more step than picks: the largest key left after them
        best[:] = -1
        top[:] = np.nan
        for m in range(M):
            for r in range(R):
                key = keys[m, r]
                if key == key and (best[r] < 0 or key > top[r]):  # NaN: taken
                    best[r], top[r] = m, key
        for r in range(R):
            if j > 0 and best[r] >= 0 and top[r] > -np.inf:  # a contender for the pick before
                unsure[r] |= not before[r] - top[r] > KEY_TOLERANCE * (64.0 + abs(before[r]))
            before[r] = top[r]
            if j < k:
                out[r, j] = best[r] if best[r] >= 0 and np.isfinite(top[r]) else -1
            if best[r] >= 0:
                keys[best[r], r] = np.nan
    return out, unsure


def bernoulli(p: np.ndarray, stream: Stream, where: np.ndarray | None = None, *,
              compact: bool = False) -> np.ndarray:
    """Independent yes/no draws with probabilities ``p`` ``(R, ...)``; False outside ``where``.
    With ``compact``, ``p`` and the answer are only the rows ``where`` selects, ``(n, ...)``."""
    if not compact:
        return stream.random(np.shape(p), where) < p
    if where is None:
        raise ValueError("compact draws need where")
    return stream.random((len(where), *np.shape(p)[1:]), where, compact=True) < p


def logistic(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + e^-x)``. Far below zero ``e^-x`` overflows to inf and the result is its limit, 0:
    exact, so the overflow is not worth a warning (a sweep at the edge of a range hits it)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def inclusion(p: np.ndarray, k: int) -> np.ndarray:
    """``(R, M)``: the probability that each candidate is among ``k`` picks drawn as :func:`choose`
    draws them — without replacement, each pick by softmax probabilities ``p`` renormalised over
    what is left (Gumbel-top-k is successive sampling, Kool et al. 2019).

    Exact, by recursion on the first pick: ``P(m) = p_m + sum_j p_j P_{k-1}(m | j taken)``, down to
    two picks, which have a closed form (:func:`_two_picks`). The cost grows as ``M^(k-2)`` array
    operations; candidates no replicate can pick are skipped.
    """
    p = np.asarray(p, dtype=float)
    if k <= 1:
        return p.copy()
    if k == 2:
        return _two_picks(p)
    out = p.copy()
    for j in np.flatnonzero((p > 0).any(axis=0)):
        rest = p.copy()
        rest[:, j] = 0.0
        total = rest.sum(axis=1, keepdims=True)
        left = np.divide(rest, total, out=np.zeros_like(rest), where=total > 0)
        out += p[:, [j]] * inclusion(left, k - 1)
    return np.minimum(out, 1.0)


def _two_picks(p: np.ndarray) -> np.ndarray:
    """Inclusion in two picks, compiled row by row (:func:`_two_picks_row`)."""
    return _two_picks_rows(np.ascontiguousarray(p, dtype=float))


@kernel
def _two_picks_rows(p):  # pragma: no cover - compiled
    out = np.empty_like(p)
    left, t = np.empty(p.shape[1]), np.empty(p.shape[1])
    for r in range(p.shape[0]):
        _two_picks_row(p[r], left, t, out[r])
    return out


@kernel
def _two_picks_row(p, left, t, out):  # pragma: no cover - compiled
    """Inclusion in two picks: after first pick ``j`` the second takes ``m`` with ``p_m / c_j``, where
    ``c_j = sum_{i != j} p_i`` is what the first pick left, so ``P(m) = p_m (1 + sum_{j != m} t_j)``
    with ``t_j = p_j / c_j`` (``0`` when nothing is left). Sums "over the others" of the row's largest
    value (the first, as ``argmax``) are taken directly, never as a total less that value: when it is
    close to 1, the subtraction would cancel the small ones. ``left`` and ``t``: scratch rows; sums as
    numpy's (:func:`row_sum`)."""
    top = 0
    for m in range(p.shape[0]):  # numpy's argmax: the first largest, or the first NaN
        if np.isnan(p[m]):
            top = m
            break
        if p[m] > p[top]:
            top = m
    total = row_sum(p)
    for m in range(p.shape[0]):
        left[m] = total - p[m]  # c_j; exact enough where p_j <= 1/2, i.e. not the top
    left[top] = _others(p, top, out)
    for m in range(p.shape[0]):
        t[m] = p[m] / left[m] if left[m] > 0 else 0.0
    others_of_top = _others(t, top, out)
    with_top = others_of_top + t[top]
    for m in range(p.shape[0]):
        others = others_of_top if m == top else with_top - t[m]  # sum_{j != m} t_j
        x = p[m] * (1.0 + others)
        out[m] = x if x < 1.0 or np.isnan(x) else 1.0  # numpy's minimum: NaN propagates


@kernel
def _others(x, top, scratch):  # pragma: no cover - compiled
    """The sum of ``x`` without its entry ``top``, summed directly (as numpy sums; ``scratch``: a row
    to copy into)."""
    scratch[:] = x
    scratch[top] = 0.0
    return row_sum(scratch)
