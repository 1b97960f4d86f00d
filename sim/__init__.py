"""hedgesim: an agent-based model of Vietnam's 'bamboo' hedging (see README.md and docs/model.md).

The public API::

    from sim import load_scenario, HedgingModel
    model = HedgingModel(load_scenario("historical_2013_2024"), seed=1).run()
    model.series()   # pandas DataFrame, one row per month
    evaluate("south_china_sea_flareup", seed=1, **{"agents.china.assertiveness": 0.7})  # -> dict
    compare("south_china_sea_flareup", ["us_retrenchment"], replicates=50).differences  # what-if
"""

from __future__ import annotations

import importlib
import sys
import types
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.compare import Comparison, compare
    from sim.model import HedgingModel
    from sim.scenario.loader import ScenarioError, content_hash, load_scenario, with_overrides
    from sim.scenario.schema import Scenario
    from sim.sweep.evaluate import evaluate

try:
    __version__ = version("hedgesim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+src"

#: the public API: name -> the module that defines it, imported on first use (PEP 562), so that
#: ``import sim.cli`` (``hedgesim --help``) or ``import sim.scenario`` does not load Mesa and the model
_API = {"Comparison": "sim.compare", "compare": "sim.compare", "HedgingModel": "sim.model",
        "ScenarioError": "sim.scenario.loader", "content_hash": "sim.scenario.loader",
        "load_scenario": "sim.scenario.loader", "with_overrides": "sim.scenario.loader",
        "Scenario": "sim.scenario.schema", "evaluate": "sim.sweep.evaluate"}

__all__ = ["Comparison", "HedgingModel", "Scenario", "ScenarioError", "compare", "content_hash", "evaluate",
           "load_scenario", "with_overrides", "__version__"]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``sim`` itself: importing the submodule ``sim.compare`` does not rebind ``sim.compare``
    (the function ``compare``) to the module, as it would on a plain package."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
