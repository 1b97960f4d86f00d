"""Workarounds for defects of the Mesa release hedgesim runs on (Mesa 3.3.1), in one place.

**Every model ever built stays in memory** (Mesa issue #3179, projectmesa/mesa). ``mesa.Agent``
numbers its agents from a class-level ``defaultdict(itertools.count)`` keyed by model instance,
``Agent._ids``; the first agent a model creates adds the model as a key, and nothing ever removes it.
So no model, with its agents, arrays and recorded series, is ever freed: a sweep worker or a plain
``evaluate()`` loop grows with every run. Mesa fixed it upstream (PR #3180, in Mesa 3.4), but Mesa
3.4 and later require Python >= 3.12; on our Python 3.11, ``pip index versions mesa`` offers 3.3.1 as
the newest.

The workaround: :func:`install` swaps that dictionary for :class:`WeakModelCounters`, which hands
out the same per-model counters (ids still count from 1 within each model) but holds each model
weakly, so the entry goes away with the model. Nothing has to be called at the end of a run, whether
a caller uses ``run()``, steps by hand or drops a model half-way. :mod:`sim.model` installs it on
import. Remove this module when hedgesim moves to a Mesa release with the fix (``install`` already
leaves a registry it does not recognise alone).
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict
from typing import Any

import mesa


class WeakModelCounters(weakref.WeakKeyDictionary):
    """``model -> itertools.count(1)``, created on first use, forgotten when the model is freed."""

    def __getitem__(self, model: Any) -> itertools.count:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


def install() -> None:
    """Make ``mesa.Agent``'s id registry hold models weakly (Mesa issue #3179). Idempotent; keeps
    the counters of models that already have agents; leaves any other kind of registry alone."""
    registry = mesa.Agent.__dict__.get("_ids")
    if type(registry) is not defaultdict:
        return
    weak = WeakModelCounters()
    weak.update(registry)
    mesa.Agent._ids = weak


def registered_models() -> int:
    """How many models Mesa's agent-id registry holds now (for tests and benchmarks)."""
    return len(mesa.Agent._ids)
