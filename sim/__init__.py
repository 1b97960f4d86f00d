"""hedgesim: an agent-based model of Vietnam's 'bamboo' hedging (see README.md and docs/model.md).

The public API::

    from sim import load_scenario, HedgingModel
    model = HedgingModel(load_scenario("historical_2013_2024"), seed=1).run()
    model.series()   # pandas DataFrame, one row per month
    evaluate("south_china_sea_flareup", seed=1, **{"agents.china.assertiveness": 0.7})  # -> dict
    compare("south_china_sea_flareup", ["us_retrenchment"], replicates=50).differences  # what-if
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from sim.compare import Comparison, compare
from sim.model import HedgingModel
from sim.scenario.loader import ScenarioError, content_hash, load_scenario, with_overrides
from sim.scenario.schema import Scenario
from sim.sweep.evaluate import evaluate

try:
    __version__ = version("hedgesim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+src"

__all__ = ["Comparison", "HedgingModel", "Scenario", "ScenarioError", "compare", "content_hash", "evaluate",
           "load_scenario", "with_overrides", "__version__"]
