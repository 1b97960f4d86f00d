"""``hedgesim sweep``: an experiment file in, a results directory out, resumable at any point."""

from __future__ import annotations

import contextlib
import platform
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.metrics import require_finite
from sim.outputs import (
    MARKER,
    SWEEP_LAYOUT,
    OutputRefusedError,
    check_replaceable,
    is_ours,
    publish,
    refuse_dangerous,
    staging,
    write_marker,
)
from sim.provenance import RESULTS_VERSION, git_state, numpy_simd
from sim.runner import safe_name
from sim.scenario.loader import Problem, ScenarioError, content_hash
from sim.sweep.design import DesignMatrix, build_design
from sim.sweep.experiment import CONFIRM_RUNS, Experiment, Levels, load_experiment
from sim.sweep.runner import (
    ChunkTask,
    SweepPlan,
    block_size,
    execute,
    local_executor,
    plan_chunks,
    plan_design,
    series_read,
)
from sim.sweep.store import EXPERIMENT, LOCK, JsonRows, ResultStore


class ResumeMismatchError(FileExistsError):
    """``--resume`` on a results directory made by a different experiment."""


@dataclass
class SweepReport:
    experiment: Experiment
    out: Path
    total: int
    done_before: int
    done_now: int
    seconds: float
    problems: list[str] = field(default_factory=list)  # parts quarantined before running

    @property
    def runs_per_second(self) -> float:
        return self.done_now / self.seconds if self.seconds > 0 else float("nan")

    @property
    def complete(self) -> bool:
        return self.done_before + self.done_now == self.total


def default_results_dir(experiment: Experiment, root: Path = Path("results")) -> Path:
    return root / safe_name(experiment.name)


def metadata(experiment: Experiment, base_hash: str, design: DesignMatrix,
             argv: list[str] | None) -> dict[str, Any]:
    from sim import __version__
    return {
        "experiment": experiment.model_dump(mode="json"),
        "experiment_hash": experiment.content_hash(),
        "scenario_hash": base_hash,
        "total_runs": len(design) * experiment.replicates,
        "design_points": len(design),
        "design": JsonRows(lambda: _design_rows(design)),
        "problem": design.problem,
        "sample": None if design.sample is None else JsonRows(lambda: _sample_rows(design.sample)),
        "seeding": "run seed = SeedSequence(seed, spawn_key=(point, replicate)).generate_state(1, uint64)",
        "hedgesim_version": __version__,
        "results_version": RESULTS_VERSION,
        "mesa_version": mesa.__version__,
        "numpy_version": np.__version__,
        "numpy_simd": numpy_simd(),
        "pandas_version": pd.__version__,
        "python_version": platform.python_version(),
        "git": git_state(),  # {"commit", "dirty"} when run from a checkout, else null
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": argv if argv is not None else sys.argv,
    }


#: design points per batch of experiment.json's design and sample arrays (:class:`JsonRows`)
METADATA_BATCH = 1000


def _design_rows(design: DesignMatrix) -> Iterator[list[dict[str, Any]]]:
    """The design table as JSON records (``point`` first), a batch of points at a time."""
    for start in range(0, len(design), METADATA_BATCH):
        rows = design.points.iloc[start:start + METADATA_BATCH].copy()  # copy: defragmented
        yield rows.reset_index().to_dict(orient="records")


def _sample_rows(sample: np.ndarray) -> Iterator[list[list[float]]]:
    for start in range(0, len(sample), METADATA_BATCH):
        yield sample[start:start + METADATA_BATCH].tolist()


def plan(experiment: Experiment, out: Path) -> str:
    """What a sweep of ``experiment`` into ``out`` would do, stated before it does anything."""
    d = experiment.design
    method = "the base scenario alone" if d is None else f"{d.method.value} design"
    lines = [f"{experiment.name}: {method}; {experiment.points:,} design points x {experiment.replicates:,} "
             f"replicates = {experiment.runs:,} runs -> {out}/"]
    specs = d.parameters if d is not None else {}
    lines += [f"  {p}" + (f": {_spec_text(specs[p])}" if p in specs else "") for p in experiment.parameters]
    if experiment.runs > CONFIRM_RUNS:
        lines.append(f"  more than {CONFIRM_RUNS:,} runs: runs only with --yes")
    return "\n".join(lines)


def _spec_text(spec: Any) -> str:
    return f"values {list(spec.values)}" if isinstance(spec, Levels) else f"range [{spec[0]:g}, {spec[1]:g}]"


