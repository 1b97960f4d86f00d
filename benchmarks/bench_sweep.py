"""Runs per second of the same set of runs driven three ways, plus where one run spends its time.

    python benchmarks/bench_sweep.py [--runs 500] [--workers 2] [--profile]

The set: the historical scenario (144 months), China's assertiveness at 10 levels, runs/10
replicates each, seeds from the experiment's root seed. Driven by

1. hedgesim's sweep runner (chunks of lockstep replicates on a fork pool; Parquet parts written);
2. ``mesa.batch_run`` (full factorial over assertiveness x seed, a DataCollector read at the end);
3. a plain serial loop over ``HedgingModel(...).run()``.

Wall-clock time with ``time.perf_counter``, once each (not a timed test: numbers move with the
machine's load). The first two compute the same outcomes; the loop computes them too.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import mesa
import numpy as np

from sim import HedgingModel, load_scenario, with_overrides
from sim.bundled import SCENARIOS_DIR
from sim.metrics import model_reporters
from sim.sweep.experiment import default_outcomes
from sim.sweep.outcomes import reduce_outcomes
from sim.sweep.runner import run_seed
from sim.sweep.sweep import run_sweep

SCENARIO = "historical_2013_2024"
LEVELS = [round(0.1 * i, 1) for i in range(1, 11)]  # China's assertiveness, 10 design points
ROOT_SEED = 1


def experiment_yaml(replicates: int) -> str:
    scenario = SCENARIOS_DIR / f"{SCENARIO}.yaml"
    return textwrap.dedent(f"""
        name: bench
        scenario: {scenario}
        replicates: {replicates}
        seed: {ROOT_SEED}
        design:
          method: list
          points: [{", ".join(f"{{agents.china.assertiveness: {v}}}" for v in LEVELS)}]
        plots: []
        """)


def bench_runner(replicates: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        exp = Path(tmp) / "bench.yaml"
        exp.write_text(experiment_yaml(replicates))
        start = time.perf_counter()
        report = run_sweep(exp, Path(tmp) / "out", workers=workers, progress=False)
        assert report.complete
        return time.perf_counter() - start


def outcomes_of(model: HedgingModel) -> dict[str, float]:
    wanted = default_outcomes(model.world.countries)
    columns = [c.name for c in model.columns]
    values = reduce_outcomes(model.series_values(), columns, model.scenario.start, wanted)
    return {k: float(v[0]) for k, v in values.items()}


class BatchRunModel(HedgingModel):
    """The model as ``mesa.batch_run`` wants it: keyword parameters and a DataCollector."""

    BASE = None

    def __init__(self, assertiveness: float = 0.6, seed: int = 0) -> None:
        base = BatchRunModel.BASE or load_scenario(SCENARIO)
        super().__init__(with_overrides(base, {"agents.china.assertiveness": assertiveness}), seed=seed,
                         record_actions=False)
        # the model's own monthly columns, plus the outcomes once the last month is recorded
        self.datacollector = mesa.DataCollector(model_reporters={
            **model_reporters(self.columns),
            "outcomes": lambda m: outcomes_of(m) if m.steps >= m.scenario.months else None,
        })


def bench_batch_run(replicates: int, processes: int) -> float:
    BatchRunModel.BASE = load_scenario(SCENARIO)
    seeds = [run_seed(ROOT_SEED, 0, r) for r in range(replicates)]
    start = time.perf_counter()
    results = mesa.batch_run(BatchRunModel, parameters={"assertiveness": LEVELS, "seed": seeds},
                             iterations=1, max_steps=144, number_processes=processes,
                             data_collection_period=-1, display_progress=False)
    assert len(results) == len(LEVELS) * replicates
    return time.perf_counter() - start


def bench_serial(replicates: int) -> float:
    base = load_scenario(SCENARIO)
    start = time.perf_counter()
    for point, level in enumerate(LEVELS):
        scenario = with_overrides(base, {"agents.china.assertiveness": level})
        for r in range(replicates):
            model = HedgingModel(scenario, seed=run_seed(ROOT_SEED, point, r), record_actions=False)
            outcomes_of(model.run())
    return time.perf_counter() - start


def profile_one_run(top: int = 12) -> None:
    scenario = load_scenario(SCENARIO)
    HedgingModel(scenario, seed=0).run()  # warm caches
    profiler = cProfile.Profile()
    profiler.enable()
    HedgingModel(scenario, seed=0, record_actions=False).run()
    profiler.disable()
    print(f"\nProfile of one {scenario.months}-month run (record_actions off), by own time:")
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="total runs (a multiple of 10)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="also profile one run")
    args = parser.parse_args()
    replicates = max(1, args.runs // len(LEVELS))
    runs = replicates * len(LEVELS)
    print(f"{runs} runs x 144 months of {SCENARIO}; numpy {np.__version__}, mesa {mesa.__version__}")
    rows = [
        ("hedgesim sweep, 1 worker", bench_runner(replicates, 1)),
        (f"hedgesim sweep, {args.workers} workers", bench_runner(replicates, args.workers)),
        ("mesa.batch_run, 1 process", bench_batch_run(replicates, 1)),
        (f"mesa.batch_run, {args.workers} processes", bench_batch_run(replicates, args.workers)),
        ("plain serial loop", bench_serial(replicates)),
    ]
    print(f"\n{'driver':<32} {'seconds':>8} {'runs/s':>8}")
    for name, seconds in rows:
        print(f"{name:<32} {seconds:8.1f} {runs / seconds:8.1f}")
    if args.profile:
        profile_one_run()


if __name__ == "__main__":
    main()
