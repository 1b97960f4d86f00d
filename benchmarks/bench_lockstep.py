"""Runs per CPU-second of one lockstep block at R = 1, 10, 100, 1000, optionally for several source
trees side by side (e.g. main against a branch), and where the time goes (cProfile).

    python benchmarks/bench_lockstep.py [--sizes 1,10,100,1000] [--rounds 3]
        [--trees OLD_CHECKOUT,NEW_CHECKOUT] [--profile 1000] [--fit] [--report]

Each measurement builds ``HedgingModel(historical_2013_2024, seed=1, replicates=R,
record_actions=False)`` and runs its 144 months, timed with ``time.process_time`` (CPU seconds, so
the figures move less with the machine's other load). With ``--trees``, each round runs this same
script once per tree in a fresh process with ``PYTHONPATH`` set to that tree, trees alternating, so
every tree sees the same load; the table shows each tree's best round and every round is printed.
``--profile R`` profiles one block of R replicates (in this process; cProfile timed by
``time.process_time``) and prints the top functions.
``--fit`` measures each size ``--rounds`` times (in this process, sizes alternating), each block run
as a sweep with the default outcomes runs it (only the series they read, no binding report), takes
each size's least CPU time per block and fits ``fixed + runs x per_run`` by least squares: the block
cost model of ``sim.sweep.runner`` (``BLOCK_FIXED_CPU_S``, ``RUN_CPU_S``).
``--report`` measures each size with and without the binding report (``rule_report=False``, what a
sweep runs when no outcome reads the Four Nos' series), interleaved, best of ``--rounds``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time

SCENARIO = "historical_2013_2024"


def runs_per_cpu_second(replicates: int, rule_report: bool = True, as_a_sweep: bool = False) -> float:
    """One block's runs per CPU-second; ``as_a_sweep``: as a sweep with the default outcomes runs
    it (only the series they read, no binding report)."""
    from sim import HedgingModel

    kwargs = {"rule_report": rule_report}
    if as_a_sweep:
        kwargs = {"rule_report": False, "series": sweep_series()}
    start = time.process_time()
    HedgingModel(SCENARIO, seed=1, replicates=replicates, record_actions=False, **kwargs).run()
    return replicates / (time.process_time() - start)


def sweep_series() -> list[str]:
    """The monthly series a sweep with the default outcomes records (sim.sweep.runner.series_read)."""
    from sim import load_scenario
    from sim.sweep.experiment import default_outcomes
    from sim.sweep.runner import series_read

    return series_read(default_outcomes(load_scenario(SCENARIO).countries), [])


def with_and_without_report(sizes: list[int], rounds: int) -> None:
    """Each size with the binding report (a run's default) and without it (a sweep whose outcomes
    do not read it), interleaved in this process, best of ``rounds``."""
    runs_per_cpu_second(1)
    best: dict[tuple[int, bool], float] = {}
    for _ in range(rounds):
        for r in sizes:
            for keep in (True, False):
                best[r, keep] = max(best.get((r, keep), 0.0), runs_per_cpu_second(r, keep))
    print(f"runs per CPU-second, best of {rounds} interleaved rounds (historical scenario, 144 months)\n")
    print("| R | with the rule report | without | ratio |\n|---:|---:|---:|---:|")
    for r in sizes:
        print(f"| {r} | {best[r, True]:.1f} | {best[r, False]:.1f} | {best[r, False] / best[r, True]:.2f} |")


def measure(sizes: list[int]) -> dict[int, float]:
    runs_per_cpu_second(1)  # warm up imports and caches
    return {r: runs_per_cpu_second(r) for r in sizes}


def in_tree(tree: str, sizes: list[int]) -> dict[int, float]:
    env = {**os.environ, "PYTHONPATH": tree}
    out = subprocess.run([sys.executable, __file__, "--sizes", ",".join(map(str, sizes)), "--json"],
                         env=env, cwd=tree, capture_output=True, text=True, check=True).stdout
    return {int(k): v for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def side_by_side(trees: list[str], sizes: list[int], rounds: int) -> None:
    best: dict[str, dict[int, float]] = {t: {} for t in trees}
    for i in range(rounds):
        for tree in trees:
            got = in_tree(tree, sizes)
            print(f"round {i + 1} {tree}: " + ", ".join(f"R={r} {v:.1f}" for r, v in got.items()))
            best[tree] = {r: max(v, best[tree].get(r, 0.0)) for r, v in got.items()}
    print("\nruns per CPU-second, best of", rounds, "rounds (historical scenario, 144 months)\n")
    print("| R | " + " | ".join(trees) + " | ratio |")
    print("|---:|" + "---:|" * len(trees) + "---:|")
    for r in sizes:
        row = [best[t][r] for t in trees]
        print(f"| {r} | " + " | ".join(f"{v:.1f}" for v in row) + f" | {row[-1] / row[0]:.2f} |")


def fit(sizes: list[int], rounds: int) -> None:
    """Least CPU seconds per block of each size over ``rounds``, and the line through them; each
    block run as a sweep with the default outcomes runs it (:func:`runs_per_cpu_second`)."""
    import numpy as np

    runs_per_cpu_second(1, as_a_sweep=True)
    best: dict[int, float] = {}
    for i in range(rounds):
        for r in sizes:
            cpu = r / runs_per_cpu_second(r, as_a_sweep=True)
            best[r] = min(cpu, best.get(r, np.inf))
            print(f"round {i + 1}: R={r} {cpu:.2f} CPU s", flush=True)
    x = np.array(sizes, dtype=float)
    y = np.array([best[r] for r in sizes])
    per_run, fixed = np.polyfit(x, y, 1)
    print("\n| R | CPU s per block (least of", rounds, "rounds) | fitted |")
    print("|---:|---:|---:|")
    for r in sizes:
        print(f"| {r} | {best[r]:.2f} | {fixed + per_run * r:.2f} |")
    print(f"\nfixed {fixed:.2f} CPU s + {per_run * 1000:.2f} ms per run; blocks of >= "
          f"{int(np.ceil(fixed / (0.10 * per_run)))} runs keep the fixed cost under 10 % of a run's")


def profile(replicates: int, top: int = 20) -> None:
    runs_per_cpu_second(1)
    profiler = cProfile.Profile(time.process_time)  # CPU time: the machine's other load does not inflate it
    profiler.runcall(runs_per_cpu_second, replicates)
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("tottime")
    stats.print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100,1000", help="replicates per block, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="with --trees: interleaved rounds (best of)")
    parser.add_argument("--trees", help="source trees to compare, comma-separated (first is the baseline)")
    parser.add_argument("--profile", type=int, metavar="R", help="profile one block of R replicates")
    parser.add_argument("--json", action="store_true", help="print this process's figures as JSON")
    parser.add_argument("--fit", action="store_true", help="fit the block cost model over --sizes")
    parser.add_argument("--report", action="store_true",
                        help="each size with and without the binding report, side by side")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.profile:
        profile(args.profile)
    elif args.fit:
        fit(sizes, args.rounds)
    elif args.report:
        with_and_without_report(sizes, args.rounds)
    elif args.trees:
        side_by_side(args.trees.split(","), sizes, args.rounds)
    elif args.json:
        print(json.dumps(measure(sizes)))
    else:
        for r, v in measure(sizes).items():
            print(f"R={r}: {v:.1f} runs per CPU-second")


if __name__ == "__main__":
    main()
