"""Bounded-rational choice, as pure array functions (DESIGN.md, "Decision").

Scores have shape ``(R, M)``: R replicates, M candidate moves on the actor's menu. A forbidden move
scores ``-inf``. Choosing k moves by softmax with temperature, without replacement, is the
Gumbel-top-k trick (Kool, van Hoof & Welling 2019): add Gumbel noise to score/temperature, keep the
k largest. Every random number comes from the replicate streams passed in (the model's,
:mod:`sim.streams`), row r from replicate r's own generator.
"""

from __future__ import annotations

import numpy as np

from sim.streams import ReplicateStreams


def softmax(scores: np.ndarray, temperature: float | np.ndarray) -> np.ndarray:
    """Choice probabilities along the last axis; ``-inf`` scores get probability 0. A temperature
    per replicate is an ``(R, 1)`` array."""
    z = scores / temperature
    z = z - np.max(np.where(np.isfinite(z), z, -np.inf), axis=-1, keepdims=True)
    e = np.where(np.isfinite(z), np.exp(z), 0.0)
    return e / e.sum(axis=-1, keepdims=True)


def choose(scores: np.ndarray, temperature: float | np.ndarray, k: int,
           streams: ReplicateStreams) -> np.ndarray:
    """Pick ``k`` distinct candidates per replicate with softmax probabilities.

    Returns an int array ``(R, k)``; a slot is ``-1`` where fewer than k candidates were allowed.
    """
    noise = streams.gumbel(scores.shape)
    keyed = np.where(np.isfinite(scores), scores / temperature + noise, -np.inf)
    k = min(k, scores.shape[-1])
    order = np.argsort(-keyed, axis=-1, kind="stable")[..., :k]
    allowed = np.take_along_axis(np.isfinite(keyed), order, axis=-1)
    return np.where(allowed, order, -1)


def bernoulli(p: np.ndarray, streams: ReplicateStreams, where: np.ndarray | None = None) -> np.ndarray:
    """Independent yes/no draws with probabilities ``p`` ``(R, ...)``; False outside ``where``."""
    return streams.random(np.shape(p), where) < p


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
