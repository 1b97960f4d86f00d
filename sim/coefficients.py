"""Named, sourced coefficients, and their compilation into per-replicate arrays.

Every number that shapes behaviour is declared once, next to the behaviour that uses it, with
:func:`coef`: a default, a range, one line of meaning and a source (a citation key of
docs/references.md, e.g. ``[Thayer2011]``) or the tag ``calibrated`` (an assumption to be
estimated). A group of coefficients is a frozen pydantic model (a *table*), so a scenario sets any
of them by dotted path (``agents.china.ladder.force``) and the loader checks it like any parameter:
unknown names get the nearest valid one, non-finite or out-of-range values a FILE:LINE error.

Behaviour code never reads a coefficient as a Python float: :func:`compile_params` turns a table
(or one table per replicate) into :class:`Arrays` whose float entries are numpy arrays with a
leading replicate axis ``(R,)``. Today every replicate of a model shares one scenario, so the
arrays are its scalars broadcast; runs of different design points can share a lockstep block by
filling them per replicate. Integers, booleans and text are *structure* (menu sizes, rule
switches): they stay scalars and must agree across a block.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo

from sim.scenario.schema import Frozen

CALIBRATED = "calibrated"


def coef(default: float, low: float, high: float, meaning: str, source: str = CALIBRATED, *,
         structural: bool = False) -> Any:
    """A coefficient field: ``name: float = coef(0.5, 0, 5, "what it means", "[Kuik2021]")``.

    ``structural`` marks a number that sets the shape of something (how many agreements of each
    kind a package has): it stays a scalar and must agree across a lockstep block.
    """
    if not low <= default <= high:
        raise ValueError(f"default {default} outside its range [{low}, {high}]")
    return Field(float(default), ge=low, le=high, allow_inf_nan=False, description=meaning,
                 json_schema_extra={"source": source, "structural": structural})


def count(default: int, low: int, high: int, meaning: str, source: str = CALIBRATED) -> Any:
    """An integer parameter (a tier, a number of moves): structure, a scalar shared by a block."""
    return Field(default, ge=low, le=high, description=meaning, json_schema_extra={"source": source})


def signed_range(value: float, factor: float = 3.0, zero_span: float = 1.0) -> tuple[float, float]:
    """A range that keeps a coefficient's sign (its direction comes from theory; its size is
    calibrated): ``[0, factor * v]`` or ``[factor * v, 0]``; ``[-zero_span, zero_span]`` for 0."""
    if value == 0:
        return -zero_span, zero_span
    return (0.0, factor * value) if value > 0 else (factor * value, 0.0)


def table(name: str, doc: str, entries: dict[str, Any], module: str) -> type[Frozen]:
    """A table built from data: ``entries`` maps a name to a :func:`coef` field or a nested table.

    The class is made an attribute of ``module`` (the caller's ``__name__``) so that scenarios
    holding it pickle (process pools, Dask)."""
    fields: dict[str, Any] = {}
    for key, entry in entries.items():
        if isinstance(entry, type) and issubclass(entry, BaseModel):
            fields[key] = (entry, Field(default_factory=entry))
        else:
            fields[key] = (float, entry)
    model = create_model(name, __base__=Frozen, __module__=module, **fields)
    model.__doc__ = doc
    setattr(sys.modules[module], name, model)
    return model


# ------------------------------------------------------------------------------------------ compiling
class Arrays:
    """A compiled table: float fields as ``(R,)`` arrays, nested tables as :class:`Arrays`, the
    rest (structure) as the plain value. Read-only."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("compiled coefficients are read-only")

    def __repr__(self) -> str:
        return f"Arrays({', '.join(self.__dict__)})"


def _is_float(info: FieldInfo) -> bool:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return info.annotation is float and not extra.get("structural", False)


@dataclass(frozen=True)
class Varied:
    """``replicates`` tables that are ``base`` with some coefficients set per replicate, without a
    table per replicate: ``columns`` maps a field to its ``(R,)`` values, or a nested table's field
    to the :class:`Varied` of that table (:func:`sim.blocks.varied`). The values must be checked
    already (:func:`sim.blocks.coefficient_problems`)."""

    base: BaseModel
    columns: dict[str, Any]  # field -> (R,) values | Varied
    replicates: int


def compile_params(params: BaseModel | Sequence[BaseModel] | Varied, replicates: int = 1) -> Arrays:
    """One table, or one per replicate (same structure), as arrays with a leading replicate axis.

    A single table gives ``(replicates,)`` arrays of its values; a sequence gives one row per table;
    a :class:`Varied` table, the base's arrays with its columns set. Structural values (int, bool,
    text) must agree across the sequence.
    """
    if isinstance(params, Varied):
        return _compile_varied(params)
    tables = [params] if isinstance(params, BaseModel) else list(params)
    first = tables[0]
    R = replicates if isinstance(params, BaseModel) else len(tables)
    if len(tables) > 1 and all(t is first for t in tables):
        return compile_params(first, R)  # a table no replicate changed (sim.blocks.vary shares it)
    out: dict[str, Any] = {}
    for name, info in type(first).model_fields.items():
        values = [getattr(t, name) for t in tables]
        if isinstance(values[0], BaseModel):
            out[name] = compile_params(values if len(values) > 1 else values[0], R)
        elif _is_float(info):
            row = np.asarray(values, dtype=float)
            arr = np.full(R, row[0]) if len(values) == 1 else row
            arr.setflags(write=False)
            out[name] = arr
        else:
            if any(v != values[0] for v in values[1:]):
                raise ValueError(f"{name!r} is structure and must agree across a block")
            out[name] = values[0]
    return Arrays(out)


def structure_table(params: BaseModel | Sequence[BaseModel] | Varied) -> BaseModel:
    """The table a block's structure (switches, integers, dates) is read from: the table, the first
    of one per replicate (they agree on it), or the base of a :class:`Varied`."""
    if isinstance(params, Varied):
        return params.base
    return params if isinstance(params, BaseModel) else params[0]


def compile_block(params: BaseModel | Sequence[BaseModel] | Varied, replicates: int) -> Arrays:
    """:func:`compile_params` of a block's tables: one table broadcast to ``replicates``, one per
    replicate, or a :class:`Varied`."""
    if isinstance(params, Sequence) and len(params) == 1:
        params = params[0]
    return compile_params(params, replicates)


def _compile_varied(varied: Varied) -> Arrays:
    """The base table compiled for ``varied.replicates`` runs, each column set to its values."""
    out = dict(compile_params(varied.base, varied.replicates).__dict__)
    for name, column in varied.columns.items():
        if isinstance(column, Varied):
            out[name] = _compile_varied(column)
            continue
        arr = np.array(column, dtype=float)
        if arr.shape != (varied.replicates,):
            raise ValueError(f"{name}: {arr.shape} values for {varied.replicates} replicates")
        arr.setflags(write=False)
        out[name] = arr
    return Arrays(out)


# ------------------------------------------------------------------------------------------ listing
@dataclass(frozen=True)
class Row:
    """One coefficient as the generated reference lists it."""

    path: str
    default: Any
    low: float | None
    high: float | None
    meaning: str
    source: str


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for m in info.metadata:
        low = getattr(m, "ge", getattr(m, "gt", low))
        high = getattr(m, "le", getattr(m, "lt", high))
    return low, high


def rows(model: type[BaseModel], prefix: str) -> Iterator[Row]:
    """Every numeric field of ``model`` (recursively), as ``prefix.name`` rows."""
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}"
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from rows(ann, path)
            continue
        if ann not in (float, int) or info.default is None:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        low, high = _bounds(info)
        yield Row(path, info.default, low, high, info.description or "", str(extra.get("source", "")))
