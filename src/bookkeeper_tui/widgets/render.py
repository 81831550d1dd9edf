"""Small renderers shared by screens: health badges, money, days, safe user text."""

from __future__ import annotations

import math
from datetime import date

from rich.text import Text

from bookkeeper_tui.core.text import printable

BAND_STYLE = {"green": "bold green", "yellow": "bold yellow", "red": "bold red"}
BAND_DOT = {"green": "●", "yellow": "●", "red": "●"}


def safe(text: str | None) -> str:
    """User text made safe for a terminal: control characters and escapes never go out raw.

    The one cleaner (core/text.py) with U+FFFD for each unsafe character, one for one, so
    the text keeps its length and styled spans their places (vtable, SafeInput)."""
    return printable(text, mark="\N{REPLACEMENT CHARACTER}")


def health_text(score: float | None, band: str | None, trend: float | None = None) -> Text:
    """'● 82 ↑' coloured by band; 'no data' when unknown."""
    if score is None or band is None:
        return Text("no data", style="dim")
    out = Text(f"{BAND_DOT[band]} {score_str(score):>3}", style=BAND_STYLE[band])
    if trend is not None:
        arrow = "↑" if trend >= 3 else "↓" if trend <= -3 else "→"
        style = "green" if trend >= 3 else "red" if trend <= -3 else "dim"
        out.append(f" {arrow}", style=style)
    return out


def score_str(score: float) -> str:
    """A health score as shown: rounded down, so 59.9 (red) never reads as 60 (yellow)."""
    return str(math.floor(score))


def money(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}"


def money_short(value: float, width: int) -> str:
    """Money in at most *width* characters: 15,684,310 becomes 15.7M (a group total)."""
    full = money(value)
    if len(full) <= width:
        return full
    for div, unit in ((1e3, "k"), (1e6, "M"), (1e9, "B")):
        for digits in (1, 0):
            short = f"{value / div:,.{digits}f}{unit}"
            if len(short) <= width:
                return short
    return full


def days_ago(day: date | None, today: date) -> str:
    if day is None:
        return "never"
    n = (today - day).days
    return "today" if n == 0 else f"{n}d ago" if n > 0 else f"in {-n}d"


def due_text(days_overdue: int) -> Text:
    if days_overdue > 0:
        return Text(f"{days_overdue}d overdue", style="bold red")
    if days_overdue == 0:
        return Text("today", style="bold")
    return Text(f"in {-days_overdue}d", style="dim")


def pct(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def label(kind: str) -> str:
    """touchpoint/interaction kind as a person reads it."""
    return kind.replace("_", " ")
