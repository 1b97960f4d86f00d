"""The results directory of a sweep, written as runs finish.

    RESULTS/
      .hedgesim                the marker: a results directory hedgesim wrote (sim.outputs)
      experiment.json          the resolved experiment, design, versions and hashes (written first)
      runs/part-*.parquet      one row per run: ids, seed, parameter values, outcomes
      series/part-*.parquet    one row per run and month: the stored monthly columns
      quarantine/              parts found unreadable or inconsistent, moved aside (never deleted)

Each finished chunk becomes one part in each table, written to a temporary name and renamed into
place (atomic on POSIX). The series part is renamed first and the runs part last, so a runs part
marks a chunk as done: on resume, a series part without its runs part (a crash between the two
renames) is removed and its runs are done again. Nothing finished is ever rewritten.

Before a part is trusted it is verified (:meth:`ResultStore.verify`): readable, its run ids within
the experiment, none listed twice or already in an earlier part, and its series part holding the
same runs. A part that fails is moved to ``quarantine/`` with a one-line note, and its runs are run
again by ``--resume``: a run is never counted twice.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.outputs import (
    ANALYSIS_LAYOUT,
    OutputRefusedError,
    UnreadableOutputError,
    foreign_entries,
    hold_lock,
    remove_stale_staging,
)

RUNS, SERIES, EXPERIMENT, QUARANTINE, LOCK = "runs", "series", "experiment.json", "quarantine", ".lock"
ANALYSIS = "analysis"
LEGACY_STAGING = re.compile(r"\.analysis\.[a-z0-9_]{8}")  # tempfile.mkdtemp's names
#: the series table's columns worth a dictionary: the run's id, the month and its date repeat; the
#: monthly values rarely do, and encoding them costs twice the time of the whole write (measured on
#: a part of 1,024 runs of the replay: 0.093 s with every column, 0.045 s with these three, 0.4 %
#: larger)
SERIES_KEYS = ("run", "step", "date")
PART_NAME = re.compile(r"part-\d{9}-\d{5}\.parquet")
#: experiment.json's arrays with one element per design point (written as :class:`JsonRows`),
#: which :meth:`ResultStore.header` skips
PER_POINT = ("design", "sample")
_DECODER = json.JSONDecoder()


class DirectoryBusyError(OutputRefusedError):
    """Another sweep holds the results directory."""


@dataclass(frozen=True)
class JsonRows:
    """A long JSON array of experiment.json (one element per design point: the design's rows, the
    sample's rows) given as batches of rows made on demand. :meth:`ResultStore.write_metadata` writes
    each batch and drops it, so the file is written in memory that does not grow with the design:
    ``json.dumps(..., indent=2)`` of the whole array held ~2.7 KB per design point at once (its
    chunks, then its text; README, "Memory"). Only as a top-level value of the metadata."""

    batches: Callable[[], Iterator[list[Any]]]


class ResultStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.good_parts: list[str] | None = None  # verified part names (None: not verified yet)
        self.problems: list[str] = []  # one line per part skipped or quarantined

    @property
    def runs_dir(self) -> Path:
        return self.root / RUNS

    @property
    def series_dir(self) -> Path:
        return self.root / SERIES

    # --------------------------------------------------------------------------------- metadata
    def exists(self) -> bool:
        return (self.root / EXPERIMENT).is_file()

    def write_metadata(self, meta: dict[str, Any]) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.series_dir.mkdir(parents=True, exist_ok=True)
        _atomic(self.root / EXPERIMENT, lambda tmp: _write_json(meta, tmp))

    def metadata(self) -> dict[str, Any]:
        """experiment.json; UnreadableOutputError (one line) when it is not what a sweep wrote."""
        path = self.root / EXPERIMENT
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise UnreadableOutputError(f"{path}: unreadable ({exc.reason}); "
                                        "not an experiment.json written by hedgesim sweep") from None
        except json.JSONDecodeError as exc:
            raise UnreadableOutputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); the file "
                                        "is damaged: start again with --force or use another --out") from None
        return _required(meta, path)

    def header(self) -> dict[str, Any]:
        """experiment.json without its arrays of one element per design point (:data:`PER_POINT`,
        given as None), read a line at a time in the layout :meth:`write_metadata` writes: what a
        resume checks and a verification needs (hashes, versions, the run total), in memory that
        does not grow with the design. A file in another layout, or damaged, is read whole
        (:meth:`metadata`, which names what is wrong)."""
        path = self.root / EXPERIMENT
        try:
            meta = _read_header(path)
        except (UnicodeDecodeError, json.JSONDecodeError):
            meta = None
        if meta is None:
            return {k: None if k in PER_POINT else v for k, v in self.metadata().items()}
        return _required(meta, path)

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the directory for one sweep: a second sweep on it fails at once instead of writing
        the same runs twice (an advisory ``flock``, released when the process ends)."""
        return hold_lock(self.root / LOCK, f"{self.root} is being written by another sweep "
                         "(wait for it to finish, or use another --out)", DirectoryBusyError)

    # --------------------------------------------------------------------------------- chunks
    def write_chunk(self, runs: pd.DataFrame, series: pd.DataFrame) -> None:
        """Write one finished chunk: series part first, runs part (the 'done' mark) last."""
        name = f"part-{int(runs['run'].min()):09d}-{len(runs):05d}.parquet"  # PART_NAME
        _atomic_parquet(series, self.series_dir / name, dictionary=SERIES_KEYS)
        _atomic_parquet(runs, self.runs_dir / name)

    def tidy(self) -> None:
        """Remove leftovers of an interrupted sweep or analysis (call with the lock held): temporary
        parts, series parts whose runs part never came, and a killed analysis's staging folder."""
        for tmp in list(self.runs_dir.glob(".*.tmp")) + list(self.series_dir.glob(".*.tmp")):
            tmp.unlink()
        done_parts = {p.name for p in self.runs_dir.glob("part-*.parquet")}
        for orphan in self.series_dir.glob("part-*.parquet"):
            if orphan.name not in done_parts:
                orphan.unlink()
        remove_stale_staging(self.root, ANALYSIS)
        for legacy in self.root.glob(".analysis.*"):  # left by versions before sim.outputs
            if LEGACY_STAGING.fullmatch(legacy.name) and legacy.is_dir() and not legacy.is_symlink() \
                    and not foreign_entries(legacy, ANALYSIS_LAYOUT):
                shutil.rmtree(legacy, ignore_errors=True)

    def done_runs(self, total_runs: int | None = None) -> set[int]:
        """Run ids with a finished, verified chunk (call with the lock held): first tidies, then
        quarantines every part that fails :meth:`verify`."""
        self.tidy()
        return self.verify(quarantine=True, total_runs=total_runs)

    def check(self) -> None:
        """Verify the parts before reading them: bad parts are quarantined when no sweep is writing
        here, and only skipped (with a note) while one is."""
        try:
            with self.lock():
                self.tidy()
                self.verify(quarantine=True)
        except DirectoryBusyError:
            self.verify(quarantine=False)

    def verify(self, *, quarantine: bool, total_runs: int | None = None) -> set[int]:
        """Check every runs part and its series part; keep the good ones (``good_parts``), note and
        (``quarantine``) move aside the rest. Returns the run ids of the good parts. ``total_runs``:
        the experiment's, when the caller knows it (a sweep does: it saves reading experiment.json,
        whose design grows with the runs); otherwise read from experiment.json."""
        total = int(self.header()["total_runs"]) if total_runs is None else total_runs
        done: set[int] = set()
        self.good_parts, self.problems = [], []
        for part in sorted(self.runs_dir.glob("part-*.parquet"), key=_trust_order):
            ids, reason = self._part_runs(part.name, total, done)
            if reason is None:
                self.good_parts.append(part.name)
                done.update(ids)
            elif quarantine:
                self._quarantine(part.name)
                self.problems.append(f"quarantined {RUNS}/{part.name}: {reason}; moved to {QUARANTINE}/, "
                                     "its runs are run again on --resume")
            else:
                self.problems.append(f"skipped {RUNS}/{part.name}: {reason}")
        return done

    def _part_runs(self, name: str, total: int, done: set[int]) -> tuple[list[int], str | None]:
        """The run ids of one part, and why it cannot be trusted (None when it can)."""
        try:
            ids = pq.read_table(self.runs_dir / name).column("run").to_pylist()
            series_runs = pq.read_table(self.series_dir / name, columns=["run"]).column("run")
            series_ids = set(pc.unique(series_runs).to_pylist())  # a run's months: one id, once
        except FileNotFoundError:
            return [], "its series part is missing"
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            return [], f"unreadable ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        if not ids:
            return [], "it holds no runs"
        if len(set(ids)) < len(ids):
            return [], "it lists a run twice"
        if not all(isinstance(i, int) and 0 <= i < total for i in ids):
            return [], f"it holds run ids outside 0..{total - 1}"
        repeated = sorted(done.intersection(ids))
        if repeated:
            return [], f"run {repeated[0]} is already in an earlier part ({len(repeated)} repeated)"
        if series_ids != set(ids):
            return [], "its series part holds other runs"
        return ids, None

    def _quarantine(self, name: str) -> None:
        folder = self.root / QUARANTINE
        folder.mkdir(exist_ok=True)
        for table, source in ((RUNS, self.runs_dir / name), (SERIES, self.series_dir / name)):
            if source.exists():
                target = folder / f"{table}-{name}"
                n = 1
                while target.exists():
                    n += 1
                    target = folder / f"{table}-{name.removesuffix('.parquet')}-{n}.parquet"
                os.rename(source, target)

    # --------------------------------------------------------------------------------- reading
    def _parts(self) -> list[str]:
        if self.good_parts is None:
            self.verify(quarantine=False)
        assert self.good_parts is not None
        return self.good_parts

    def runs(self) -> pd.DataFrame:
        """Every finished, verified run, ordered by run id."""
        df = _read_parts(self.runs_dir, self._parts())
        return df.sort_values("run", kind="stable").reset_index(drop=True)

    def series(self, columns: list[str] | None = None, runs: np.ndarray | None = None) -> pd.DataFrame:
        """The monthly table, ordered by run and step (``columns``: read only these; ``runs``: only
        these runs, kept part by part as each is read, so memory follows what is kept)."""
        cols = None if columns is None else list(dict.fromkeys(["run", "step", "date", *columns]))
        df = _read_parts(self.series_dir, self._parts(), cols, runs)
        return df.sort_values(["run", "step"], kind="stable").reset_index(drop=True)


def _required(meta: Any, path: Path) -> dict[str, Any]:
    """``meta`` if it holds what every experiment.json holds; else UnreadableOutputError."""
    missing = [k for k in ("experiment", "experiment_hash", "total_runs", "design") if
               not isinstance(meta, dict) or k not in meta]
    if missing:
        raise UnreadableOutputError(f"{path}: missing {', '.join(missing)}; not an experiment.json "
                                    "written by hedgesim sweep")
    return meta


def _read_header(path: Path) -> dict[str, Any] | None:
    """experiment.json's top-level values, each :data:`PER_POINT` array skipped line by line (None),
    as :func:`_write_json` lays them out: ``{``, then each key on a line of its own indented by two
    spaces (every deeper line is indented further, and no JSON string holds a newline), then ``}``.
    None when the file is not laid out so (it is then read whole)."""
    meta: dict[str, Any] = {}
    with path.open(encoding="utf-8") as fp:
        if fp.readline() != "{\n":
            return None
        key: str | None = None
        value: list[str] = []
        for line in fp:
            if line.startswith('  "') or line == "}\n":
                if key is not None:
                    text = "".join(value).rstrip().removesuffix(",")
                    meta[key] = None if key in PER_POINT else json.loads(text)
                if line == "}\n":
                    return meta
                key, end = _DECODER.raw_decode(line, 2)
                if not line.startswith(": ", end):
                    return None
                value = [] if key in PER_POINT else [line[end + 2:]]
            elif key is None:
                return None
            elif key not in PER_POINT:
                value.append(line)
    return None  # no closing brace: cut short


def _trust_order(part: Path) -> tuple[bool, str]:
    """Parts named as write_chunk names them first, so a stray copy is the one found repeated."""
    return (PART_NAME.fullmatch(part.name) is None, part.name)


def _read_parts(folder: Path, names: list[str], columns: list[str] | None = None,
                runs: np.ndarray | None = None) -> pd.DataFrame:
    if not names:
        return pd.DataFrame(columns=columns or ["run", "point", "replicate", "seed"])

    def read(name: str) -> pd.DataFrame:
        df = pd.read_parquet(folder / name, columns=columns)
        return df if runs is None else df[df["run"].isin(runs)]

    return pd.concat([read(n) for n in names], ignore_index=True)


def _atomic_parquet(df: pd.DataFrame, path: Path, dictionary: Sequence[str] | bool = True) -> None:
    """Write ``df`` to ``path`` whole or not at all; ``dictionary``: the columns to dictionary-encode
    (all by default)."""
    encode = dictionary if isinstance(dictionary, bool) else list(dictionary)
    _atomic(path, lambda tmp: df.to_parquet(tmp, index=False, use_dictionary=encode))


def _write_json(meta: dict[str, Any], path: Path) -> None:
    """Write ``json.dumps(meta, indent=2, default=str) + "\\n"`` to ``path``, byte for byte, but with
    each :class:`JsonRows` value written batch by batch (keys are strings, as in all metadata)."""
    with path.open("w") as fp:
        fp.write("{")
        for i, (key, value) in enumerate(meta.items()):
            fp.write(("," if i else "") + "\n  " + json.dumps(key) + ": ")
            if isinstance(value, JsonRows):
                _write_rows(value, fp)
            else:
                fp.write(_dumps(value, level=1))
        fp.write("\n}\n" if meta else "}\n")


def _write_rows(rows: JsonRows, fp: TextIO) -> None:
    """A top-level JSON array, one element at a time, laid out as ``json.dumps(indent=2)`` would."""
    empty = True
    for batch in rows.batches():
        for text in _rows_text(batch, level=2):
            fp.write(("[" if empty else ",") + "\n    " + text)
            empty = False
    fp.write("[]" if empty else "\n  ]")


def _rows_text(batch: list[Any], level: int) -> list[str]:
    """Each row of ``batch`` as :func:`_dumps` lays it out ``level`` levels deep. A batch of
    records with the same keys (a design's points) or of lists of the same length (a sample's rows)
    is laid out from one template (:func:`_filled`), so each column's values are formatted by one
    function mapped over it. An 8,192-point Sobol' design's experiment.json took 0.147 CPU-s row by
    row (~2.5 % of its sweep) and takes 0.105 so, most of it each float's ``repr``."""
    template = _row_template(batch, level)
    if template is None:
        return [_dumps(row, level) for row in batch]
    return _filled(template, batch, level)


def _row_template(batch: list[Any], level: int) -> str | None:
    """A ``%``-template of the rows of ``batch``, one ``%s`` per cell, when they are all records
    with the same string keys or all lists of the same length (else None)."""
    if not batch or not batch[0]:
        return None
    first, pad, close = batch[0], "\n" + "  " * (level + 1), "\n" + "  " * level
    if type(first) is list and all(type(row) is list and len(row) == len(first) for row in batch):
        return "[" + ",".join([pad + "%s"] * len(first)) + close + "]"
    if type(first) is dict and all(type(k) is str for k in first):
        keys = list(first)
        if all(type(row) is dict and list(row) == keys for row in batch):
            fields = (pad + _string(k).replace("%", "%%") + ": %s" for k in keys)
            return "{" + ",".join(fields) + close + "}"
    return None


def _filled(template: str, batch: list[Any], level: int) -> list[str]:
    """The rows of ``batch``, each ``template`` (:func:`_row_template`) filled with its cells laid
    out a level deeper, column by column."""
    cells = batch if type(batch[0]) is list else [row.values() for row in batch]
    columns = [_cells_text(column, level + 1) for column in zip(*cells, strict=True)]
    return [template % values for values in zip(*columns, strict=True)]


def _cells_text(column: tuple[Any, ...], level: int) -> list[str]:
    """Each value of one column of a batch, as :func:`_dumps` lays it out ``level`` levels deep."""
    kinds = set(map(type, column))
    if len(kinds) == 1 and (text := _SCALAR.get(kinds.pop())) is not None:
        return list(map(text, column))
    return [_dumps(value, level) for value in column]


def _dumps(value: Any, level: int) -> str:
    """``value`` as ``json.dumps(indent=2, default=str)`` lays it out ``level`` levels deep (the
    encoder's layout is a newline plus two spaces per level, and no JSON string holds a newline).
    A record with string keys or a list is laid out from its template (:func:`_row_template`),
    each plain value from its compact JSON: the same text, faster, since Python's encoder is pure
    Python when it indents; anything else by the encoder."""
    template = _row_template([value], level)
    if template is None:
        return json.dumps(value, indent=2, default=_as_text).replace("\n", "\n" + "  " * level)
    return _filled(template, [value], level)[0]


def _float(value: float) -> str:
    """``json.dumps`` of a float: its repr, or JavaScript's name where it is not finite."""
    return float.__repr__(value) if math.isfinite(value) else json.dumps(value)


#: ``json.dumps`` of each of JSON's own scalars, by exact type, as the encoder writes them (its C
#: string encoder, ``float.__repr__``, ``int.__repr__``), without its set-up for each value
_string = json.encoder.encode_basestring_ascii
_SCALAR: dict[type, Callable[[Any], str]] = {
    str: _string, float: _float, int: int.__repr__,
    bool: lambda b: "true" if b else "false", type(None): lambda _: "null",
}


def _as_text(value: Any) -> str:
    if isinstance(value, JsonRows):
        raise TypeError("JsonRows is written only as a top-level value of experiment.json")
    return str(value)


def _atomic(path: Path, write) -> None:
    """Write through a temporary sibling renamed into place; a failure (full disk) leaves neither."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
