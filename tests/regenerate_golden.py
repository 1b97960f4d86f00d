"""Regenerate the golden fixed-seed baseline ON PURPOSE, after a deliberate change to the model.

    python tests/regenerate_golden.py            # every case
    python tests/regenerate_golden.py NAME...    # only these scenarios (e.g. a newly added case)

Then review ``git diff tests/golden`` and say in the commit message why the baseline moved.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim import HedgingModel, load_scenario

GOLDEN = Path(__file__).resolve().parent / "golden"
#: scenario -> seed: the replay, a what-if, and the calibrated model (issue 12: its fixed-seed regression)
CASES = {"historical_2013_2024": 1, "south_china_sea_flareup": 2, "historical_2013_2024_calibrated": 3}


def golden_path(name: str, seed: int) -> Path:
    return GOLDEN / f"{name}_seed{seed}.csv"


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    only = sys.argv[1:]  # `regenerate_golden.py NAME...` regenerates only those
    unknown = sorted(set(only) - set(CASES))
    if unknown:
        print(f"regenerate_golden.py: no golden case {', '.join(unknown)} (cases: {', '.join(CASES)})",
              file=sys.stderr)
        sys.exit(2)
    for name, seed in CASES.items():
        if only and name not in only:
            continue
        series = HedgingModel(load_scenario(name), seed=seed).run().series()
        series.to_csv(golden_path(name, seed), index=False, float_format="%.12g")
        print(f"wrote {golden_path(name, seed)}")


if __name__ == "__main__":
    main()
