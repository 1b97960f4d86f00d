"""Runs of different design points in one lockstep block.

A lockstep block (:class:`sim.model.HedgingModel` with several replicates) advances many runs
through the same array code. Every *coefficient* — a float of a parameter table that is not
structural (:func:`sim.coefficients.coef`), a start value of a state, ``effects_scale``, a random
event's monthly rate — is compiled to an ``(R,)`` array, so it may differ per replicate: runs of
different design points share a block. Everything else is *structure* and must agree across a
block: the states present, the rules in force and their switches, the events, integers (tiers,
moves per month, package sizes), the calendar. :func:`structure_key` says which runs can share one.

A design is planned as arrays, not one Scenario per point: a base scenario per structure group and
a ``(runs, coefficients)`` table of values. A block is built from its base and its columns of values
(:func:`varied`: compiled straight into the arrays, no scenario per run); :func:`vary` makes the
per-run scenarios where one is wanted alone. Values are checked column by column against the
fields' bounds (:func:`coefficient_problems`), as the scenario loader would check them one by one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.coefficients import Varied, _bounds, _is_float
from sim.scenario.schema import RandomEventSpec, Scenario

#: Scenario fields that say where a run came from, not how it behaves (never part of the structure)
PROVENANCE = ("name", "description", "seed", "source_file")


# ------------------------------------------------------------------------------------------ fields
def _child(node: Any, part: str) -> tuple[Any, FieldInfo | None]:
    """The value under ``part`` of a scenario node, and its pydantic field (None inside a mapping)."""
    if isinstance(node, BaseModel):
        info = type(node).model_fields.get(part)
        if info is None:
            raise KeyError(part)
        return getattr(node, part), info
    if isinstance(node, Mapping):
        for key in node:
            if str(getattr(key, "value", key)) == part:
                return node[key], None
    raise KeyError(part)


def coefficient_field(scenario: Scenario, path: str) -> FieldInfo | None:
    """The field at dotted ``path`` if it is a coefficient (a float that may differ per replicate
    of a block), else None (structure, or a path that names no value)."""
    node: Any = scenario
    info: FieldInfo | None = None
    try:
        for part in path.split("."):
            node, info = _child(node, part)
    except KeyError:
        return None
    return info if info is not None and _is_float(info) else None


def coefficient_problems(scenario: Scenario, path: str, values: np.ndarray) -> list[tuple[int, str]]:
    """What the scenario would refuse among ``values`` for the coefficient at ``path``, checked as
    one array: ``(first offending row, message)`` for non-finite and out-of-range values, worded
    as the loader words them."""
    info = coefficient_field(scenario, path)
    if info is None:
        raise KeyError(f"{path} is not a coefficient")
    values = np.asarray(values, dtype=float)
    low, high = _bounds(info)
    checks = [(~np.isfinite(values), "Input should be a finite number")]
    if low is not None:
        checks.append((values < low, f"Input should be greater than or equal to {low:g}"))
    if high is not None:
        checks.append((values > high, f"Input should be less than or equal to {high:g}"))
    out = []
    for bad, why in checks:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            out.append((row, f"{why}, got {values[row]!r}"))
    return out


# ------------------------------------------------------------------------------------------ structure
def structure_key(scenario: Scenario) -> tuple:
    """Everything two scenarios must share to run in one lockstep block: the scenario with every
    coefficient (and its provenance) left out. Equal keys, one block."""
    return tuple((name, _structure(getattr(scenario, name))) for name in type(scenario).model_fields
                 if name not in PROVENANCE and not _is_float(type(scenario).model_fields[name]))


def _structure(value: Any) -> Any:
    if isinstance(value, RandomEventSpec):  # its rate and severity range are per-replicate arrays
        return (type(value).__name__, value.duration, value.actor)
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return (type(value).__name__, *((name, _structure(getattr(value, name))) for name in fields
                                        if not _is_float(fields[name])))
    if isinstance(value, Mapping):
        return tuple((str(k), _structure(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(_structure(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def check_block(scenarios: Sequence[Scenario]) -> None:
    """Refuse scenarios that cannot share a lockstep block, naming the first difference."""
    first = structure_key(scenarios[0])
    for i, scenario in enumerate(scenarios[1:], start=1):
        key = structure_key(scenario)
        if key != first:
            where = next((a[0] for a, b in zip(first, key, strict=False) if a != b), "structure")
            raise ValueError(f"scenario {i} differs from scenario 0 in its structure ({where}): runs with "
                             "different states, rules, events or integer parameters need separate blocks")


# ------------------------------------------------------------------------------------------ varying
def check_varying(base: Scenario, varying: Mapping[str, np.ndarray]) -> int:
    """Refuse a varying path that is not a coefficient of ``base``, or columns of unequal lengths;
    returns the number of replicates (rows)."""
    for path in varying:
        if coefficient_field(base, path) is None:
            raise ValueError(f"{path}: not a coefficient of the scenario (structure goes into the base)")
    lengths = {len(np.asarray(v)) for v in varying.values()}
    if len(lengths) > 1:
        raise ValueError("every varying column needs one value per replicate")
    return lengths.pop() if lengths else 0


def node_at(scenario: Scenario, path: str) -> Any:
    """The value at dotted ``path`` of a scenario (a table, a mapping or a number)."""
    node: Any = scenario
    for part in path.split("."):
        node, _ = _child(node, part)
    return node


def varied(base: Scenario, varying: Mapping[str, np.ndarray], path: str) -> Any:
    """The table at dotted ``path`` of ``base`` for a block whose coefficients ``varying`` (dotted
    path -> ``(R,)`` values, checked: :func:`check_varying`) are set per replicate: the table itself
    where no varying path lies under it, else a :class:`~sim.coefficients.Varied` of it, which
    compiles to the same arrays as one table per replicate would (:func:`vary`) without building
    them."""
    table = node_at(base, path)
    under = {p[len(path) + 1:]: v for p, v in varying.items() if p.startswith(path + ".")}
    return _varied(table, under, len(next(iter(varying.values())))) if under else table


def _varied(table: Any, columns: Mapping[str, np.ndarray], replicates: int) -> Varied:
    nested: dict[str, dict[str, np.ndarray]] = {}
    out: dict[str, Any] = {}
    for relative, values in columns.items():
        head, _, rest = relative.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = values
        else:
            out[head] = np.asarray(values, dtype=float)
    for head, sub in nested.items():
        out[head] = _varied(_child(table, head)[0], sub, replicates)
    return Varied(table, out, replicates)


def column(base: Scenario, varying: Mapping[str, np.ndarray], path: str, replicates: int) -> np.ndarray:
    """``(R,)``: the coefficient at dotted ``path``, per replicate where it varies, else the base's."""
    if path in varying:
        return np.asarray(varying[path], dtype=float)
    return np.full(replicates, float(node_at(base, path)))


def vary(base: Scenario, varying: Mapping[str, np.ndarray]) -> list[Scenario]:
    """One scenario per row of ``varying`` (dotted coefficient path -> ``(R,)`` values): ``base``
    with those values set. The values must already be checked (:func:`coefficient_problems`):
    they are set without validation. A lockstep block does not need them (:func:`varied`)."""
    paths = list(varying)
    rows = check_varying(base, varying)
    columns = [np.asarray(varying[p], dtype=float) for p in paths]
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = path
    return [_updated(base, tree, {p: float(c[r]) for p, c in zip(paths, columns, strict=True)})
            for r in range(rows)]


def _updated(node: Any, tree: dict[str, Any], values: dict[str, float]) -> Any:
    """``node`` with the leaves of ``tree`` (part -> subtree or dotted path) set from ``values``."""
    changes = {}
    for part, sub in tree.items():
        child, _ = _child(node, part)
        changes[part] = values[sub] if isinstance(sub, str) else _updated(child, sub, values)
    if isinstance(node, BaseModel):
        return node.model_copy(update=changes)
    out = dict(node)
    for key in node:
        name = str(getattr(key, "value", key))
        if name in changes:
            out[key] = changes[name]
    return out
