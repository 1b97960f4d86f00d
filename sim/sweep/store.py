"""The results directory of a sweep, written as runs finish.

    RESULTS/
      experiment.json          the resolved experiment, design, versions and hashes (written first)
      runs/part-*.parquet      one row per run: ids, seed, parameter values, outcomes
      series/part-*.parquet    one row per run and month: the stored monthly columns

Each finished chunk becomes one part in each table, written to a temporary name and renamed into
place (atomic on POSIX). The series part is renamed first and the runs part last, so a runs part
marks a chunk as done: on resume, a series part without its runs part (a crash between the two
renames) is removed and its runs are done again. Nothing finished is ever rewritten.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

RUNS, SERIES, EXPERIMENT = "runs", "series", "experiment.json"


class DirectoryBusyError(FileExistsError):
    """Another sweep holds the results directory."""


class ResultStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

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
        _atomic_write_text(self.root / EXPERIMENT, json.dumps(meta, indent=2, default=str) + "\n")

    def metadata(self) -> dict[str, Any]:
        return json.loads((self.root / EXPERIMENT).read_text())

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the directory for one sweep: a second ``--resume`` on it fails at once instead of
        running the same runs twice (an advisory ``flock``, released when the process ends)."""
        handle = open(self.root / ".lock", "w")  # noqa: SIM115 - held for the whole block
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DirectoryBusyError(f"{self.root} is being written by another sweep") from None
            yield
        finally:
            handle.close()

    # --------------------------------------------------------------------------------- chunks
    def write_chunk(self, runs: pd.DataFrame, series: pd.DataFrame) -> None:
        """Write one finished chunk: series part first, runs part (the 'done' mark) last."""
        name = f"part-{int(runs['run'].min()):09d}-{len(runs):05d}.parquet"
        _atomic_parquet(series, self.series_dir / name)
        _atomic_parquet(runs, self.runs_dir / name)

    def done_runs(self) -> set[int]:
        """Run ids with a finished chunk; first removes leftovers of an interrupted write."""
        for tmp in list(self.runs_dir.glob(".*.tmp")) + list(self.series_dir.glob(".*.tmp")):
            tmp.unlink()
        done_parts = {p.name for p in self.runs_dir.glob("part-*.parquet")}
        for orphan in self.series_dir.glob("part-*.parquet"):
            if orphan.name not in done_parts:
                orphan.unlink()
        done: set[int] = set()
        for part in sorted(self.runs_dir.glob("part-*.parquet")):
            done.update(pq.read_table(part, columns=["run"]).column("run").to_pylist())
        return done

    # --------------------------------------------------------------------------------- reading
    def runs(self) -> pd.DataFrame:
        """Every finished run, ordered by run id."""
        return _read_parts(self.runs_dir).sort_values("run", kind="stable").reset_index(drop=True)

    def series(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The monthly table, ordered by run and step (``columns``: read only these)."""
        cols = None if columns is None else list(dict.fromkeys(["run", "step", "date", *columns]))
        df = _read_parts(self.series_dir, cols)
        return df.sort_values(["run", "step"], kind="stable").reset_index(drop=True)


def _read_parts(folder: Path, columns: list[str] | None = None) -> pd.DataFrame:
    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame(columns=columns or ["run", "point", "replicate", "seed"])
    return pd.concat([pd.read_parquet(p, columns=columns) for p in parts], ignore_index=True)


def _atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