def prepare(experiment_file: str | Path,
            yes: bool = False) -> tuple[Experiment, DesignMatrix, SweepPlan, str]:
    """Load and check everything a sweep needs, before any run or any file is written. A design of
    more than :data:`CONFIRM_RUNS` runs is refused unless ``yes``."""
    experiment, base = load_experiment(experiment_file)
    if experiment.runs > CONFIRM_RUNS and not yes:
        raise ScenarioError([Problem(experiment.source_file or str(experiment_file), 0, "",
                                     f"{experiment.runs:,} runs is more than {CONFIRM_RUNS:,}; pass "
                                     "--yes (yes=True) to run them, or --dry-run to see the plan")])
    design = build_design(experiment, base)
    return experiment, design, plan_design(experiment, base, design), content_hash(base)


@contextlib.contextmanager
def open_store(out: Path, experiment: Experiment, scenario_hash: str, meta: dict[str, Any], *,
               resume: bool, force: bool) -> Iterator[ResultStore]:
    """The results directory, held (locked) for the whole block: new (created atomically, already
    locked), resumed (the same experiment and base scenario only) or replaced (``force``, and only
    a results directory hedgesim wrote that holds nothing else). The lock is taken before anything
    in an existing directory is checked for replacement or deleted, so a sweep never clears a
    directory another sweep is writing."""
    refuse_dangerous(out)
    with contextlib.ExitStack() as held:
        if _is_new(out):
            with staging(out, SWEEP_LAYOUT.kind) as tmp:
                ResultStore(tmp).write_metadata(meta)
                held.enter_context(ResultStore(tmp).lock())
                publish(tmp, out, SWEEP_LAYOUT, replace=False)
            yield ResultStore(out)
            return
        if out.is_symlink() or not out.is_dir() or not is_ours(out, SWEEP_LAYOUT):
            check_replaceable(out, SWEEP_LAYOUT, "results directory")  # raises, naming why
        store = ResultStore(out)
        held.enter_context(store.lock())
        if resume:
            _check_same_experiment(store, experiment, scenario_hash)
        elif not force:
            raise OutputRefusedError(f"{out} already exists (use --resume to finish it, --force to "
                                     "replace it, or --out DIR)")
        else:
            check_replaceable(out, SWEEP_LAYOUT, "results directory")
            _clear(out)
            with write_marker(out, SWEEP_LAYOUT.kind):
                store.write_metadata(meta)
        yield store


def _is_new(out: Path) -> bool:
    return not out.is_symlink() and (not out.exists() or (out.is_dir() and not any(out.iterdir())))


def _clear(out: Path) -> None:
    """Delete a results directory's contents (checked to be only hedgesim's), except the lock we
    hold and the marker; experiment.json goes last, so an interruption leaves a consistent sweep."""
    for entry in sorted(out.iterdir(), key=lambda e: e.name == EXPERIMENT):
        if entry.name in (LOCK, MARKER):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _check_same_experiment(store: ResultStore, experiment: Experiment, scenario_hash: str) -> None:
    meta = store.header()  # not the design: the check's memory does not grow with it
    if meta.get("experiment_hash") != experiment.content_hash():
        raise ResumeMismatchError(f"{store.root} holds a different experiment (hash "
                                  f"{str(meta.get('experiment_hash'))[:12]}, this file "
                                  f"{experiment.content_hash()[:12]}); use another --out")
    if meta.get("results_version") != RESULTS_VERSION:
        raise ResumeMismatchError(f"{store.root} holds results of another hedgesim results version "
                                  f"({meta.get('results_version', 1)}, this one {RESULTS_VERSION}: the "
                                  "same seeds now give other numbers); use another --out")
    if meta.get("scenario_hash") != scenario_hash:
        raise ResumeMismatchError(f"{store.root} was run on a different version of the base scenario "
                                  f"({experiment.scenario} changed since); use another --out")


