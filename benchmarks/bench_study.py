"""A whole Sobol' study of the historical scenario, as a user runs it: ``hedgesim sweep`` of about
100,000 runs on the local workers, then its analysis (indices, tables, figures), wall clock.

    python benchmarks/bench_study.py [--samples 8192] [--workers 2] [--out DIR]

The design: nine coefficients of the replay (144 months), Saltelli's scheme without second order,
one replicate per point: ``samples x (9 + 1 dummy + 2)`` runs, 98,304 at 8,192 samples. The default
outcomes, stored series and figures. The sweep runs in a child process (``hedgesim sweep --workers
N --no-progress``), timed with ``time.perf_counter`` around it; the sweep's own line gives the
time to its last run, the rest is writing the summary and the analysis. Peak memory is the largest
resident set of any one process of the sweep (``RUSAGE_CHILDREN``). Not a timed test: the figures
move with the machine's load.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_sweep import SOBOL_PARAMETERS  # this folder is on the script's path

#: the sweep benchmark's six coefficients, and China's ladder risk, Japan's commitment, trust's decay
PARAMETERS = {**SOBOL_PARAMETERS, "agents.china.ladder.risk": [0.08, 0.2],
              "agents.japan.commitment": [0.2, 1.0], "dynamics.trust_decay": [0.01, 0.1]}


def experiment_yaml(samples: int) -> str:
    params = "".join(f"\n    {p}: {r}" for p, r in PARAMETERS.items())
    return (f"name: study_100k\nscenario: historical_2013_2024\nseed: 2026\nreplicates: 1\n"
            f"design:\n  method: sobol\n  samples: {samples}\n  parameters:{params}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=8192, help="Sobol' base samples (a power of 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="keep the results here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        exp = Path(tmp) / "study_100k.yaml"
        exp.write_text(experiment_yaml(args.samples))
        out = args.out or Path(tmp) / "out"
        runs = args.samples * (len(PARAMETERS) + 3)
        cmd = ["hedgesim", "sweep", str(exp), "--workers", str(args.workers), "--no-progress",
               "--out", str(out), "--yes"]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        total = time.perf_counter() - start
    swept = re.search(r"runs in ([0-9.]+) s", done.stdout)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"Sobol' study of historical_2013_2024: {runs:,} runs ({args.samples} samples x "
          f"{len(PARAMETERS)} coefficients + dummy), {args.workers} workers; "
          f"Python {sys.version.split()[0]}\n")
    print("| phase | wall s | runs per s |\n|---|---:|---:|")
    if swept:
        sweep_s = float(swept.group(1))
        print(f"| sweep (to its last run) | {sweep_s:.1f} | {runs / sweep_s:.0f} |")
        print(f"| summary and analysis (indices, tables, figures) | {total - sweep_s:.1f} | - |")
    print(f"| whole study | {total:.1f} | {runs / total:.0f} |")
    print(f"\npeak resident memory of one process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
