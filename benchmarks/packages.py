"""Signing share per kind of agreement in the historical replay (issue 10 item 7).

Runs ``historical_2013_2024`` for ``--replicates`` lockstep seeds and counts, per kind, the agreements
China proposed in its summit packages and Vietnam signed (``Vietnam.package_proposed/_signed``). The
share signed is the pooled share; its 5-95 % interval is a seeded bootstrap over the runs that got a
package. The articles: 36 of ~45 signed; search and rescue and joint patrols signed; the critical
minerals deal refused ([VOA2023]; [Grossman2023]).

Usage: ``python benchmarks/packages.py [--replicates 200] [--seed 2013]`` (about a minute loaded).
"""

from __future__ import annotations

import argparse

import numpy as np

from sim.actions import AgreementKind
from sim.model import HedgingModel
from sim.scenario.loader import load_scenario

BOOT = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2013)
    args = parser.parse_args()
    model = HedgingModel(load_scenario("historical_2013_2024"), seed=args.seed,
                         replicates=args.replicates, record_actions=False).run()
    proposed, signed = model.vietnam.package_proposed, model.vietnam.package_signed
    runs = np.flatnonzero(proposed.sum(axis=1) > 0)
    rng = np.random.default_rng(0)
    boot = rng.choice(runs, size=(BOOT, len(runs)))
    print(f"historical_2013_2024, {args.replicates} replicates (seed {args.seed}): "
          f"{len(runs)} runs with a package")
    print(f"{'kind':<20} {'proposed':>9} {'signed':>8} {'share':>7}  5-95%")
    for kind in AgreementKind:
        p, s = proposed[:, kind], signed[:, kind]
        shares = s[boot].sum(axis=1) / np.maximum(p[boot].sum(axis=1), 1)
        lo, hi = np.quantile(shares, [0.05, 0.95])
        print(f"{kind.name.lower():<20} {int(p.sum()):>9} {int(s.sum()):>8} "
              f"{s.sum() / max(p.sum(), 1):>7.3f}  [{lo:.3f}, {hi:.3f}]")
    per_package = signed[runs].sum(axis=1) / np.maximum(1, proposed[runs].sum(axis=1) / 45)
    print(f"signed per package of 45: mean {per_package.mean():.1f}")


if __name__ == "__main__":
    main()
