"""Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3",
SC'11), compiled: the bit generation of :mod:`sim.streams`.

Words are 32-bit values held in ``uint64`` (a 32 x 32-bit product fits), every constant a
``np.uint64`` so that numba never mixes signed and unsigned integers (which it would do in floats).
"""

from __future__ import annotations

import numpy as np

from sim.compiled import inlined_kernel, kernel

ROUNDS = 10
# Philox4x32 constants (Salmon et al. 2011, table 2; Random123's philox.h).
_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_BUMP0, _BUMP1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)  # the key's Weyl sequence
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_ONE = np.uint64(1)
_TWO_53, _TWO_52 = 2.0**53, 2.0**52


@inlined_kernel
def _block(c0, c1, c2, c3, k0, k1):  # pragma: no cover - compiled (numba runs it, coverage cannot see it)
    """The four output words of counter ``(c0, c1, c2, c3)`` under key ``(k0, k1)``."""
    for _ in range(ROUNDS):
        p0, p1 = _M0 * c0, _M1 * c2  # exact: 32 x 32 bits fit in 64
        c0, c1, c2, c3 = (p1 >> _SHIFT32) ^ c1 ^ k0, p1 & _LOW32, (p0 >> _SHIFT32) ^ c3 ^ k1, p0 & _LOW32
        k0, k1 = (k0 + _BUMP0) & _LOW32, (k1 + _BUMP1) & _LOW32
    return c0, c1, c2, c3


@kernel
def _words(counter, key):  # pragma: no cover - compiled
    out = np.empty_like(counter)
    for i in range(counter.shape[1]):
        out[0, i], out[1, i], out[2, i], out[3, i] = _block(counter[0, i], counter[1, i], counter[2, i],
                                                            counter[3, i], key[0, i], key[1, i])
    return out


