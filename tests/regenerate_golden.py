"""Regenerate the golden fixed-seed baseline ON PURPOSE, after a deliberate change to the model.

    python tests/regenerate_golden.py

Then review ``git diff tests/golden`` and say in the commit message why the baseline moved.
"""

from __future__ import annotations

from pathlib import Path

from sim import HedgingModel, load_scenario

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = {"historical_2013_2024": 1, "south_china_sea_flareup": 2}


def golden_path(name: str, seed: int) -> Path:
    return GOLDEN / f"{name}_seed{seed}.csv"


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, seed in CASES.items():
        series = HedgingModel(load_scenario(name), seed=seed).run().series()
        series.to_csv(golden_path(name, seed), index=False, float_format="%.12g")
        print(f"wrote {golden_path(name, seed)}")


if __name__ == "__main__":
    main()
