"""The crisis records of a run: when each crisis started and ended, who started it (China's choice
or an event), who ended it (China withdrew, Vietnam conceded) and the terms that decided each choice.

Records are kept as arrays, one batch per call (the replicates a month's choice or event touched),
so a month costs a few array operations whatever the number of replicates in crisis; the table and
the terms' text are made only when read (:meth:`CrisisLog.table`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TOP_TERMS = 3  # terms named in a crisis record (a reporting definition)
COLUMNS = ("replicate", "start", "end", "started_by", "ended_by", "start_terms", "end_terms")


class TopTerms:
    """The ``TOP_TERMS`` largest terms of a decision by size (ties in the terms' order), for the
    replicates ``rows``; a replicate's text (``"a +0.40; b -0.20; ..."``) is written when read, so
    a run that never asks for its crisis table formats nothing. A term is ``(R,)`` or one value."""

    def __init__(self, terms: dict[str, np.ndarray], rows: np.ndarray) -> None:
        self.names = list(terms)
        values = np.stack([np.ravel(v)[rows] if np.size(v) > 1 else np.repeat(np.ravel(v)[:1], len(rows))
                           for v in terms.values()])
        self.ranked = np.argsort(-np.abs(values), axis=0, kind="stable")[:TOP_TERMS]
        self.top = np.take_along_axis(values, self.ranked, axis=0)

    def text(self, j: int) -> str:
        """The terms of the ``j``-th replicate of ``rows``, signed."""
        return "; ".join(f"{self.names[i]} {float(v):+.2f}" for i, v in zip(self.ranked[:, j], self.top[:, j],
                                                                           strict=True))


def top_terms(terms: dict[str, np.ndarray], rows: np.ndarray) -> list[str]:
    """The texts of :class:`TopTerms` for each replicate in ``rows``."""
    ranked = TopTerms(terms, rows)
    return [ranked.text(j) for j in range(len(rows))]


@dataclass(frozen=True)
class _Ended:
    """The crises one call ended: replicates ``rows``, their starts, and the month and terms of the end."""

    rows: np.ndarray
    start_step: np.ndarray
    by_china: np.ndarray  # started by China's choice (else by an event)
    start_terms: np.ndarray  # index into CrisisLog's batches of terms, -1: none (an event)
    start_column: np.ndarray  # the replicate's column in that batch
    end_step: int
    ended_by: str
    end_terms: int


class CrisisLog:
    """Every crisis of a run's ``replicates``: at most one open per replicate."""

    def __init__(self, replicates: int) -> None:
        self.open = np.zeros(replicates, dtype=bool)  # (R,): a crisis record is open
        self._start_step = np.zeros(replicates, dtype=np.int64)
        self._by_china = np.zeros(replicates, dtype=bool)
        self._start_terms = np.full(replicates, -1, dtype=np.int64)
        self._start_column = np.zeros(replicates, dtype=np.int64)
        self._terms: list[TopTerms] = []  # each call's terms, for the replicates it touched
        self._ended: list[_Ended] = []
        self._dates: dict[int, str] = {}  # step -> its month, for the steps that logged something

    def start(self, where: np.ndarray, step: int, date: str, terms: dict[str, np.ndarray] | None) -> None:
        """Open a record where ``where`` is True and none is open: started by China's choice (with the
        terms that decided it) or by an event (``terms`` None)."""
        rows = np.flatnonzero(where & ~self.open)
        if not len(rows):
            return
        self.open[rows] = True
        self._dates[step] = date
        self._start_step[rows] = step
        self._by_china[rows] = terms is not None
        self._start_terms[rows] = self._add_terms(terms, rows) if terms is not None else -1
        self._start_column[rows] = np.arange(len(rows))

    def end(self, where: np.ndarray, step: int, date: str, by: str, terms: dict[str, np.ndarray]) -> None:
        """Close the open records where ``where`` is True: who stepped down and the terms that decided it."""
        rows = np.flatnonzero(where & self.open)
        if not len(rows):
            return
        self.open[rows] = False
        self._dates[step] = date
        self._ended.append(_Ended(rows, self._start_step[rows], self._by_china[rows], self._start_terms[rows],
                                  self._start_column[rows], step, by, self._add_terms(terms, rows)))

    def _add_terms(self, terms: dict[str, np.ndarray], rows: np.ndarray) -> int:
        self._terms.append(TopTerms(terms, rows))
        return len(self._terms) - 1

    def _start(self, step: int, by_china: bool, batch: int, column: int) -> tuple[str, str, str]:
        """A record's start month, who started it, and the terms (none for an event)."""
        return (self._dates[step], "china" if by_china else "event",
                self._terms[batch].text(column) if batch >= 0 else "")

    def table(self) -> pd.DataFrame:
        """One row per crisis (:data:`COLUMNS`), by replicate and start; an open one has no end."""
        records = []
        for e in self._ended:
            end, terms = self._dates[e.end_step], self._terms[e.end_terms]
            for j, r in enumerate(e.rows.tolist()):
                start = self._start(int(e.start_step[j]), e.by_china[j], int(e.start_terms[j]),
                                    int(e.start_column[j]))
                records.append((r, start[0], end, start[1], e.ended_by, start[2], terms.text(j)))
        for r in np.flatnonzero(self.open).tolist():
            start = self._start(int(self._start_step[r]), self._by_china[r], int(self._start_terms[r]),
                                int(self._start_column[r]))
            records.append((r, start[0], "", start[1], "", start[2], ""))
        df = pd.DataFrame(records, columns=list(COLUMNS))
        return df.sort_values(["replicate", "start"], kind="stable").reset_index(drop=True)

