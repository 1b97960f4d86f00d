"""The observed facts hedgesim is judged by: one row per dated, cited fact about 2008-2024.

The table ships inside the package (``sim/bundled/observed/``, found through
:mod:`importlib.resources`); its sources are keys of the project's bibliography (:mod:`sim.sources`).
docs/validation.md describes its columns;
:func:`load_observed` returns it checked and typed::

    from sim.observed import Kind, load_observed
    obs = load_observed()
    obs[obs.kind == Kind.CRISIS]          # start and end are sim.calendar.Month values

Facts only, each with its source (keys of :mod:`sim.sources`); a value that is known only roughly is
marked ``approximate`` and, where only bounds are safe, given as ``low``/``high`` without a point
value (Russia's share of Vietnam's arms imports, SIPRI). A malformed file is refused with one line
per problem, naming file, line and column (:class:`ObservedDataError`).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Collection, Iterable
from enum import StrEnum
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.bundled import OBSERVED_DIR
from sim.calendar import Month
from sim.scenario.loader import Problem, ScenarioError
from sim.scenario.schema import Tier
from sim.sources import BY_KEY

OBSERVED_FILE = "observed_2013_2024.csv"
COLUMNS = ("kind", "actor", "measure", "start", "end", "value", "low", "high", "unit", "approximate",
           "detail", "source")
KEY = ("kind", "actor", "measure", "start")  # what makes a fact one fact
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_YES_NO = {"yes": True, "no": False}
CellProblem = tuple[str, str]  # (column, message)


class Kind(StrEnum):
    """What a row records."""

    UPGRADE = "upgrade"  # Vietnam's partnership with ``actor`` reaches tier ``value`` (schema.Tier)
    CRISIS = "crisis"  # a maritime crisis with ``actor``: first and last month
    CONCESSION = "concession"  # Vietnam stepped down to end the crisis ``measure`` with ``actor``
    PACKAGE = "package"  # a package of agreements ``actor`` proposed: counts by ``measure``
    ASSURANCE = "assurance"  # an act of assurance by Vietnam toward ``actor``
    ARMS_SHARE = "arms_share"  # shares of arms supply between Vietnam and ``actor``
    TRADE = "trade"  # trade and investment ties with ``actor``
    RULE = "rule"  # a rule of Vietnam's own policy in force from ``start`` (Four Nos, One Depend)


class ObservedDataError(ScenarioError):
    """Everything wrong with the observed table, one ``FILE:LINE: column: message`` per line."""


def source_keys(cell: str) -> list[str]:
    """The citation keys of a ``source`` cell (``"VOA2023; Grossman2023"``)."""
    return [key.strip() for key in cell.split(";") if key.strip()]


def load_observed(path: str | Path | Traversable | None = None,
                  sources: Collection[str] | None = None) -> pd.DataFrame:
    """The observed facts, one row per fact, in file order.

    Columns: ``kind`` (categorical over the :class:`Kind` values), ``actor``, ``measure``, ``unit``,
    ``detail``, ``source`` (str), ``start`` (:class:`~sim.calendar.Month`), ``end`` (Month or
    None), ``value``, ``low``, ``high`` (float, NaN when not given), ``approximate`` (bool).
    Raises :class:`ObservedDataError` for a malformed table or a source key not in ``sources``
    (default: the project's bibliography, :data:`sim.sources.BY_KEY`).
    """
    file = OBSERVED_DIR / OBSERVED_FILE if path is None else path
    known = BY_KEY.keys() if sources is None else sources
    rows, problems = _read(file, COLUMNS)
    facts, seen = [], {}
    for line, raw in rows:
        fact, found = _fact(raw, known)
        problems += [Problem(str(file), line, column, message) for column, message in found]
        if fact is None:
            continue
        key = tuple(str(fact[c]) for c in KEY)
        if key in seen:
            problems.append(Problem(str(file), line, "", f"the same fact as line {seen[key]} "
                                    f"({', '.join(key)})"))
        seen.setdefault(key, line)
        facts.append((line, fact))
    problems += _unmatched_concessions(str(file), facts)
    if problems:
        raise ObservedDataError(problems)
    table = pd.DataFrame([fact for _, fact in facts], columns=list(COLUMNS))
    table["kind"] = pd.Categorical(table["kind"], categories=[k.value for k in Kind])
    return table


def _unmatched_concessions(where: str, facts: list[tuple[int, dict[str, Any]]]) -> list[Problem]:
    """A concession ends a crisis of the table: same actor and measure, inside its months."""
    crises = {(f["actor"], f["measure"]): f for _, f in facts if f["kind"] is Kind.CRISIS}
    problems = []
    for line, f in facts:
        if f["kind"] is not Kind.CONCESSION:
            continue
        crisis = crises.get((f["actor"], f["measure"]))
        if crisis is None:
            problems.append(Problem(where, line, "measure", f"no crisis {f['measure']!r} with "
                                    f"{f['actor']} for this concession to end"))
        elif not crisis["start"] <= f["start"] <= crisis["end"]:
            problems.append(Problem(where, line, "start", f"{f['start']} is outside the crisis "
                                    f"{crisis['start']}..{crisis['end']}"))
    return problems


def crisis_months(crises: pd.DataFrame) -> list[int]:
    """Each observed crisis's length in months, first to last month inclusive (rows of kind crisis)."""
    return [end.index - start.index + 1 for start, end in zip(crises["start"], crises["end"], strict=True)]


# ------------------------------------------------------------------------------------------ reading
Rows = list[tuple[int, dict[str, str]]]


def _read(file: str | Path | Traversable, header: Iterable[str]) -> tuple[Rows, list[Problem]]:
    """Rows of a CSV file with their line numbers; a wrong header is one problem on line 1."""
    where = str(file)
    source = Path(file) if isinstance(file, str) else file
    try:
        with source.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            wrong = _header_problem(reader.fieldnames or [], list(header))
            if wrong:
                return [], [Problem(where, 1, "header", wrong)]
            rows = []
            for row in reader:
                if None in row:
                    return rows, [Problem(where, reader.line_num, "", "more cells than columns")]
                rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    except FileNotFoundError:
        return [], [Problem(where, 0, "", "no such file")]
    except (UnicodeDecodeError, csv.Error) as exc:
        return [], [Problem(where, 0, "", f"not a readable CSV file ({exc})")]
    return rows, []


def _header_problem(columns: list[str], expected: list[str]) -> str:
    if columns == expected:
        return ""
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
    what = "; ".join(filter(None, [missing and f"missing {', '.join(missing)}",
                                   extra and f"unknown {', '.join(extra)}"]))
    return f"{what or 'columns out of order'} (expected: {', '.join(expected)})"


def _fact(raw: dict[str, str], sources: Collection[str]) -> tuple[dict[str, Any] | None, list[CellProblem]]:
    """One row typed, and what is wrong with it as ``(column, message)``."""
    problems: list[CellProblem] = []
    fact: dict[str, Any] = dict(raw)
    try:
        fact["kind"] = Kind(raw["kind"])
    except ValueError:
        problems.append(("kind", f"{raw['kind']!r} is not a kind (one of: {', '.join(Kind)})"))
    for column in ("actor", "measure"):
        if not _NAME.match(raw[column]):
            problems.append((column, f"{raw[column]!r} must be a lower-case name (letters, digits, _)"))
    for column in ("start", "end"):
        fact[column] = None
        if raw[column] or column == "start":
            try:
                fact[column] = Month.parse(raw[column])
            except ValueError as exc:
                problems.append((column, str(exc)))
    for column in ("value", "low", "high"):
        fact[column] = _number(raw[column], column, problems)
    if raw["approximate"] not in _YES_NO:
        problems.append(("approximate", f"{raw['approximate']!r} must be yes or no"))
    fact["approximate"] = _YES_NO.get(raw["approximate"], False)
    keys = source_keys(raw["source"])
    if not keys:
        problems.append(("source", "every fact needs a source (a key of sim/sources.py)"))
    problems += [("source", f"unknown source {k!r} (not in sim/sources.py)")
                 for k in keys if k not in sources]
    if not problems:
        problems += _consistency(fact)
    return (None if problems else fact), problems


def _number(text: str, column: str, problems: list[CellProblem]) -> float:
    if not text:
        return math.nan
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        problems.append((column, f"{text!r} is not a finite number"))
        return math.nan
    return number


def _consistency(fact: dict[str, Any]) -> list[CellProblem]:
    """Checks across the columns of a well-formed row."""
    problems = []
    start, end = fact["start"], fact["end"]
    if end is not None and end < start:
        problems.append(("end", f"{end} is before the start {start}"))
    if fact["kind"] is Kind.CRISIS and end is None:
        problems.append(("end", "a crisis needs its last month (its duration is one of the facts)"))
    value, low, high = fact["value"], fact["low"], fact["high"]
    if low > high:
        problems.append(("low", f"{low:g} is above high {high:g}"))
    if value < low or value > high:
        problems.append(("value", f"{value:g} is outside [{low:g}, {high:g}]"))
    if fact["kind"] is Kind.UPGRADE:
        tiers = [t.value for t in Tier if t is not Tier.NONE]
        if value not in tiers:
            problems.append(("value", f"an upgrade's value is the tier reached, one of {tiers}"))
    return problems
