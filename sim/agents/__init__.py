"""One module per state: Vietnam (the hedger), China, the United States, Japan, Russia, and a
generic partner that a scenario can add by name. ``base`` holds the shared decision cycle."""

from sim.agents.base import StateAgent
from sim.agents.china import China
from sim.agents.japan import Japan
from sim.agents.partner import Partner
from sim.agents.russia import Russia
from sim.agents.united_states import UnitedStates
from sim.agents.vietnam import Vietnam

__all__ = ["China", "Japan", "Partner", "Russia", "StateAgent", "UnitedStates", "Vietnam"]
