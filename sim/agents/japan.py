"""Japan ([VOA2023], [Grossman2023])."""

from __future__ import annotations

from sim.actions import Action
from sim.agents.partner import Partner


class Japan(Partner):
    """Japan: upgrade offers, ODA and coast-guard capacity building ([VOA2023], [Grossman2023])."""

    MOVES = (Action.UPGRADE_OFFER, Action.ODA, Action.COAST_GUARD_AID, Action.HOLD)
