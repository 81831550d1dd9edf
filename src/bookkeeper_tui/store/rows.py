"""Plain rows the screens show (light: no SQLAlchemy, importable at start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(slots=True)
class TodayRow:
    touchpoint_id: int
    account_id: int
    account: str
    kind: str
    due: date
    days_overdue: int
    tier: str
    health: float | None
    band: str | None
    note: str
    origin: str
    #: The account's owner as stored (team mode filters on it; not part of a row's
    #: identity, nor of the ``--json`` shape).
    owner: str | None = field(default=None, compare=False)

    def as_json(self) -> dict:
        return {
            "id": self.touchpoint_id,
            "account": self.account,
            "kind": self.kind,
            "due": self.due.isoformat(),
            "days_overdue": self.days_overdue,
            "tier": self.tier,
            "health": self.health,
            "band": self.band,
            "origin": self.origin,
            "note": self.note,
        }
