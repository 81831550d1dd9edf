"""What to create, update or leave unchanged per kind, and how it is written."""

from __future__ import annotations

from bookkeeper_tui.io.importer.planners.accounts import _AccountPlanner
from bookkeeper_tui.io.importer.planners.base import _Planner
from bookkeeper_tui.io.importer.planners.contacts import _ContactPlanner
from bookkeeper_tui.io.importer.planners.records import (
    _InteractionPlanner,
    _ScorePlanner,
    _SubscriptionPlanner,
    _TicketPlanner,
    _UsagePlanner,
)

PLANNERS: dict[str, type[_Planner]] = {
    "accounts": _AccountPlanner,
    "contacts": _ContactPlanner,
    "subscriptions": _SubscriptionPlanner,
    "interactions": _InteractionPlanner,
    "scores": _ScorePlanner,
    "tickets": _TicketPlanner,
    "usage": _UsagePlanner,
}
