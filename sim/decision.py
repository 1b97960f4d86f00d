"""Bounded-rational choice, as pure array functions (DESIGN.md, "Decision").

Scores have shape ``(R, M)``: R replicates, M candidate moves on the actor's menu. A forbidden move
scores ``-inf``. Choosing k moves by softmax with temperature, without replacement, is the
Gumbel-top-k trick (Kool, van Hoof & Welling 2019): add Gumbel noise to score/temperature, keep the
k largest. Every random number comes from the stream passed in (one of the model's,
:mod:`sim.streams`, named for its purpose), row r from replicate r's own keys.
"""

from __future__ import annotations

import numpy as np

from sim.streams import Stream


def softmax(scores: np.ndarray, temperature: float | np.ndarray) -> np.ndarray:
    """Choice probabilities along the last axis; ``-inf`` scores get probability 0. A temperature
    per replicate is an ``(R, 1)`` array."""
    z = scores / temperature
    z = z - np.max(np.where(np.isfinite(z), z, -np.inf), axis=-1, keepdims=True)
    e = np.where(np.isfinite(z), np.exp(z), 0.0)
    return e / e.sum(axis=-1, keepdims=True)


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
    return 1.0 / (1.0 + np.exp(-x))


def inclusion(p: np.ndarray, k: int) -> np.ndarray:
    """``(R, M)``: the probability that each candidate is among ``k`` picks drawn as :func:`choose`
    draws them — without replacement, each pick by softmax probabilities ``p`` renormalised over
    what is left (Gumbel-top-k is successive sampling, Kool et al. 2019).

    Exact, by recursion on the first pick: ``P(m) = p_m + sum_j p_j P_{k-1}(m | j taken)``. The cost
    grows as ``M^(k-1)`` array operations; candidates no replicate can pick are skipped.
    """
    p = np.asarray(p, dtype=float)
    if k <= 1:
        return p.copy()
    out = p.copy()
    for j in np.flatnonzero((p > 0).any(axis=0)):
        rest = p.copy()
        rest[:, j] = 0.0
        total = rest.sum(axis=1, keepdims=True)
        left = np.divide(rest, total, out=np.zeros_like(rest), where=total > 0)
        out += p[:, [j]] * inclusion(left, k - 1)
    return np.minimum(out, 1.0)
