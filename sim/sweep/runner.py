"""Running every (design point, replicate) of an experiment on any ``concurrent.futures.Executor``.

A run's seed comes from the experiment's root seed through ``numpy.random.SeedSequence`` keyed by
``(point, replicate)``, never by completion order. The design is planned as arrays
(:class:`SweepPlan`): a base scenario per *structure group* (points that differ only in
coefficients share one; a rule switched off or an integer changed makes another) and a table of
coefficient values per point. Runs, not points, are packed into lockstep blocks: a block holds
runs of any design points of one group, each replicate reading its own row of every coefficient
(:mod:`sim.blocks`). Since each run also draws from its own stream (:mod:`sim.streams`), a run's
result does not depend on the block it lands in: serial, local-pool and Dask sweeps, and a sweep
interrupted and resumed, all give the same table, and any design runs at Monte-Carlo speed.

The local pool uses the ``fork`` start method where the platform has it: importing Mesa sets
``spawn`` for the whole process, and spawned workers pay ~1 s each to re-import it.
Dask: ``distributed.Client(address).get_executor()``.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.blocks import coefficient_field, coefficient_problems
from sim.model import HedgingModel
from sim.rules.binding import RULE_SERIES
from sim.scenario.loader import ScenarioError, with_overrides
from sim.scenario.schema import Scenario
from sim.streams import child_seed
from sim.sweep.design import DesignMatrix, point_overrides
from sim.sweep.experiment import Experiment, Outcome, design_problems
from sim.sweep.outcomes import reduce_outcomes


def run_seed(root: int, point: int, replicate: int) -> int:
    """The seed of one run: the root SeedSequence's child keyed by (point, replicate)."""
    return child_seed(root, point, replicate, dtype=np.uint64)


def run_id(point: int, replicate: int, replicates: int) -> int:
    return point * replicates + replicate


# ------------------------------------------------------------------------------------------ planning
@dataclass(frozen=True)
class SweepPlan:
    """A design as arrays: ``bases[group[p]]`` is design point p's scenario with its structural
    values set, and ``values[p]`` its coefficients (columns ``coefficients``), set per replicate
    when the run is in a block. Its size is the design table's, whatever the number of runs."""

    bases: tuple[Scenario, ...]
    group: np.ndarray  # (points,) structure group of each design point
    coefficients: tuple[str, ...]
    values: np.ndarray  # (points, coefficients)
    replicates: int
    seed: int

    @property
    def points(self) -> int:
        return len(self.group)


def plan_design(experiment: Experiment, base: Scenario, design: DesignMatrix) -> SweepPlan:
    """Split the design's parameters into coefficients (checked as arrays, set per replicate) and
    structure (one scenario per distinct combination, checked by the loader). A refused value is
    reported against the experiment file's line for that parameter before any run starts."""
    points = design.points
    coefficients = [c for c in points.columns
                    if coefficient_field(base, c) is not None and points[c].dtype.kind == "f"]
    structural = [c for c in points.columns if c not in coefficients]
    values = points[coefficients].to_numpy(dtype=float).reshape(len(points), len(coefficients))
    problems = [(path, f"design point {row}: {message}")
                for j, path in enumerate(coefficients)
                for row, message in coefficient_problems(base, path, values[:, j])]
    if structural:
        group = points.groupby(structural, sort=False).ngroup().to_numpy()
        firsts = pd.Series(np.arange(len(points))).groupby(group).first().to_numpy()
    else:
        group, firsts = np.zeros(len(points), dtype=np.int64), np.zeros(1, dtype=np.int64)
    bases = []
    for point in firsts:
        overrides = {k: v for k, v in point_overrides(points, int(point)).items() if k in structural}
        try:
            bases.append(with_overrides(base, overrides) if overrides else base)
        except ScenarioError as exc:
            problems += [(p.path, f"design point {point} ({_describe(overrides)}): {p.message}")
                         for p in exc.problems]
    if problems:
        raise design_problems(experiment, problems)
    return SweepPlan(tuple(bases), group, tuple(coefficients), values, experiment.replicates, experiment.seed)


