"""Peak memory of a sweep against its number of runs, before and after the bounded-memory fixes.

    python benchmarks/bench_memory.py [--runs 5000 50000] [--design lhs|mc] [--before DIR] [--months M]

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
- CPU seconds (user + system) of the child, for scale only;
- the peak so far at two phases of the sweep driver — after planning the design (``prepare``) and
  after writing experiment.json — and the range of the child's resident size (``/proc/self/statm``)
  after each block is written, first and second half of the blocks apart (a trend shows as a
  higher second half);
- the peak after each block: after how many blocks the sweep reached its peak, and the peak after
  its first 5 blocks (a sweep of more blocks above that has grown with its runs; one equal to it
  only took a few blocks to reach it).

``--months M`` runs a copy of the scenario cut to its first M months (events after them dropped),
so that the memory of a large sweep is measured in a few CPU-minutes: e.g. ``--months 12 --runs
20000 100000``.

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


def cut_scenario(folder: Path, months: int) -> Path:
    """A copy of the bundled scenario cut to its first ``months`` months, events after them dropped."""
    import yaml

    from sim.scenario.loader import BUNDLED_DIR

    data = yaml.safe_load((BUNDLED_DIR / f"{SCENARIO}.yaml").read_text())
    year, month = map(int, str(data["start"]).split("-"))

    def offset(date: str) -> int:
        y, m = map(int, str(date).split("-"))
        return (y - year) * 12 + m - month

    data.update(name=f"{SCENARIO}_first_{months}", months=months,
                events=[e for e in data["events"] if offset(e["date"]) < months])
    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def watch_phases(phases: dict[str, float], blocks: list[float], peaks: list[float]) -> None:
    """Record the peak after planning and after writing experiment.json, and the resident size
    after each block is written (the sweep driver's functions wrapped, nothing else changed)."""
    from sim.sweep import store, sweep

    prepare, write_metadata, write_chunk = sweep.prepare, store.ResultStore.write_metadata, \
        store.ResultStore.write_chunk

    def planned(*args, **kwargs):
        result = prepare(*args, **kwargs)
        phases["planned_mb"] = peak_mb()
        return result

    def metadata_written(self, meta):
        write_metadata(self, meta)
        phases["experiment_json_mb"] = peak_mb()

    def block_written(self, runs, series):
        write_chunk(self, runs, series)
        blocks.append(resident_mb())
        peaks.append(peak_mb())

    sweep.prepare, store.ResultStore.write_metadata, store.ResultStore.write_chunk = \
        planned, metadata_written, block_written


def child(runs: int, design: str, months: int | None) -> dict[str, float]:
    """Run the sweep in this process and measure it (called in a fresh interpreter)."""
    import mesa

    from sim.sweep.sweep import run_sweep

    phases: dict[str, float] = {}
    blocks: list[float] = []
    peaks: list[float] = []
    watch_phases(phases, blocks, peaks)
    with tempfile.TemporaryDirectory() as tmp:
        exp = Path(tmp) / "bench_memory.yaml"
        text = experiment_yaml(runs, design)
        if months:
            text = text.replace(f"scenario: {SCENARIO}", f"scenario: {cut_scenario(Path(tmp), months)}")
        exp.write_text(text)
        report = run_sweep(exp, Path(tmp) / "out", workers=1, progress=False, yes=True)
        assert report.complete, "the sweep did not finish"
    gc.collect()  # a model's reference cycles (Model.step wraps a bound method) wait for the collector
    usage = resource.getrusage(resource.RUSAGE_SELF)
    half = len(blocks) // 2
    return {"runs": runs, "peak_rss_mb": usage.ru_maxrss / 1024, "models_held": len(mesa.Agent._ids),
            "cpu_s": usage.ru_utime + usage.ru_stime, **phases, "blocks": len(blocks),
            "first_half_mb": [min(blocks[:half] or blocks), max(blocks[:half] or blocks)],
            "second_half_mb": [min(blocks[half:]), max(blocks[half:])],
            "peak_at_block": 1 + peaks.index(max(peaks)), "peak_after_5_blocks_mb": peaks[:EARLY_BLOCKS][-1]}


#: blocks after which the peak so far is reported (a sweep of 5,000 runs has ~5 automatic blocks)
EARLY_BLOCKS = 5


def measure(runs: int, tree: Path, design: str, months: int | None) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cut = ["--months", str(months)] if months else []
    out = subprocess.run([sys.executable, __file__, "--child", str(runs), "--design", design, *cut],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[5000, 50000], help="sweep sizes")
    parser.add_argument("--design", choices=["lhs", "mc"], default="lhs",
                        help="LHS of N points x 1 replicate, or a Monte Carlo of N seeds")
    parser.add_argument("--before", type=Path, help="a hedgesim source tree without the fixes")
    parser.add_argument("--months", type=int, help="a copy of the scenario cut to its first M months")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.design, args.months)))
        return
    trees = [("before", args.before)] if args.before else []
    trees.append(("after", HERE))
    cut = f", first {args.months} months" if args.months else ""
    print(f"design: {args.design}; scenario: {SCENARIO}{cut}")
    print("| runs | code | peak RSS (MB) | models still held | CPU s | peak after planning | after "
          "experiment.json | resident after each block, first half / second half | peak reached "
          "at block | peak after 5 blocks |")
    print("|---:|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for runs in args.runs:
        for label, tree in trees:
            r = measure(runs, tree, args.design, args.months)
            print(f"| {r['runs']:,} | {label} | {r['peak_rss_mb']:.0f} | {r['models_held']} "
                  f"| {r['cpu_s']:.0f} | {r['planned_mb']:.0f} | {r['experiment_json_mb']:.0f} "
                  f"| {_span(r['first_half_mb'])} / "
                  f"{_span(r['second_half_mb'])} ({r['blocks']} blocks) | {r.get('peak_at_block', '-')} "
                  f"| {r.get('peak_after_5_blocks_mb', float('nan')):.0f} |", flush=True)


def _span(values: list[float]) -> str:
    return f"{values[0]:.0f}-{values[1]:.0f}"


if __name__ == "__main__":
    main()
