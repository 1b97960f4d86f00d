"""A fingerprint of everything the model writes, to check that a change leaves every run unchanged
bit for bit (a speed change should; a mechanism change should not, and says so).

    python benchmarks/fingerprint.py OUT.json [--tree DIR]
    python benchmarks/fingerprint.py --compare A.json B.json

It runs, with the hedgesim source tree in DIR on ``sys.path`` (default: this checkout):

- every bundled scenario as a lockstep block of 40 seeds with the action log and the binding
  report: a SHA-256 of its monthly series (the raw float64 bytes), actions, crises, events and
  rules tables (each cell as text);
- each scenario's seed 7 alone (the same run outside a block);
- a block of 50 seeds of the replay with China's assertiveness varied across them (a mixed block,
  as a sweep builds one).

To compare two commits: ``git archive <commit> | tar -x -C DIR`` for each, one OUT.json per tree,
then ``--compare``. Same machine for both: with and without AVX-512 numpy's ``exp`` and ``log``
differ in the last bit (README, "Running scenarios"). About 20 CPU-seconds per tree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

SEEDS = 40
ALONE_SEED = 7
VARIED = ("agents.china.assertiveness", 0.1, 0.9, 50)


def digest(table) -> str:  # noqa: ANN001 - a DataFrame or an array
    """SHA-256 (first 16 hex digits) of a table's cells as text with its columns, or an array's bytes."""
    import numpy as np
    import pandas as pd

    h = hashlib.sha256()
    if isinstance(table, pd.DataFrame):
        h.update(pd.util.hash_pandas_object(table.astype(str), index=False).to_numpy().tobytes())
        h.update(str(list(table.columns)).encode())
    else:
        h.update(np.ascontiguousarray(table).tobytes())
    return h.hexdigest()[:16]


def fingerprint(tree: Path) -> dict[str, object]:
    """Every bundled scenario's outputs, one seed alone, and a mixed block, as digests."""
    sys.path.insert(0, str(tree.resolve()))
    import numpy as np

    from sim.model import HedgingModel
    from sim.scenario.loader import load_scenario

    out: dict[str, object] = {}
    for path in sorted((tree / "scenarios").glob("*.yaml")):
        scenario = load_scenario(path)
        m = HedgingModel(scenario, seeds=list(range(SEEDS)), record_actions=True, rule_report=True).run()
        out[path.stem] = {"series": digest(m.series_values()), "actions": digest(m.actions()),
                          "crises": digest(m.crises()), "events": digest(m.events()),
                          "rules": digest(m.rule_report()),
                          "alone": digest(HedgingModel(scenario, seed=ALONE_SEED).run().series_values())}
    path, low, high, n = VARIED
    varying = {path: np.linspace(low, high, n)}
    m = HedgingModel(load_scenario(tree / "scenarios" / "historical_2013_2024.yaml"),
                     seeds=list(range(100, 100 + n)), record_actions=False, varying=varying).run()
    out["mixed_block"] = digest(m.series_values())
    return out


def compare(a: dict, b: dict) -> list[str]:
    """The entries that differ (``scenario.table``), or that one side lacks."""
    differ = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            differ += [f"{key}.{t}" for t in sorted(set(x) | set(y)) if x.get(t) != y.get(t)]
        elif x != y:
            differ.append(key)
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help="where to write the fingerprint (JSON)")
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1],
                        help="a hedgesim source tree (default: this checkout)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"), help="two fingerprints")
    args = parser.parse_args()
    if args.compare:
        a, b = (json.loads(p.read_text()) for p in args.compare)
        differ = compare(a, b)
        print("the same, bit for bit" if not differ else "differ: " + ", ".join(differ))
        sys.exit(1 if differ else 0)
    if args.out is None:
        parser.error("give OUT.json, or --compare A B")
    args.out.write_text(json.dumps(fingerprint(args.tree), indent=1) + "\n")
    print(f"wrote {args.out} (the hedgesim source tree {args.tree})")


if __name__ == "__main__":
    main()
