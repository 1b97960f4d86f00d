"""``sim.evaluate`` as EMA Workbench drives it (one scenario, many replications): calls per second with
the scenario read once (the cache) against read on every call, side by side in one run.

    python benchmarks/bench_evaluate.py [--calls 20] [--scenario south_china_sea_flareup]

Wall-clock time with ``time.perf_counter``, the two ways interleaved call by call so that the machine's
load falls on both alike (not a timed test: the numbers move with the load).
"""

from __future__ import annotations

import argparse
import time

import sim
from sim.scenario import loader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--scenario", default="south_china_sea_flareup")
    args = parser.parse_args()
    spent = {"cached": 0.0, "read every call": 0.0}
    sim.evaluate(args.scenario, seed=0)  # imports and first read outside the clock
    for i in range(args.calls):
        for way in spent:
            if way != "cached":
                loader._LOADED.clear()
            start = time.perf_counter()
            sim.evaluate(args.scenario, seed=i, **{"agents.china.assertiveness": 0.7})
            spent[way] += time.perf_counter() - start
    for way, seconds in spent.items():
        print(f"{way:<16} {args.calls / seconds:6.2f} calls/s  ({seconds / args.calls * 1000:.0f} ms a call)")


if __name__ == "__main__":
    main()
