"""Fixed-seed baseline: any change in the model's behaviour shows up here.

If the change is deliberate, run ``python tests/regenerate_golden.py`` and commit the new baseline
with the reason; never edit the CSVs by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim import HedgingModel, load_scenario
from tests.regenerate_golden import CASES, golden_path


@pytest.mark.parametrize(("name", "seed"), CASES.items())
def test_series_matches_golden_baseline(name, seed):
    expected = pd.read_csv(golden_path(name, seed), dtype={"date": str})
    actual = HedgingModel(load_scenario(name), seed=seed).run().series()
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=1e-9, atol=1e-12)
