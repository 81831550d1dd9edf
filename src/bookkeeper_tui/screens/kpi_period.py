"""The KPI panel's periods and cuts: a period as typed and as read ('6m', '6 months'),
the owner key's cycle, and what one load of the panel returns (``KpiData``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bookkeeper_tui.core.kpi import period_start
from bookkeeper_tui.core.kpi_panel import KpiPanel
from bookkeeper_tui.core.owners import owner_key, owner_label

UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}


def period_label(period: str) -> str:
    """'12m' -> '12 months', '1w' -> '1 week'."""
    p = period.strip().lower()
    n, unit = int(p[:-1]), UNITS[p[-1]]
    return f"{n} {unit}{'' if n == 1 else 's'}"


def normalise_period(text: str, today: date) -> str:
    """A period the user typed, checked and tidied ('6 M' -> '6m'); ValueError says why."""
    p = "".join(text.split()).lower()
    if not p:
        raise ValueError("type a period: a number and a unit, e.g. 90d, 6m or 2y")
    well_formed = p[:-1].isdigit() and p[-1:] in UNITS
    try:
        start = period_start(today, p)
    except (ValueError, OverflowError):
        if not well_formed:
            raise ValueError(
                f"'{text.strip()}' is not a period; type a number and a unit, e.g. 90d, 6m or 2y"
            ) from None
        raise ValueError(f"'{p}' reaches back too far; use a shorter period") from None
    if start >= today:
        raise ValueError("the period must be at least one day long, e.g. 30d")
    return p


@dataclass
class KpiData:
    period: str
    kpi: KpiPanel | None = None
    error: str | None = None
    #: The cut the numbers are for: an owner ("" = no owner) or None, a tier or None.
    owner: str | None = None
    tier: str | None = None
    #: The book's owners (``Book.owners``), for the owner key's cycle.
    owners: list[str] | None = None


def owner_cycle(me: str | None, owners: list[str]) -> list[str | None]:
    """What the owner key steps through: the whole team, me, each other owner, no owner."""
    cycle: list[str | None] = [None]
    if me:
        cycle.append(me)
    cycle += [o for o in owners if not me or owner_key(o) != owner_key(me)]
    cycle.append("")
    return cycle


def cut_label(owner: str | None, tier: str | None) -> str:
    """' · maya · smb' for titles; empty for the whole book."""
    parts = [] if owner is None else [owner_label(owner)]
    parts += [] if tier is None else [tier]
    return "".join(f" · {p}" for p in parts)