def _describe(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in overrides.items())


@dataclass(frozen=True)
class Block:
    """Runs of one structure group advanced together in lockstep: run r is design point
    ``points[r]``'s replicate ``replicates[r]``, with seed ``seeds[r]`` and coefficients
    ``values[r]`` (columns: the task's ``coefficients``)."""

    points: np.ndarray
    replicates: np.ndarray
    seeds: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs: each block's base scenario, the coefficient columns, and what to
    keep. It carries no reference to the parent process, so it travels to a Dask worker as it is."""

    blocks: tuple[Block, ...]
    scenarios: tuple[Scenario, ...]
    total_replicates: int
    outcomes: dict[str, Outcome]
    store_series: tuple[str, ...]
    coefficients: tuple[str, ...] = ()

    @property
    def runs(self) -> int:
        return sum(len(b) for b in self.blocks)

    def describe(self) -> str:
        ids = np.concatenate([b.points * self.total_replicates + b.replicates for b in self.blocks])
        return f"{self.runs} runs (ids {int(ids.min())}..{int(ids.max())})" if len(ids) else "no runs"


def plan_chunks(experiment: Experiment, plan: SweepPlan, todo: Iterable[int],
                block_runs: int) -> Iterator[ChunkTask]:
    """Cut the run ids ``todo`` into lockstep blocks of at most ``block_runs`` runs, one task each:
    runs grouped by structure group, in run order within a group. Where a run lands changes
    nothing in its result."""
    ids = np.sort(np.fromiter(todo, dtype=np.int64))  # not sorted(): a Python int per run
    R = plan.replicates
    group = plan.group[ids // R] if len(ids) else ids
    ordered = ids[np.argsort(group, kind="stable")]
    groups = plan.group[ordered // R]
    outcomes, keep = dict(experiment.outcomes), tuple(experiment.stored_series())
    for g in np.unique(groups):
        mine = ordered[groups == g]
        for start in range(0, len(mine), block_runs):
            chunk = mine[start:start + block_runs]
            points, reps = chunk // R, chunk % R
            seeds = np.array([run_seed(plan.seed, int(p), int(r)) for p, r in zip(points, reps, strict=True)],
                             dtype=np.uint64)
            block = Block(points, reps, seeds, plan.values[points])
            yield ChunkTask((block,), (plan.bases[g],), R, outcomes, keep, plan.coefficients)


def run_chunk(task: ChunkTask) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a chunk; return its rows of the runs table (ids and outcomes) and of the series table."""
    report = needs_rule_report(task.outcomes, task.store_series)
    read = series_read(task.outcomes, task.store_series)
    runs, series = [], []
    # A model and its agents refer to each other, so only the cyclic garbage collector frees a
    # finished block, and in a worker's large, long-lived heap it seldom runs a full pass: a worker
    # grew by a block (30-60 MB) with each one. Each block is collected as it ends, and what the
    # process held before the chunk is frozen out of those collections' walk (0.1 s each otherwise),
    # unless something froze objects already (a caller's own gc.freeze, another chunk in a thread):
    # then nothing is frozen or thawed here. While a block runs, the collector is paused: a month
    # makes thousands of small containers, no cycles (a block of 2,000 runs of the replay leaves
    # ~2,800 cyclic objects in all, its model), and the collections they set off took ~4 % of a
    # sweep's CPU time. Where it was on, it is on again between blocks and after the chunk.
    freezing, collecting = gc.get_freeze_count() == 0, gc.isenabled()
    if freezing:
        gc.freeze()
    try:
        for block, scenario in zip(task.blocks, task.scenarios, strict=True):
            gc.disable()
            try:
                block_runs, block_series = _run_block(task, block, scenario, report, read)
            finally:
                if collecting:
                    gc.enable()
            runs.append(block_runs)
            series.append(block_series)
            gc.collect()
    finally:
        if freezing:
            gc.unfreeze()
    if len(runs) == 1:  # one block (a sweep's usual chunk): its tables as they are, not a copy
        return runs[0], series[0]
    return pd.concat(runs, ignore_index=True), pd.concat(series, ignore_index=True)


