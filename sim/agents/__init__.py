"""One module per state: Vietnam (the hedger), China, the United States, Japan, Russia, and a
generic partner that a scenario can add by name. ``base`` holds the shared decision cycle and the
registry of agents.

Every module of this package is imported here, so a new state with a class of its own is one
file: ``sim/agents/india.py`` with ``@register_agent class India(Partner): key = "india";
Params = IndiaParams``. A scenario that names ``india`` then gets that class and its parameters.
"""

from __future__ import annotations

import importlib
import pkgutil

from sim.agents.base import AGENTS, StateAgent, register_agent
from sim.agents.partner import Partner, PartnerParams
from sim.scenario.schema import Country

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

from sim.agents.china import China  # noqa: E402
from sim.agents.japan import Japan  # noqa: E402
from sim.agents.russia import Russia  # noqa: E402
from sim.agents.united_states import UnitedStates  # noqa: E402
from sim.agents.vietnam import Vietnam  # noqa: E402

missing = [c.value for c in Country if c.value not in AGENTS]
assert not missing, f"the five states need a registered class: {missing}"


def agent_class(name: str) -> type[StateAgent]:
    """The class of the state ``name``: its registered class, or the generic :class:`Partner`."""
    return AGENTS.get(name, Partner)


def params_model(name: str, values: dict) -> type | None:
    """The parameter model for agent ``name`` given its raw values: the registered class's
    ``Params``, :class:`PartnerParams` for an unregistered ``type: partner``, else None."""
    if name in AGENTS:
        return AGENTS[name].Params
    return PartnerParams if values.get("type") == "partner" else None


__all__ = ["AGENTS", "China", "Japan", "Partner", "PartnerParams", "Russia", "StateAgent",
           "UnitedStates", "Vietnam", "agent_class", "params_model", "register_agent"]
