"""Peak memory of a sweep against its number of runs, before and after the bounded-memory fixes.

    python benchmarks/bench_memory.py [--runs 5000 50000] [--design lhs|mc] [--before DIR]

Each measurement is a fresh child process (``python benchmarks/bench_memory.py --child N``) that
imports hedgesim, runs ``run_sweep`` on an experiment of N runs of the historical scenario (144
months; one worker, so every run happens in the child; lockstep blocks of the automatic size; three
outcomes and their monthly series written to Parquet) and prints. The experiment is a Latin
hypercube of N design points x 1 replicate over six coefficients (``--design lhs``, the default: the
design table grows with N, as in a calibration) or a Monte Carlo of N seeds (``--design mc``).
It prints

- its peak resident set size, ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux);
- how many models Mesa's agent-id registry ``mesa.Agent._ids`` still holds at the end, after
  ``gc.collect()`` (Mesa issue #3179; see sim/mesa_compat.py);
- CPU seconds (user + system) of the child, for scale only.

``--before DIR`` also measures each size with the hedgesim source tree in DIR on ``PYTHONPATH``
(e.g. ``git archive <commit> sim scenarios | tar -x -C DIR`` for the commit before the fixes). A
benchmark, not a test: the figures move with the machine and its load.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

SCENARIO = "historical_2013_2024"
HERE = Path(__file__).resolve().parents[1]


#: the LHS design's parameters: six coefficients of China, the US, Vietnam, a rule and the dynamics
LHS_PARAMETERS = {
    "agents.china.assertiveness": [0.2, 1.0],
    "agents.united_states.commitment": [0.2, 1.0],
    "agents.russia.reliability": [0.1, 0.9],
    "agents.vietnam.temperature": [0.05, 0.3],
    "rules.one_depend.threat_threshold": [0.5, 0.9],
    "dynamics.threat_decay": [0.02, 0.2],
}


def experiment_yaml(runs: int, design: str = "lhs") -> str:
    if design == "lhs":
        params = "".join(f"\n            {p}: {r}" for p, r in LHS_PARAMETERS.items())
        head = f"replicates: 1\n        design:\n          method: lhs\n          samples: {runs}\n" \
               f"          parameters:{params}"
    else:
        head = f"replicates: {runs}"
    return textwrap.dedent(f"""
        name: bench_memory
        scenario: {SCENARIO}
        {head}
        seed: 11
        outcomes:
          mean_hedging_index: {{series: hedging_index, reduce: mean}}
          crises: {{series: crisis_count, reduce: last}}
          final_tier_us: {{series: tier_united_states, reduce: last}}
        plots: []
        """)


def child(runs: int, design: str) -> dict[str, float]:
    """Run the sweep in this process and measure it (called in a fresh interpreter)."""
    import mesa

    from sim.sweep.sweep import run_sweep

    with tempfile.TemporaryDirectory() as tmp:
        exp = Path(tmp) / "bench_memory.yaml"
        exp.write_text(experiment_yaml(runs, design))
        report = run_sweep(exp, Path(tmp) / "out", workers=1, progress=False, yes=True)
        assert report.complete, "the sweep did not finish"
    gc.collect()  # a model's reference cycles (Model.step wraps a bound method) wait for the collector
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"runs": runs, "peak_rss_mb": usage.ru_maxrss / 1024, "models_held": len(mesa.Agent._ids),
            "cpu_s": usage.ru_utime + usage.ru_stime}


def measure(runs: int, tree: Path, design: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, __file__, "--child", str(runs), "--design", design], check=True,
                         capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[5000, 50000], help="sweep sizes")
    parser.add_argument("--design", choices=["lhs", "mc"], default="lhs",
                        help="LHS of N points x 1 replicate, or a Monte Carlo of N seeds")
    parser.add_argument("--before", type=Path, help="a hedgesim source tree without the fixes")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.design)))
        return
    trees = [("before", args.before)] if args.before else []
    trees.append(("after", HERE))
    print(f"design: {args.design}")
    print("| runs | code | peak RSS (MB) | models still held | CPU s |")
    print("|---:|---|---:|---:|---:|")
    for runs in args.runs:
        for label, tree in trees:
            r = measure(runs, tree, args.design)
            print(f"| {r['runs']:,} | {label} | {r['peak_rss_mb']:.0f} | {r['models_held']} "
                  f"| {r['cpu_s']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