def philox4x32(counter: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Philox4x32-10 of counters ``(4, N)`` under keys ``(2, N)`` (32-bit values): the ``(4, N)``
    output words. Matches Random123's known-answer vectors (tests/test_philox.py)."""
    counter, key = (np.ascontiguousarray(x, dtype=np.uint64) for x in (counter, key))
    if counter.ndim != 2 or counter.shape[0] != 4 or key.shape != (2, counter.shape[1]):
        raise ValueError(f"counter {counter.shape} and key {key.shape} must be (4, N) and (2, N)")
    if (counter > _LOW32).any() or (key > _LOW32).any():
        raise ValueError("counter and key words must be 32-bit values")
    return _words(counter, key)


@kernel
def uniforms(key, rows, counts, label, word, n, open_interval):  # pragma: no cover - compiled
    """``(len(rows), n)`` uniform numbers for the distinct replicates ``rows``, each element from
    its own counter.

    Element ``j`` of a row comes from block ``j // 2`` with counter ``(j // 2, counts[r], label,
    word)`` under the row's key ``key[:, r]``: words ``(c0, c1)`` give its even elements, ``(c2, c3)``
    its odd ones, 53 bits each (27 of the first word, 26 of the second, as numpy's ``random``). A
    number is ``bits / 2**53`` on [0, 1), or with ``open_interval`` ``(bits // 2 + 1/2) / 2**52`` on
    (0, 1) (52 bits and a half: no rounding reaches 0 or 1). ``counts[r]`` (the draws this row made
    before, the counter's second word) is advanced by one for every row drawn. The words of a pair
    of elements are made for all the rows at once (:func:`words`, vectorised).
    """
    out = np.empty((rows.shape[0], n))
    drawn = counts[rows]
    keys = np.empty((2, rows.shape[0]), dtype=np.uint64)
    keys[0], keys[1] = key[0][rows], key[1][rows]
    first, second = np.empty(rows.shape[0], dtype=np.uint64), np.empty(rows.shape[0], dtype=np.uint64)
    for j in range(0, n, 2):
        words(j, drawn, label, word, keys, first, second)
        for i in range(rows.shape[0]):
            out[i, j] = _uniform(first[i], open_interval)
            if j + 1 < n:
                out[i, j + 1] = _uniform(second[i], open_interval)
    for i in range(rows.shape[0]):
        counts[rows[i]] += _ONE
    return out


#: what :func:`open_where` puts where no number is needed: a number in (0, 1), so that ``log`` of
#: the whole array stays on numpy's fast path (NaN there would make it ~2x slower)
PLACEHOLDER = 0.5


@kernel
def open_where(key, counts, label, word, needed):  # pragma: no cover - compiled
    """``(n, R)``: element ``j`` of each row's draw, the open-interval uniform :func:`uniforms` gives
    it (same counters), where ``needed`` ``(n, R)`` (an element per row, a replicate per column) is
    True, :data:`PLACEHOLDER` elsewhere: each element has its own counter, so a needed one is the
    same number whichever others are needed. Every row's ``counts[r]`` is advanced by one. The
    Philox words of a pair of elements are made for every replicate at once (:func:`words`,
    vectorised), and not at all for a pair no replicate needs (a move no replicate may make this
    month); laid out a replicate per column, they are stored contiguously."""
    n, R = needed.shape
    out = np.full((n, R), PLACEHOLDER)
    first, second = np.empty(R, dtype=np.uint64), np.empty(R, dtype=np.uint64)
    for j in range(0, n, 2):
        if not (needed[j].any() or (j + 1 < n and needed[j + 1].any())):
            continue
        words(j, counts, label, word, key, first, second)
        for r in range(R):
            if needed[j, r]:
                out[j, r] = _open(first[r])
        if j + 1 < n:
            for r in range(R):
                if needed[j + 1, r]:
                    out[j + 1, r] = _open(second[r])
    for r in range(R):
        counts[r] += _ONE
    return out


@kernel
def gumbels(u):  # pragma: no cover - compiled
    """The standard Gumbel numbers ``-log(-log(u))`` of uniforms ``u`` (2-D, any layout) on (0, 1), with
    the C library's ``log``: the same bits on every CPU numpy runs on (numpy's own vectorised
    ``log``, used on CPUs with AVX-512, differs from it in the last bit for ~0.3 % of values)."""
    out = np.empty_like(u)
    for r in range(u.shape[0]):
        for j in range(u.shape[1]):
            out[r, j] = -np.log(-np.log(u[r, j]))
    return out


@kernel
def words(j, counts, label, word, key, first, second):  # pragma: no cover - compiled
    """Elements ``j`` and ``j + 1`` (``j`` even) of every row's draw as 53-bit numbers, into
    ``first`` and ``second`` ``(R,)`` (:func:`_pair` of each row's counter and key; one loop
    without branches, which the compiler vectorises)."""
    for r in range(counts.shape[0]):
        first[r], second[r] = _pair(j, counts[r], label, word, key[0, r], key[1, r])


@inlined_kernel
def _pair(j, count, label, word, k0, k1):  # pragma: no cover - compiled
    """The 53-bit numbers of elements ``j`` and ``j + 1`` (``j`` even): block ``j // 2``'s words
    ``(c0, c1)`` and ``(c2, c3)``, 27 bits of the first and 26 of the second."""
    c0, c1, c2, c3 = _block(np.uint64(j // 2), count, label, word, k0, k1)
    return (((c0 >> np.uint64(5)) << np.uint64(26)) | (c1 >> np.uint64(6)),
            ((c2 >> np.uint64(5)) << np.uint64(26)) | (c3 >> np.uint64(6)))


@inlined_kernel
def _uniform(bits, open_interval):  # pragma: no cover - compiled
    """A 53-bit number as a uniform on [0, 1), ``bits / 2**53``, or with ``open_interval`` on (0, 1)
    (:func:`_open`)."""
    return _open(bits) if open_interval else bits / _TWO_53


@inlined_kernel
def _open(bits):  # pragma: no cover - compiled
    """A 53-bit number as a uniform on the open (0, 1): ``(bits // 2 + 1/2) / 2**52``."""
    return ((bits >> _ONE) + 0.5) / _TWO_52