def _run_block(task: ChunkTask, block: Block, scenario: Scenario, report: bool,
               read: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One block's rows of the runs and series tables (its model is dropped on return)."""
    varying = {path: block.values[:, j] for j, path in enumerate(task.coefficients)}
    model = HedgingModel(scenario, seeds=[int(s) for s in block.seeds], record_actions=False,
                         varying=varying or None, rule_report=report, series=read).run()
    values = model.series_values()
    columns = [c.name for c in model.columns]
    ids = block.points * task.total_replicates + block.replicates
    table = {"run": ids, "point": block.points, "replicate": block.replicates,
             "seed": np.asarray(block.seeds, dtype=np.uint64)}
    table.update(reduce_outcomes(values, columns, scenario.start, task.outcomes))
    return pd.DataFrame(table), _series_rows(model, values, columns, ids, task.store_series)


def series_read(outcomes: dict[str, Outcome], store_series: Sequence[str]) -> list[str]:
    """The monthly series a sweep's runs record: those its outcomes reduce and those it stores,
    in name order. The rest would be read off the world every month and held in memory for nothing
    (a run is the same run whatever it records)."""
    return sorted({o.series for o in outcomes.values()} | set(store_series))


def needs_rule_report(outcomes: dict[str, Outcome], store_series: Sequence[str]) -> bool:
    """Whether a sweep's runs must keep the binding report: only when an outcome or a stored
    series reads one of its monthly series (:data:`sim.rules.binding.RULE_SERIES`). Without it a
    run is the same run (the report only observes the choice), about 1.3x cheaper."""
    return bool(set(series_read(outcomes, store_series)) & set(RULE_SERIES))


def run_chunk_bytes(payload: bytes) -> bytes:
    """:func:`run_chunk` of a task pickled by the parent (see :func:`submit`), its tables pickled
    here with protocol 5 (read by :func:`received`). A pool pickles what a task returns with
    protocol 4, which copies each column's data once more on its way into the stream: a worker's
    peak memory was pickling its result, 2.5x the tables (tracemalloc, blocks of 2,000 runs: 68 KB
    a run, against 53 KB while the tables are built). Protocol 5 writes the data straight into the
    stream (45 KB a run), the tables are dropped before the pool pickles these bytes (45 KB), so
    the peak is the tables' building."""
    return pickle.dumps(run_chunk(pickle.loads(payload)), protocol=5)


def received(result: tuple[pd.DataFrame, pd.DataFrame] | bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A chunk's tables as :func:`run_chunk` returned them, or as :func:`run_chunk_bytes` sent them."""
    return pickle.loads(result) if isinstance(result, bytes) else result


def _series_rows(model: HedgingModel, values: np.ndarray, columns: list[str], ids: np.ndarray,
                 keep: tuple[str, ...]) -> pd.DataFrame:
    """The stored series, a row per run and month: the kept columns of ``values`` ``(months, R,
    columns)`` copied once, run by run, into one block the table holds as it is (no copy per
    column, none to consolidate them), then the run, step and date."""
    months, reps = values.shape[0], values.shape[1]
    kept = np.empty((reps, months, len(keep)))
    for j, name in enumerate(keep):
        kept[:, :, j] = values[:, :, columns.index(name)].T
    table = pd.DataFrame(kept.reshape(reps * months, len(keep)), columns=list(keep), copy=False)
    dates = pd.Series(model.recorded_dates(), dtype="str")  # each month's date made once, then repeated
    table.insert(0, "date", dates.take(np.tile(np.arange(months), reps)).array)
    table.insert(0, "step", np.tile(np.arange(1, months + 1), reps))
    table.insert(0, "run", np.repeat(ids, months))
    return table


# ------------------------------------------------------------------------------------------ block size
#: Cost model of one lockstep block of the historical replay (144 months), in CPU seconds, run as a
#: sweep with the default outcomes runs it (their 15 series, no binding report), measured with
#: ``time.process_time`` over blocks of 300, 1,000, 2,000, 4,000, 6,000 and 8,000 runs, least of 2
#: interleaved rounds, least-squares line (``python benchmarks/bench_lockstep.py --fit --sizes
#: 300,1000,2000,4000,6000,8000 --rounds 2``; README, "Speed"): ``BLOCK_FIXED_CPU_S + runs *
#: RUN_CPU_S``. Both scale with the months; their ratio (how many runs amortise the fixed cost) does
#: not. Re-fitted in the tenth session (an AMD EPYC machine: 0.54, 1.04, 1.65, 2.70, 3.88 and 5.73
#: CPU-s): a run costs least in blocks of 4,000-6,000 runs (0.68 and 0.65 ms; 0.83 at 2,000, 0.72
#: at 8,000), and the size this chooses, ~4,800, is among them. It was 0.49 CPU-s + 0.80 ms
#: (~6,125) after the vectorised kernels (f5843a6), 0.68 CPU-s + 1.71 ms (~4,000) before.
BLOCK_FIXED_CPU_S = 0.31
RUN_CPU_S = 0.00064
#: the fixed cost may add at most this share to a run's cost: blocks of about 4,850 runs
#: (:func:`block_size` cuts a worker's runs into the nearest whole number of them)
FIXED_SHARE = 0.10
SPEED_BLOCK = int(np.ceil(BLOCK_FIXED_CPU_S / (FIXED_SHARE * RUN_CPU_S)))
#: memory a block may take in a worker: per run, the monthly series it records (months x columns
#: x 8 bytes), what it holds beside them (RUN_STATE_BYTES), and the series it stores as the table
#: returned to the sweep (months x (stored columns x 8 + STORED_ROW_BYTES)). 384 MiB lets a sweep
#: of the default outcomes run blocks of the speed this chooses (~5,600 runs fit); it was 256 MiB
#: while a worker pickled its tables with protocol 4 (~3,200 fit).
BLOCK_MEMORY_BYTES = 384 * 2**20
#: a run's world, coefficients and a month's temporaries: peak memory of model blocks of 1,000 and
#: 4,000 runs of the replay recording 15 series was 41 and 39 KB per run, of which the series are 17 KB
RUN_STATE_BYTES = 24 * 2**10
#: a stored month of a run beyond its values: its run, step and date, and the copies made while the
#: table is built and sent to the sweep. Fitted to a pool worker's peak resident memory over
#: :func:`run_chunk_bytes` and the pool's pickling of its bytes, above what it held before: 70.3 and
#: 68.3 KB per run for blocks of 2,000 and 4,000 runs of the replay recording and storing the default
#: outcomes' 15 series (the formula gives 69.7 KB). It was 180 (83 KB a run) while the tables were
#: pickled with protocol 4 (82.6 and 81.6 KB measured), and 520 before that.
STORED_ROW_BYTES = 85
#: tasks to give an executor whose size is unknown (Dask), when there are too few runs to fill
#: blocks of SPEED_BLOCK
FOREIGN_TASKS = 8


def block_size(runs: int, months: int, columns: int, workers: int, own_pool: bool = True,
               stored: int = 0) -> int:
    """Runs per lockstep block: about ``SPEED_BLOCK`` (enough to amortise the block's fixed cost),
    no more than fit ``BLOCK_MEMORY_BYTES`` (``columns`` recorded, ``stored`` of them stored), and
    small enough that every worker gets work (a local pool: at least one block per worker; another
    executor: ``FOREIGN_TASKS`` blocks). A worker's share of the runs is cut into the nearest whole
    number of blocks of ``SPEED_BLOCK``, or more where the memory budget binds, of equal size, so
    that no small last block pays the fixed cost for a few runs (6,200 runs: one block, not 6,125
    and 75); unless memory binds, blocks stay within 2/3 and 3/2 of ``SPEED_BLOCK``, where a run
    costs about the least (README, "Speed")."""
    per_run = months * (columns * 8 + (stored * 8 + STORED_ROW_BYTES if stored else 0)) + RUN_STATE_BYTES
    by_memory = max(1, BLOCK_MEMORY_BYTES // per_run)
    share = workers if own_pool else FOREIGN_TASKS
    spread = -(-runs // max(1, share)) if share > 1 else runs
    blocks = max(1, int(spread / SPEED_BLOCK + 0.5))
    blocks = max(blocks, -(-spread // by_memory))  # as many more as the memory budget needs
    return int(max(1, -(-spread // blocks)))


# ------------------------------------------------------------------------------------------ executing
class SerialExecutor(Executor):
    """Runs each task at once in this process (``--workers 1``): same code path, no pool."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future


def local_executor(workers: int) -> Executor:
    """A process pool of ``workers`` (fork where available), or in-process when ``workers == 1``."""
    if workers <= 1:
        return SerialExecutor()
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent,
                               initargs=(os.getpid(),))


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCHDOG_SECONDS = 1.0  # how often a worker checks that its parent is alive, where prctl is missing


def die_with_parent(parent: int) -> None:
    """Pool initializer: a worker ends when the sweep that started it does, even by ``kill -9``
    (which gives the pool no chance to stop it). On Linux the kernel sends SIGKILL at the parent's
    death (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread checks the parent's pid."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog below still applies
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCHDOG_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="hedgesim-parent-watchdog", daemon=True).start()


@dataclass
class Progress:
    """Counts for the progress bar and the final summary."""

    total: int
    done_before: int
    done: int = 0
    started: float = 0.0

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.done / elapsed if elapsed > 0 else float("nan")


class TaskNotPicklableError(TypeError):
    """A task that cannot be sent to a worker process (a pool would otherwise wait for it forever)."""


def submit(executor: Executor, task: ChunkTask) -> Future:
    """Hand ``task`` to ``executor``. For another process it is pickled here, in the caller, once:
    what cannot travel fails now with :class:`TaskNotPicklableError`, not silently in a pool's
    feeder thread."""
    if isinstance(executor, SerialExecutor):
        return executor.submit(run_chunk, task)
    try:
        payload = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # pickle raises PicklingError, TypeError or AttributeError
        raise TaskNotPicklableError(f"a sweep task ({task.describe()}) cannot be sent to a worker "
                                    f"process: {type(exc).__name__}: {exc}") from exc
    return executor.submit(run_chunk_bytes, payload)


def execute(tasks: Iterable[ChunkTask], executor: Executor,
            on_result: Callable[[ChunkTask, pd.DataFrame, pd.DataFrame], None],
            max_pending: int = 64) -> None:
    """Submit tasks (at most ``max_pending`` in flight) and hand each finished chunk to
    ``on_result`` in completion order. On an interrupt, pending tasks are cancelled."""
    pending: dict[Future, ChunkTask] = {}
    queue = iter(tasks)
    if isinstance(executor, SerialExecutor):
        max_pending = 1  # it runs a task when submitted: hold one finished chunk, not max_pending
    try:
        for task in queue:
            pending[submit(executor, task)] = task
            if len(pending) >= max_pending:
                break
        while pending:
            finished = next(as_completed(pending))
            task = pending.pop(finished)
            result = finished.result()
            del finished  # the future held the result: a worker's bytes go as soon as they are read
            runs, series = received(result)
            del result
            on_result(task, runs, series)
            del runs, series
            following = next(queue, None)
            if following is not None:
                pending[submit(executor, following)] = following
    finally:
        for future in pending:
            future.cancel()