def run_sweep(experiment_file: str | Path, out: str | Path | None = None, *, workers: int = 1,
              executor: Executor | None = None, resume: bool = False, force: bool = False,
              chunk_runs: int | None = None, progress: bool = True,
              argv: list[str] | None = None, yes: bool = False) -> SweepReport:
    """Run (or finish, with ``resume``) every run of an experiment, writing chunks as they finish.

    ``executor`` overrides ``workers``: any ``concurrent.futures.Executor`` (e.g. a Dask client's
    ``get_executor()``). Raises ScenarioError for a bad file and FileExistsError for a directory
    that would be overwritten, both before any run starts.
    """
    experiment, design, sweep_plan, base_hash = prepare(experiment_file, yes=yes)
    out = Path(out) if out is not None else default_results_dir(experiment)
    meta = metadata(experiment, base_hash, design, argv)
    with open_store(out, experiment, base_hash, meta, resume=resume, force=force) as store:
        return _run_missing(experiment, design, sweep_plan, store, workers=workers, executor=executor,
                            chunk_runs=chunk_runs, progress=progress)


def _run_missing(experiment: Experiment, design: DesignMatrix, sweep_plan: SweepPlan, store: ResultStore, *,
                 workers: int, executor: Executor | None, chunk_runs: int | None,
                 progress: bool) -> SweepReport:
    """Run every run without a finished chunk in ``store``."""
    out = store.root
    total = len(design) * experiment.replicates
    done = store.done_runs(total)  # total: the experiment's (checked on --resume by open_store)
    todo = np.setdiff1d(np.arange(total, dtype=np.int64), np.fromiter(done, dtype=np.int64, count=len(done)))
    size = chunk_runs or experiment.chunk_runs or _block_size(experiment, sweep_plan, len(todo), workers,
                                                              own_pool=executor is None)
    tasks = plan_chunks(experiment, sweep_plan, todo, size)
    bar = _progress_bar(total, len(done), experiment.name, enabled=progress)
    finished = 0

    def on_result(task: ChunkTask, runs: pd.DataFrame, series: pd.DataFrame) -> None:
        nonlocal finished
        runs = _with_parameters(runs, design)
        require_finite(runs=runs, series=series)  # a NaN outcome is a defect, never a stored value
        store.write_chunk(runs, series)
        finished += task.runs
        bar.update(task.runs)

    started = time.perf_counter()
    own = executor is None
    pool = local_executor(workers) if own else executor
    try:
        execute(tasks, pool, on_result)
    finally:
        bar.close()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return SweepReport(experiment, out, total, len(done), finished, time.perf_counter() - started,
                       list(store.problems))


def _block_size(experiment: Experiment, sweep_plan: SweepPlan, runs: int, workers: int,
                own_pool: bool) -> int:
    """Runs per lockstep block (:func:`sim.sweep.runner.block_size`) for this sweep's scenario and
    the monthly series its runs record (:func:`sim.sweep.runner.series_read`)."""
    stored = experiment.stored_series()
    columns = len(series_read(dict(experiment.outcomes), stored))
    return block_size(runs, sweep_plan.bases[0].months, columns, workers if own_pool else 1, own_pool,
                      stored=len(stored))


def _with_parameters(runs: pd.DataFrame, design: DesignMatrix) -> pd.DataFrame:
    """Runs rows with each design point's parameter values, after the ids and before the outcomes."""
    params = design.points.loc[runs["point"].to_numpy()].reset_index(drop=True)
    ids = runs[["run", "point", "replicate", "seed"]]
    return pd.concat([ids, params, runs.drop(columns=ids.columns)], axis=1)


def _progress_bar(total: int, done: int, name: str, enabled: bool):
    from tqdm import tqdm
    return tqdm(total=total, initial=done, desc=name, unit="run", disable=not enabled,
                dynamic_ncols=True, smoothing=0.1)


def summary(report: SweepReport) -> str:
    """A few lines for the terminal: what ran, how fast, the outcomes' spread, where files are."""
    store = ResultStore(report.out)
    store.verify(quarantine=False, total_runs=report.total)  # total known: the design is not read back
    runs = store.runs()
    exp = report.experiment
    lines = [*report.problems, f"{exp.name}: {report.done_now} runs in {report.seconds:.1f} s "
             f"({report.runs_per_second:.1f} runs/s)"
             + (f", {report.done_before} done before" if report.done_before else "")
             + f"; {len(runs)} of {report.total} runs in the table"]
    if not runs.empty:
        stats = runs[list(exp.outcomes)].describe(percentiles=[0.05, 0.5, 0.95]).T
        lines.append(stats[["mean", "5%", "50%", "95%"]].to_string(float_format=lambda v: f"{v:.3g}"))
    lines.append(f"wrote {report.out}/ (experiment.json, runs/, series/)")
    if not report.complete:
        lines.append(f"incomplete: finish with  hedgesim sweep {exp.source_file} --out {report.out} --resume")
    return "\n".join(lines)
