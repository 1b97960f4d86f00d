"""Per-run outcomes: each declared :class:`Outcome` reduces one monthly series to one number.

Reducers work on an ``(R, months)`` array, so a lockstep model's R runs reduce in one call. Each
run's row is contiguous, so its sum is taken in the same order whatever R is: a run's outcome does
not depend on how many runs shared its chunk (bit for bit).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.calendar import Month
from sim.sweep.experiment import Outcome, Reducer

REDUCERS: dict[Reducer, Callable[[np.ndarray], np.ndarray]] = {
    Reducer.MEAN: lambda x: x.mean(axis=1),
    Reducer.MEDIAN: lambda x: np.median(x, axis=1),
    Reducer.MIN: lambda x: x.min(axis=1),
    Reducer.MAX: lambda x: x.max(axis=1),
    Reducer.FIRST: lambda x: x[:, 0].copy(),  # not a view: it would hold the whole window alive
    Reducer.LAST: lambda x: x[:, -1].copy(),
    Reducer.SUM: lambda x: x.sum(axis=1),
    Reducer.STD: lambda x: x.std(axis=1),
    Reducer.ANY: lambda x: (x != 0).any(axis=1).astype(float),
    Reducer.SHARE: lambda x: (x != 0).mean(axis=1),
}
assert set(REDUCERS) == set(Reducer), "every Reducer needs a function"


def reduce_outcomes(values: np.ndarray, columns: list[str], start: Month,
                    outcomes: dict[str, Outcome]) -> dict[str, np.ndarray]:
    """``values`` is ``(months, R, columns)`` from month ``start``; returns outcome -> ``(R,)``."""
    out = {}
    months = values.shape[0]
    for name, outcome in outcomes.items():
        first = 0 if outcome.since is None else start.months_until(outcome.since)
        last = months if outcome.until is None else max(0, start.months_until(outcome.until) + 1)
        column = values[max(first, 0):min(last, months), :, columns.index(outcome.series)]
        window = np.ascontiguousarray(column.T)  # (R, months), each run's row contiguous
        out[name] = REDUCERS[outcome.reduce](window) if window.shape[1] else np.full(values.shape[1], np.nan)
    return out
