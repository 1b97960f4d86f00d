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


def softmax(scores: np.ndarray, temperature: float | np.ndarray) -> np.ndarray:
    """Choice probabilities along the last axis; ``-inf`` scores get probability 0 (a row with no
    finite score: NaN). A temperature per replicate is an ``(R, 1)`` array. The scaled, shifted
    scores are compiled (:func:`_shifted`); ``exp`` and the row sums stay numpy's."""
    scores = np.asarray(scores, dtype=float)
    temperature = np.broadcast_to(np.asarray(temperature, dtype=float), scores.shape[:-1] + (1,))
    rows = np.ascontiguousarray(scores.reshape(-1, scores.shape[-1]))
    e = np.exp(_shifted(rows, np.ascontiguousarray(temperature.reshape(-1)))).reshape(scores.shape)
    return e / e.sum(axis=-1, keepdims=True)


@kernel
def _shifted(scores, temperature):  # pragma: no cover - compiled
    """``(R, M)``: ``z = scores / temperature`` per row, less the row's largest finite ``z``; ``-inf``
    where ``z`` is not finite (so that ``exp`` gives 0). Where ``z`` was finite, ``z - max`` is finite
    or, past the float range, ``-inf`` (``exp`` gives 0 either way)."""
    out = np.empty_like(scores)
    for r in range(scores.shape[0]):
        top = -np.inf
        for m in range(scores.shape[1]):
            z = scores[r, m] / temperature[r]
            out[r, m] = z
            if np.isfinite(z) and z > top:
                top = z
        for m in range(scores.shape[1]):
            z = out[r, m]
            out[r, m] = z - top if np.isfinite(z) else -np.inf
    return out


def choose(scores: np.ndarray, temperature: float | np.ndarray, k: int,
           stream: Stream) -> np.ndarray:
    """Pick ``k`` distinct candidates per replicate with softmax probabilities.

    Returns an int array ``(R, k)``; a slot is ``-1`` where fewer than k candidates were allowed.
    """
    noise = stream.gumbel(scores.shape)
    keyed = np.where(np.isfinite(scores), scores / temperature + noise, -np.inf)
    k = min(k, scores.shape[-1])
    order = np.argsort(-keyed, axis=-1, kind="stable")[..., :k]
    allowed = np.take_along_axis(np.isfinite(keyed), order, axis=-1)
    return np.where(allowed, order, -1)


def bernoulli(p: np.ndarray, stream: Stream, where: np.ndarray | None = None) -> np.ndarray:
    """Independent yes/no draws with probabilities ``p`` ``(R, ...)``; False outside ``where``."""
    return stream.random(np.shape(p), where) < p


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
    """Inclusion in two picks: after first pick ``j`` the second takes ``m`` with ``p_m / c_j``, where
    ``c_j = sum_{i != j} p_i`` is what the first pick left, so ``P(m) = p_m (1 + sum_{j != m} t_j)``
    with ``t_j = p_j / c_j`` (``0`` when nothing is left). Sums "over the others" of a row's largest
    value are taken directly, never as a total less that value: when it is close to 1, the
    subtraction would cancel the small ones."""
    rows = np.arange(p.shape[0])
    top = p.argmax(axis=1)
    left = p.sum(axis=1, keepdims=True) - p  # c_j; exact enough where p_j <= 1/2, i.e. not the top
    left[rows, top] = _others(p, rows, top)
    t = np.divide(p, left, out=np.zeros_like(p), where=left > 0)
    others_of_top = _others(t, rows, top)
    others = (others_of_top + t[rows, top])[:, None] - t  # sum_{j != m} t_j, m not the top
    others[rows, top] = others_of_top
    return np.minimum(p * (1.0 + others), 1.0)


def _others(x: np.ndarray, rows: np.ndarray, top: np.ndarray) -> np.ndarray:
    """``(R,)``: each row's sum without its ``top`` entry, summed directly."""
    rest = x.copy()
    rest[rows, top] = 0.0
    return rest.sum(axis=1)
