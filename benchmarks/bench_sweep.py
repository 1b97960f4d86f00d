"""Per-run speed of every kind of design against a Monte Carlo and the plain loop, side by side.

    python benchmarks/bench_sweep.py [--runs 1024] [--check 8] [--rounds 3] [--drivers] [--profile]

**Designs** (the default): the historical scenario (144 months), ``--runs`` runs each of

1. a Sobol' design with 1 replicate per point (6 coefficients, Saltelli's scheme without second
   order: runs/8 base samples x 8 points);
2. the same Sobol' design with 4 replicates per point (runs/32 base samples);
3. a control: design 1 with every range 1e-9 wide at the parameter's default, so its runs do the
   Monte Carlo's work and only the design machinery differs (per-replicate coefficients);
4. a Monte Carlo: ``--runs`` seeds of the base scenario;
5. the plain loop, one ``HedgingModel(...).run()`` per run, on ``--check`` runs of each of them
   (its per-run cost extrapolates: a run alone costs the same whichever run it is).

Each sweep runs in this process (``run_sweep(workers=1)``: no pool, blocks of the automatic size)
and is timed in CPU seconds (``time.process_time``, so the figures move less with the machine's
other load) and wall seconds, in ``--rounds`` interleaved rounds (each driver once per round); the
table shows each driver's best round, and every round is printed below it. The plain loop
recomputes ``--check`` runs of each sweep from their design-point values and seeds, and every
outcome must equal the sweep's bit for bit.

**Drivers** (``--drivers``): the set: the historical scenario (144 months), China's assertiveness
at 10 levels, runs/10 replicates each, seeds from the experiment's root seed. Driven by

1. hedgesim's sweep runner (chunks of lockstep replicates on a fork pool; Parquet parts written);
2. ``mesa.batch_run`` (full factorial over assertiveness x seed, a DataCollector read at the end);
3. a plain serial loop over ``HedgingModel(...).run()``.

**Reference** (``--reference DIR``): per-CPU-second figures move with the machine (the same code ran
2.5x faster on one machine of this workplace than on another), so a goal set in runs per CPU-second
on one machine is checked on another against a yardstick run on both: the plain loop of the
hedgesim source tree in DIR (e.g. ``git archive a477c15 | tar -x -C DIR``, the code the goal of
issue 11 was measured on: 1.3 runs per CPU-s there), run here in a child process (best of 5 runs
after one to warm up). The table then gives each design's rate in multiples of it and the goal
scaled to this machine.

Wall-clock time with ``time.perf_counter``, once each (not a timed test: numbers move with the
machine's load). The first two compute the same outcomes; the loop computes them too.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from sim import HedgingModel, load_scenario, with_overrides
from sim.bundled import SCENARIOS_DIR
from sim.metrics import model_reporters
from sim.scenario.loader import scenario_value
from sim.sweep.experiment import Experiment, default_outcomes, load_experiment
from sim.sweep.outcomes import reduce_outcomes
from sim.sweep.runner import run_seed
from sim.sweep.store import ResultStore
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


# ------------------------------------------------------------------------------------------ designs
#: the Sobol' design's coefficients: China, the US, Russia, Vietnam, a rule and the world's dynamics
SOBOL_PARAMETERS = {
    "agents.china.assertiveness": [0.2, 1.0],
    "agents.united_states.commitment": [0.2, 1.0],
    "agents.russia.reliability": [0.1, 0.9],
    "agents.vietnam.temperature": [0.05, 0.3],
    "rules.one_depend.threat_threshold": [0.5, 0.9],
    "dynamics.threat_decay": [0.02, 0.2],
}
OUTCOMES = {"mean_hedging_index": ("hedging_index", "mean"), "crises": ("crisis_count", "last"),
            "max_escalation": ("escalation", "max"), "final_tier_us": ("tier_united_states", "last")}


NARROW = 1e-9  # width of the control design's ranges, at the defaults: the same work as a Monte Carlo


def design_runs(runs: int, replicates: int) -> int:
    """Runs of the Sobol' design :func:`design_yaml` builds for ``runs``: N = runs / (reps (D + 2))
    samples (D coefficients), each of N (D' + 2) points, where D' = D + 1 counts the noise-floor dummy
    every Sobol' design carries (sim.sweep.design)."""
    return runs // (replicates * (len(SOBOL_PARAMETERS) + 2)) * replicates * (len(SOBOL_PARAMETERS) + 3)


def design_yaml(runs: int, replicates: int | None, narrow: bool = False) -> str:
    """A Sobol' design of ``runs`` runs with ``replicates`` per point, or (None) a Monte Carlo.
    ``narrow``: every range ``NARROW`` wide at the parameter's default, so the runs do the work of
    the Monte Carlo's and only the design machinery (per-replicate coefficients) differs."""
    scenario = SCENARIOS_DIR / f"{SCENARIO}.yaml"
    outcomes = "".join(f"\n  {k}: {{series: {c}, reduce: {r}}}" for k, (c, r) in OUTCOMES.items())
    if replicates is None:
        body = f"replicates: {design_runs(runs, 1)}\n"  # as many runs as the designs
    else:
        samples = runs // (replicates * (len(SOBOL_PARAMETERS) + 2))
        ranges = dict(SOBOL_PARAMETERS)
        if narrow:
            base = load_scenario(SCENARIO)
            ranges = {p: [float(scenario_value(base, p)), float(scenario_value(base, p)) + NARROW]
                      for p in ranges}
        params = "".join(f"\n    {p}: {r}" for p, r in ranges.items())
        body = (f"replicates: {replicates}\ndesign:\n  method: sobol\n  samples: {samples}\n"
                f"  parameters:{params}\n")
    return (f"name: bench_design\nscenario: {scenario}\nseed: {ROOT_SEED}\n{body}"
            f"outcomes:{outcomes}\nplots: []\n")


def bench_design(text: str, tmp: Path, name: str) -> tuple[float, float, pd.DataFrame, Experiment]:
    """Run one experiment in this process: CPU seconds, wall seconds, its runs table."""
    exp = tmp / f"{name}.yaml"
    exp.write_text(text)
    wall, cpu = time.perf_counter(), time.process_time()
    report = run_sweep(exp, tmp / name, workers=1, progress=False, yes=True)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert report.complete
    return cpu, wall, ResultStore(report.out).runs(), load_experiment(exp)[0]


def plain_loop(runs: pd.DataFrame, experiment: Experiment, check: int) -> tuple[float, int]:
    """Recompute the first ``check`` runs one model each; CPU seconds per run. Every outcome must
    equal the sweep's (bit for bit)."""
    base = load_scenario(SCENARIO)
    params = experiment.parameters
    cpu = time.process_time()
    for i in range(min(check, len(runs))):
        row, seed = runs.iloc[i], int(runs["seed"].iloc[i])
        scenario = with_overrides(base, {p: float(row[p]) for p in params}) if params else base
        model = HedgingModel(scenario, seeds=[seed], record_actions=False).run()
        got = reduce_outcomes(model.series_values(), [c.name for c in model.columns], scenario.start,
                              dict(experiment.outcomes))
        for key in experiment.outcomes:
            if got[key][0] != row[key]:
                raise AssertionError(f"run {int(row['run'])}: {key} alone {got[key][0]!r} "
                                     f"!= sweep {row[key]!r}")
    return (time.process_time() - cpu) / check, check


#: issue 11's goal for every sweep, in runs per CPU-s, and the plain loop's rate on the machine and
#: code it was measured on (the commit before 32e0d13, a477c15)
GOAL_RUNS_PER_CPU_S = 500
GOAL_REFERENCE_LOOP = 1.3
_REFERENCE_LOOP = """
import time
from sim import HedgingModel
HedgingModel("historical_2013_2024", seed=0).run()
seconds = []
for seed in range(1, 6):
    start = time.process_time()
    HedgingModel("historical_2013_2024", seed=seed).run()
    seconds.append(time.process_time() - start)
print(1 / min(seconds))
"""


def reference_loop(tree: Path) -> float:
    """Runs per CPU-s of the plain loop of the source tree ``tree``, on this machine."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    out = subprocess.run([sys.executable, "-c", _REFERENCE_LOOP], env=env, cwd=tempfile.gettempdir(),
                         capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


DRIVERS = {"sobol1": ("Sobol', 1 replicate per point", (1, False)),
           "sobol4": ("Sobol', 4 replicates per point", (4, False)),
           "control": ("Sobol', 1 replicate per point, ranges 1e-9 wide at the defaults", (1, True)),
           "mc": ("Monte Carlo (1 point)", (None, False))}


def designs(runs: int, check: int, rounds: int, which: list[str], reference: Path | None = None) -> None:
    print(f"{design_runs(runs, 1)} runs x 144 months of {SCENARIO} per driver; numpy {np.__version__}, "
          f"mesa {mesa.__version__}; CPU seconds of this process, best of {rounds} interleaved rounds")
    drivers = [DRIVERS[k] for k in which if k != "mc"] + [DRIVERS["mc"]]
    cpu: dict[str, list[float]] = {label: [] for label, _ in drivers}
    wall: dict[str, list[float]] = {label: [] for label, _ in drivers}
    points, plain_cpu = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(rounds):
            for i, (label, (reps, narrow)) in enumerate(drivers):
                text = design_yaml(runs, reps, narrow)
                c, w, table, experiment = bench_design(text, Path(tmp), f"d{i}-{k}")
                assert len(table) == design_runs(runs, reps or 1), (label, len(table))
                cpu[label].append(c)
                wall[label].append(w)
                points[label] = table["point"].nunique()
                if k == 0:
                    plain_cpu[label] = plain_loop(table, experiment, check)[0]
    plain = float(np.mean(list(plain_cpu.values())))
    runs = design_runs(runs, 1)
    mc = runs / min(cpu[drivers[-1][0]])
    print("\n| driver | design points | CPU s | wall s | runs per CPU-s | x Monte Carlo | its runs alone, "
          "CPU s per run | x plain loop |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, _ in drivers:
        rate = runs / min(cpu[label])
        print(f"| {label} | {points[label]:,} | {min(cpu[label]):.1f} | {min(wall[label]):.1f} | {rate:.1f} "
              f"| {rate / mc:.2f} | {plain_cpu[label]:.2f} | {rate * plain_cpu[label]:.0f} |")
    print(f"| plain loop, one model per run ({check} runs of each design) | - "
          f"| {plain * check * len(drivers):.1f} | - | {1 / plain:.2f} | {1 / plain / mc:.3f} "
          f"| {plain:.2f} | 1 |")
    print("\nall rounds, CPU s: " + "; ".join(f"{label}: {', '.join(f'{c:.1f}' for c in cpu[label])}"
                                             for label, _ in drivers))
    print(f"results checked identical: {check} runs of each design recomputed alone, every outcome equal")
    if reference is not None:
        loop = reference_loop(reference)
        print(f"\nreference: the plain loop of {reference} runs {loop:.2f} runs per CPU-s here "
              f"({GOAL_REFERENCE_LOOP} where the goal was set): the goal of {GOAL_RUNS_PER_CPU_S} runs per "
              f"CPU-s is {GOAL_RUNS_PER_CPU_S * loop / GOAL_REFERENCE_LOOP:.0f} on this machine")
        for label, _ in drivers:
            rate = runs / min(cpu[label])
            print(f"- {label}: {rate / loop:.0f} x the reference loop (goal "
                  f"{GOAL_RUNS_PER_CPU_S / GOAL_REFERENCE_LOOP:.0f} x)")


# ------------------------------------------------------------------------------------------ drivers
def drivers(runs_wanted: int, workers: int) -> None:
    replicates = max(1, runs_wanted // len(LEVELS))
    runs = replicates * len(LEVELS)
    print(f"{runs} runs x 144 months of {SCENARIO}; numpy {np.__version__}, mesa {mesa.__version__}")
    rows = [
        ("hedgesim sweep, 1 worker", bench_runner(replicates, 1)),
        (f"hedgesim sweep, {workers} workers", bench_runner(replicates, workers)),
        ("mesa.batch_run, 1 process", bench_batch_run(replicates, 1)),
        (f"mesa.batch_run, {workers} processes", bench_batch_run(replicates, workers)),
        ("plain serial loop", bench_serial(replicates)),
    ]
    print(f"\n{'driver':<32} {'seconds':>8} {'runs/s':>8}")
    for name, seconds in rows:
        print(f"{name:<32} {seconds:8.1f} {runs / seconds:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1024, help="runs per design (a multiple of 32)")
    parser.add_argument("--check", type=int, default=8, help="runs of each design recomputed alone")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best of)")
    parser.add_argument("--which", default="sobol1,sobol4,control,mc",
                        help=f"designs to compare, of {', '.join(DRIVERS)} (the Monte Carlo always runs)")
    parser.add_argument("--drivers", action="store_true",
                        help="instead: the sweep runner against mesa.batch_run and the loop (wall time)")
    parser.add_argument("--workers", type=int, default=2, help="with --drivers")
    parser.add_argument("--profile", action="store_true", help="also profile one run")
    parser.add_argument("--reference", type=Path,
                        help="a hedgesim source tree whose plain loop is the yardstick (see above)")
    args = parser.parse_args()
    if args.drivers:
        drivers(args.runs, args.workers)
    else:
        designs(args.runs, args.check, args.rounds, args.which.split(","), args.reference)
    if args.profile:
        profile_one_run()


if __name__ == "__main__":
    main()
