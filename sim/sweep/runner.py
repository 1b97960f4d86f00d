"""Running every (design point, replicate) of an experiment on any ``concurrent.futures.Executor``.

A run's seed comes from the experiment's root seed through ``numpy.random.SeedSequence`` keyed by
``(point, replicate)``, never by completion order. Runs are grouped into chunks of about
``chunk_runs``; within a chunk the replicates of a design point advance in lockstep, and since each
replicate draws from its own stream (:mod:`sim.streams`) a run's result does not depend on the
chunk it lands in. Hence serial, local-pool and Dask sweeps, and a sweep interrupted and resumed,
all give the same table.

The local pool uses the ``fork`` start method where the platform has it: importing Mesa sets
``spawn`` for the whole process, and spawned workers pay ~1 s each to re-import it.
Dask: ``distributed.Client(address).get_executor()``.
"""

from __future__ import annotations

import ctypes
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calendar import date_of_step
from sim.model import HedgingModel
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


@dataclass(frozen=True)
class Block:
    """Replicates of one design point run together in lockstep."""

    point: int
    replicates: tuple[int, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs: the scenario of each block's design point, and what to keep.
    It carries no reference to the parent process, so it travels to a Dask worker as it is."""

    blocks: tuple[Block, ...]
    scenarios: tuple[Scenario, ...]
    total_replicates: int
    outcomes: dict[str, Outcome]
    store_series: tuple[str, ...]

    @property
    def runs(self) -> int:
        return sum(len(b.replicates) for b in self.blocks)


def run_chunk(task: ChunkTask) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a chunk; return its rows of the runs table (ids and outcomes) and of the series table."""
    runs, series = [], []
    for block, scenario in zip(task.blocks, task.scenarios, strict=True):
        model = HedgingModel(scenario, seeds=block.seeds, record_actions=False).run()
        values = model.series_values()
        columns = [c.name for c in model.columns]
        ids = [run_id(block.point, r, task.total_replicates) for r in block.replicates]
        table = {"run": ids, "point": block.point, "replicate": list(block.replicates),
                 "seed": np.asarray(block.seeds, dtype=np.uint64)}
        table.update(reduce_outcomes(values, columns, scenario.start, task.outcomes))
        runs.append(pd.DataFrame(table))
        series.append(_series_rows(model, values, columns, ids, task.store_series))
    return pd.concat(runs, ignore_index=True), pd.concat(series, ignore_index=True)


def _series_rows(model: HedgingModel, values: np.ndarray, columns: list[str], ids: list[int],
                 keep: tuple[str, ...]) -> pd.DataFrame:
    months, reps = values.shape[0], values.shape[1]
    dates = [str(date_of_step(model.scenario.start, s)) for s in range(1, months + 1)]
    table: dict[str, Any] = {"run": np.repeat(ids, months), "step": np.tile(np.arange(1, months + 1), reps),
                             "date": np.tile(dates, reps)}
    for name in keep:
        table[name] = values[:, :, columns.index(name)].T.reshape(-1)
    return pd.DataFrame(table)


# ------------------------------------------------------------------------------------------ planning
def point_scenarios(experiment: Experiment, base: Scenario, design: DesignMatrix) -> list[Scenario]:
    """The scenario of every design point; a value the scenario rejects is reported against the
    experiment file's line for that parameter before any run starts."""
    scenarios, problems = [], []
    for point in range(len(design)):
        overrides = point_overrides(design.points, point)
        try:
            scenarios.append(with_overrides(base, overrides))
        except ScenarioError as exc:
            problems += [(p.path, f"design point {point} ({_describe(overrides)}): {p.message}")
                         for p in exc.problems]
    if problems:
        raise design_problems(experiment, problems)
    return scenarios


def _describe(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in overrides.items())


def plan_chunks(experiment: Experiment, scenarios: list[Scenario], todo: Iterable[int],
                chunk_runs: int) -> Iterator[ChunkTask]:
    """Cut the run ids ``todo`` (in order) into tasks of ``chunk_runs`` runs; within a task, the
    runs of one design point form a lockstep block."""
    R, ids = experiment.replicates, sorted(todo)
    for start in range(0, len(ids), chunk_runs):
        blocks = []
        for point, group in itertools.groupby(ids[start:start + chunk_runs], key=lambda rid: rid // R):
            reps = tuple(rid % R for rid in group)
            blocks.append(Block(point, reps, tuple(run_seed(experiment.seed, point, r) for r in reps)))
        yield _task(experiment, scenarios, blocks)


def _task(experiment: Experiment, scenarios: list[Scenario], blocks: list[Block]) -> ChunkTask:
    return ChunkTask(tuple(blocks), tuple(scenarios[b.point] for b in blocks), experiment.replicates,
                     dict(experiment.outcomes), tuple(experiment.stored_series()))


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
            pending[executor.submit(run_chunk, task)] = task
            if len(pending) >= max_pending:
                break
        while pending:
            finished = next(as_completed(pending))
            task = pending.pop(finished)
            on_result(task, *finished.result())
            following = next(queue, None)
            if following is not None:
                pending[executor.submit(run_chunk, following)] = following
    finally:
        for future in pending:
            future.cancel()
